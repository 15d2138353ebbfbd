"""Shared steps of the block checkers: a forward that raised, the output's shape, and the
output against the course's block on the same weights."""

import torch

from ..i18n import tr
from ._core import CheckFailed, close, error_text, run_forward, share_weights


def pair(value):
    return tuple(value) if isinstance(value, tuple | list) else (value, value)


def shape(tensor):
    return tuple(tensor.shape)


def raised(trace, name, x, skip=None):
    """The forward ``name(x)`` (or ``name(x, skip)``) raised: say so, with the inputs' shapes."""
    if trace.error is None:
        return
    error = error_text(trace.error)
    if skip is None:
        message = tr("{name}(x) with x of shape {shape} raised {error}", name=name, shape=shape(x), error=error)
    else:
        message = tr(
            "{name}(x, skip) with x of shape {x_shape} and skip of shape {skip_shape} raised {error}",
            name=name,
            x_shape=shape(x),
            skip_shape=shape(skip),
            error=error,
        )
    raise CheckFailed(message)


def output(trace, name, expected):
    out = trace.output
    if not isinstance(out, torch.Tensor):
        raise CheckFailed(
            tr(
                "{name}'s forward returned {type}, not a tensor: end forward with `return ...` of the block's output.",
                name=name,
                type=type(out).__name__,
            )
        )
    if shape(out) != expected:
        raise CheckFailed(
            tr(
                "{name} gives an output of shape {shape}; expected {expected}.",
                name=name,
                shape=shape(out),
                expected=expected,
            )
        )


def reference_output(trace, reference, name, inputs):
    """The reference's output on the same input, with the student's weights copied into it."""
    ref_trace = run_forward(tr("the course's block"), reference, *[t.clone() for t in inputs])
    problem = share_weights(trace.layers(), ref_trace.layers())
    if problem:
        raise CheckFailed(
            tr("{name} is built differently from the course's block: {problem}.", name=name, problem=problem)
        )
    return reference(*[t.clone() for t in inputs])


def same_as_reference(trace, reference, name, inputs, hint):
    """The student's block and the reference, same weights and input: same output."""
    if not close(trace.output, reference_output(trace, reference, name, inputs)):
        raise CheckFailed(
            tr(
                "{name} computes something different from the course's block on the same weights. {hint}",
                name=name,
                hint=hint,
            )
        )
