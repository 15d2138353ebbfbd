"""What every checker needs: the failure type, safe calls into student code, an execution
trace (which layers and functions ran, in order), and weight sharing with the reference."""

import contextlib
import functools
import threading
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from ..i18n import tr

# torch and the whole course package: a student's mistake is reported at the student's line, never at ours
_OURS = (str(Path(torch.__file__).parent), str(Path(__file__).parent.parent))
TIME_LIMIT = 10.0  # seconds a whole check may take before it is stopped (the tiny tensors need well under 1 s)

# the functions a block's forward may call, by the name the course uses for them
KINDS = {
    "conv2d": "conv",
    "conv_transpose2d": "up-conv",
    "batch_norm": "BN",
    "relu": "ReLU",
    "relu_": "ReLU",
    "max_pool2d": "pool",
    "avg_pool2d": "avg-pool",
    "cat": "cat",
    "concat": "cat",
    "concatenate": "cat",
    "sigmoid": "sigmoid",
    "sigmoid_": "sigmoid",
    "softmax": "softmax",
    "log_softmax": "softmax",
    "add": "add",
    "__add__": "add",
    "__radd__": "add",
    "__iadd__": "add",
    "detach": "detach",
    "interpolate": "interpolate",
    "dropout": "dropout",
    "dropout2d": "dropout",
    "instance_norm": "InstanceNorm",
    "group_norm": "GroupNorm",
    "layer_norm": "LayerNorm",
}
PARAMETER_LAYERS = (nn.Conv2d, nn.ConvTranspose2d, nn.BatchNorm2d)


class CheckFailed(AssertionError):
    """A check found a mistake: the message names it and says how to fix it.

    In Jupyter the failure shows as its message alone: IPython calls ``_render_traceback_`` for
    the lines to show, so the student never scrolls through the checker's source.
    """

    def _render_traceback_(self):
        return [f"CheckFailed: {self}"]


def time_limited(check):
    """Run ``check`` in a worker thread and stop waiting after TIME_LIMIT seconds.

    A thread, not a subprocess: the student's class lives in the notebook's kernel (often in
    ``__main__``), which a fresh process cannot import. Python cannot kill a thread, so a forward
    that loops forever keeps running in the background until the kernel is restarted; the
    message says so. (Grading re-runs every check in a subprocess, which it does kill.) The
    checker returns its OK line and this wrapper prints it, in the notebook's own thread.
    """

    @functools.wraps(check)
    def limited(*args, **kwargs):
        __tracebackhide__ = True
        box = {}

        def work():
            try:
                box["ok"] = check(*args, **kwargs)
            except BaseException as exc:  # handed to the caller's thread below
                box["error"] = exc

        worker = threading.Thread(target=work, name=check.__name__, daemon=True)
        worker.start()
        worker.join(TIME_LIMIT)
        if worker.is_alive():
            raise CheckFailed(
                tr(
                    "{check} stopped after {limit:g} s without an answer: your code never finished on "
                    "tiny inputs (a few pixels). Look for a loop that never ends (`while True:`, a `while` whose "
                    "condition never changes) in your __init__ or forward, fix it, then restart the kernel "
                    "(Kernel > Restart) - the runaway loop keeps running in the background until you do.",
                    check=check.__name__,
                    limit=TIME_LIMIT,
                )
            )
        if "error" in box:
            raise box["error"].with_traceback(None) from None
        print(box["ok"])

    return limited


def _student_frame(exc):
    """The last frame of the traceback outside torch and the checkers: where the student's code was."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not f.filename.startswith(_OURS)]
    return frames[-1] if frames else None


def _raising_function(exc):
    """'DoubleConv.__init__': the function that raised ``exc`` (its qualified name where Python has it)."""
    tb = exc.__traceback__
    while tb.tb_next is not None:
        tb = tb.tb_next
    code = tb.tb_frame.f_code
    return getattr(code, "co_qualname", code.co_name).split(".<locals>.")[-1]


def call(what, function, *args, **kwargs):
    """``function(*args, **kwargs)``; an exception becomes a CheckFailed saying which call raised what."""
    __tracebackhide__ = True
    try:
        return function(*args, **kwargs)
    except CheckFailed:
        raise
    except NotImplementedError as exc:
        raise not_implemented(what, exc) from None
    except Exception as exc:  # any error in the student's code is reported, not re-raised
        raise CheckFailed(tr("{what} raised {error}", what=what, error=error_text(exc))) from None


def expect_class(cls, name, check):
    """Refuse an instance where the class is wanted (``check_double_conv(DoubleConv(1, 64))``)."""
    if isinstance(cls, nn.Module):
        raise CheckFailed(
            tr(
                "{check} takes the class itself, not a block built from it: write {check}({name}), "
                "without arguments after {name}.",
                check=check,
                name=name,
            )
        )


def not_implemented(what, exc):
    """The message for a stub of the student copy that is still there."""
    return CheckFailed(
        tr(
            "{function} is not implemented yet: write the part marked `raise NotImplementedError(...)` "
            "(follow the hint above it), run that cell, then run this check again. ({what} raised "
            "NotImplementedError.)",
            function=_raising_function(exc),
            what=what,
        )
    )


def error_text(exc):
    """'RuntimeError: ... (at the line `...`)' for an exception raised in the student's code."""
    frame = _student_frame(exc)
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else tr("(no message)")
    if frame is not None and frame.line:
        return tr(
            "{error}: {message} (at the line `{line}`)", error=type(exc).__name__, message=message, line=frame.line
        )
    return f"{type(exc).__name__}: {message}"


