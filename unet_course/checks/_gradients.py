"""Do gradients reach every parameter and every input of a student's block?

A block that runs under ``torch.no_grad()``, detaches its input or a skip, or freezes a layer
gives the right numbers and still cannot learn: only a backward pass shows it.
"""

import torch

from ..i18n import tr
from ._core import CheckFailed, describe_layer, run_forward


def _fix():
    return tr("Remove it: a block must let the gradient through, or nothing in it (and nothing before it) learns.")


def _frozen(block, name):
    frozen = [n for n, p in block.named_parameters() if not p.requires_grad]
    if frozen:
        shown = ", ".join(f"`{n}`" for n in frozen[:3])
        if len(frozen) > 3:
            shown = tr("{shown} and {more} more", shown=shown, more=len(frozen) - 3)
        raise CheckFailed(
            tr(
                "Frozen parameters: in {name}, {shown} have requires_grad=False, so the optimizer never changes "
                "them. Remove the line that freezes them (`requires_grad_(False)`, `p.requires_grad = False`).",
                name=name,
                shown=shown,
            )
        )


def _inputs_of_children(block):
    """Hooks that note every submodule that receives a tensor without a gradient."""
    cut, hooks = [], []
    for sub_name, module in block.named_modules():
        if not sub_name:
            continue

        def note(module, args, sub_name=sub_name):
            for position, arg in enumerate(args):
                if isinstance(arg, torch.Tensor) and arg.is_floating_point() and not arg.requires_grad:
                    cut.append((sub_name, position))

        hooks.append(module.register_forward_pre_hook(note))
    return cut, hooks


def _cut_input(name, sub_name, position):
    """The message for a submodule whose input (at ``position``) arrives without a gradient."""
    if position < 3:
        return tr(
            "In {name}, `{sub_name}` gets its {ordinal} input without a gradient: forward detaches it before the "
            "call (`.detach()`, `.data`), so what computed it never learns from this path. {fix}",
            name=name,
            sub_name=sub_name,
            ordinal=("first", "second", "third")[position],
            fix=_fix(),
        )
    return tr(
        "In {name}, `{sub_name}` gets its number {number} input without a gradient: forward detaches it before "
        "the call (`.detach()`, `.data`), so what computed it never learns from this path. {fix}",
        name=name,
        sub_name=sub_name,
        number=position + 1,
        fix=_fix(),
    )


def gradients(block, name, inputs, input_names):
    """Backward through ``block(*inputs)``: each input and each parameter must get a gradient."""
    _frozen(block, name)
    inputs = [t.detach().clone().requires_grad_() for t in inputs]
    cut, hooks = _inputs_of_children(block)
    try:
        trace = run_forward(f"{name}(...)", block, *inputs)
    finally:
        for hook in hooks:
            hook.remove()
    if trace.error is not None:
        raise CheckFailed(
            tr(
                "{name} raised {error} when its input required a gradient: {message}",
                name=name,
                error=type(trace.error).__name__,
                message=trace.error,
            )
        )
    if trace.grad_off:
        raise CheckFailed(
            tr(
                "{name} runs {layer} under torch.no_grad() (or torch.inference_mode()): no gradient flows through "
                "that part of forward. {fix}",
                name=name,
                layer=describe_layer(trace.grad_off[0]),
                fix=_fix(),
            )
        )
    out = trace.output
    if not out.requires_grad:
        raise CheckFailed(
            tr(
                "{name}'s output has no gradient: its forward cuts the graph (.detach(), .data, .numpy() or "
                "torch.no_grad()). {fix}",
                name=name,
                fix=_fix(),
            )
        )
    (out * torch.randn_like(out)).sum().backward()
    for tensor, input_name in zip(inputs, input_names):
        if tensor.grad is None or not bool(tensor.grad.abs().sum() > 0):
            raise CheckFailed(
                tr(
                    "No gradient reaches `{input}`: {name}'s forward detaches it (`{input}.detach()`, "
                    "`{input}.data`), so the blocks that computed {input} would never learn. Use {input} itself.",
                    input=input_name,
                    name=name,
                )
            )
    if cut:
        raise CheckFailed(_cut_input(name, *cut[0]))
    for parameter_name, parameter in block.named_parameters():
        if parameter.grad is None:
            raise CheckFailed(
                tr(
                    "No gradient reaches `{parameter}` of {name}: that layer never takes part in the output, "
                    "or its result is detached before it is used. {fix}",
                    parameter=parameter_name,
                    name=name,
                    fix=_fix(),
                )
            )
