"""Do gradients reach every parameter and every input of a student's block?

A block that runs under ``torch.no_grad()``, detaches its input or a skip, or freezes a layer
gives the right numbers and still cannot learn: only a backward pass shows it.
"""

import torch

from ._core import CheckFailed, describe_layer, run_forward

FIX = "Remove it: a block must let the gradient through, or nothing in it (and nothing before it) learns."


def _frozen(block, name):
    frozen = [n for n, p in block.named_parameters() if not p.requires_grad]
    if frozen:
        shown = ", ".join(f"`{n}`" for n in frozen[:3]) + (f" and {len(frozen) - 3} more" if len(frozen) > 3 else "")
        raise CheckFailed(
            f"Frozen parameters: in {name}, {shown} have requires_grad=False, so the optimizer never changes them. "
            "Remove the line that freezes them (`requires_grad_(False)`, `p.requires_grad = False`)."
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


def _ordinal(position):
    return ("first", "second", "third")[position] if position < 3 else f"number {position + 1}"


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
            f"{name} raised {type(trace.error).__name__} when its input required a gradient: {trace.error}"
        )
    if trace.grad_off:
        raise CheckFailed(
            f"{name} runs {describe_layer(trace.grad_off[0])} under torch.no_grad() (or torch.inference_mode()): no "
            f"gradient flows through that part of forward. {FIX}"
        )
    out = trace.output
    if not out.requires_grad:
        raise CheckFailed(
            f"{name}'s output has no gradient: its forward cuts the graph (.detach(), .data, .numpy() or "
            f"torch.no_grad()). {FIX}"
        )
    (out * torch.randn_like(out)).sum().backward()
    for tensor, input_name in zip(inputs, input_names):
        if tensor.grad is None or not bool(tensor.grad.abs().sum() > 0):
            raise CheckFailed(
                f"No gradient reaches `{input_name}`: {name}'s forward detaches it (`{input_name}.detach()`, "
                f"`{input_name}.data`), so the blocks that computed {input_name} would never learn. Use "
                f"{input_name} itself."
            )
    if cut:
        sub_name, position = cut[0]
        raise CheckFailed(
            f"In {name}, `{sub_name}` gets its {_ordinal(position)} input without a gradient: forward detaches it "
            f"before the call (`.detach()`, `.data`), so what computed it never learns from this path. {FIX}"
        )
    for parameter_name, parameter in block.named_parameters():
        if parameter.grad is None:
            raise CheckFailed(
                f"No gradient reaches `{parameter_name}` of {name}: that layer never takes part in the output, "
                f"or its result is detached before it is used. {FIX}"
            )