@dataclass
class Event:
    """One call during a forward: its kind ('conv', 'BN', 'cat', ...), its arguments and result."""

    kind: str
    args: tuple
    kwargs: dict
    result: object = None


@dataclass
class Trace:
    """What a forward did: functions called and leaf modules run, in order; its output or error."""

    events: list = field(default_factory=list)
    modules: list = field(default_factory=list)
    grad_off: list = field(default_factory=list)  # leaf modules that ran under no_grad / inference_mode
    output: object = None
    error: Exception | None = None

    def kinds(self, *only):
        return [e.kind for e in self.events if not only or e.kind in only]

    def layers(self):
        """Modules with weights, in the order they first ran (a reused module counts once)."""
        seen = []
        for module in self.modules:
            if isinstance(module, PARAMETER_LAYERS) and all(module is not m for m in seen):
                seen.append(module)
        return seen


class _Recorder(TorchFunctionMode):
    def __init__(self, trace):
        super().__init__()
        self.trace = trace

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        kind = KINDS.get(getattr(func, "__name__", ""))
        event = Event(kind, args, kwargs)
        if kind is not None:  # recorded before the call, so that a call that fails is seen too
            self.trace.events.append(event)
        event.result = func(*args, **kwargs)
        if kind == "add" and not (isinstance(event.result, torch.Tensor) and event.result.is_floating_point()):
            self.trace.events.remove(event)  # counters (BatchNorm's num_batches_tracked), not the student's sum
        return event.result


def run_forward(what, model, *inputs):
    """Run ``model(*inputs)`` and record what happened; errors are kept in the trace, not raised
    (a NotImplementedError, a stub still in place, is reported at once)."""
    trace = Trace()
    leaves = [m for m in model.modules() if next(m.children(), None) is None]

    def seen(module, _):
        trace.modules.append(module)
        if not torch.is_grad_enabled() or torch.is_inference_mode_enabled():
            trace.grad_off.append(module)

    hooks = [m.register_forward_pre_hook(seen) for m in leaves]
    try:
        with _Recorder(trace):
            trace.output = model(*inputs)
    except NotImplementedError as exc:
        raise not_implemented(what, exc) from None
    except Exception as exc:  # reported by the checker with what it has learnt from the trace
        trace.error = exc
    finally:
        for hook in hooks:
            hook.remove()
    return trace


@contextlib.contextmanager
def seeded(seed=0):
    """Seed torch for the check without changing the random state of the student's notebook.

    Also one CPU thread: the checks' tensors are tiny, and threads only add waiting on a busy machine.
    """
    threads = torch.get_num_threads()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        torch.set_num_threads(1)
        try:
            yield
        finally:
            torch.set_num_threads(threads)


def share_weights(student_layers, reference_layers, assign=False):
    """Give each reference layer the weights of the student's layer in the same place.

    Layers are paired in the order they run. Returns None, or a sentence naming the first pair
    that does not match (different type or shape), for a message.
    """
    for index, (mine, theirs) in enumerate(zip(student_layers, reference_layers), start=1):
        mine_state, their_state = mine.state_dict(), theirs.state_dict()
        shapes = {k: tuple(v.shape) for k, v in mine_state.items()}
        if type(mine) is not type(theirs) or shapes != {k: tuple(v.shape) for k, v in their_state.items()}:
            return tr(
                "layer {index} that runs is {mine} where the reference has {theirs}",
                index=index,
                mine=describe_layer(mine),
                theirs=describe_layer(theirs),
            )
        theirs.load_state_dict(mine_state, assign=assign)
    if len(student_layers) != len(reference_layers):
        return tr(
            "{mine} layers with weights run where the reference runs {theirs} ({names})",
            mine=len(student_layers),
            theirs=len(reference_layers),
            names=", ".join(type(m).__name__ for m in reference_layers),
        )
    return None


def describe_layer(module):
    """'Conv2d(3, 8, kernel_size=(3, 3), ...)' on one line."""
    return " ".join(repr(module).split())


def close(a, b):
    """Same shape and the same values up to float rounding, relative to the size of ``b``."""
    if not isinstance(a, torch.Tensor) or a.shape != b.shape:
        return False
    scale = b.abs().max().item() or 1.0
    return torch.allclose(a.float(), b.float(), rtol=1e-4, atol=1e-5 * scale)


def modules_of(model, types):
    return [m for m in model.modules() if isinstance(m, types)]
