"""Shared steps of the block checkers: a forward that raised, the output's shape, and the
output against the course's block on the same weights."""

import torch

from ._core import CheckFailed, close, error_text, run_forward, share_weights


def pair(value):
    return tuple(value) if isinstance(value, tuple | list) else (value, value)


def shape(tensor):
    return tuple(tensor.shape)


def raised(trace, call_text):
    if trace.error is not None:
        raise CheckFailed(f"{call_text} raised {error_text(trace.error)}")


def output(trace, name, expected):
    out = trace.output
    if not isinstance(out, torch.Tensor):
        raise CheckFailed(
            f"{name}'s forward returned {type(out).__name__}, not a tensor: end forward with `return ...` "
            "of the block's output."
        )
    if shape(out) != expected:
        raise CheckFailed(f"{name} gives an output of shape {shape(out)}; expected {expected}.")


def reference_output(trace, reference, name, inputs):
    """The reference's output on the same input, with the student's weights copied into it."""
    ref_trace = run_forward("the course's block", reference, *[t.clone() for t in inputs])
    problem = share_weights(trace.layers(), ref_trace.layers())
    if problem:
        raise CheckFailed(f"{name} is built differently from the course's block: {problem}.")
    return reference(*[t.clone() for t in inputs])


def same_as_reference(trace, reference, name, inputs, hint):
    """The student's block and the reference, same weights and input: same output."""
    if not close(trace.output, reference_output(trace, reference, name, inputs)):
        raise CheckFailed(f"{name} computes something different from the course's block on the same weights. {hint}")
