"""The formulas against real PyTorch layers, over a broad grid (property-based)."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from unet_course.arithmetic import (
    TRANSPOSE_FORMULA,
    conv_output_size,
    conv_transpose_formula,
    conv_transpose_output_size,
    conv_transpose_substituted,
    doubling_settings,
    explain_conv,
    explain_conv_transpose,
    pool_output_size,
    pytorch_output_size,
)

sizes = st.integers(1, 40)
kernels = st.integers(1, 7)
strides = st.integers(1, 4)
paddings = st.integers(0, 4)
dilations = st.integers(1, 3)


def torch_size(make_layer, size):
    """The layer's output width for a (1, 1, 1, size) input, or None if PyTorch refuses (constructor or forward)."""
    try:
        layer = make_layer()
    except ValueError:
        return None
    return pytorch_output_size(layer, (1, size))[0]


def our_size(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except ValueError:
        return None


@settings(max_examples=300, deadline=None)
@given(sizes, kernels, strides, paddings, dilations)
def test_conv_matches_nn_conv2d(size, k, s, p, d):
    layer = lambda: torch.nn.Conv2d(1, 1, (1, k), stride=(1, s), padding=(0, p), dilation=(1, d))
    assert our_size(conv_output_size, size, k, s, p, d) == torch_size(layer, size)


# PyTorch warns that even kernels with padding="same" need a padded copy of the input: expected here
@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel lengths:UserWarning")
@settings(max_examples=100, deadline=None)
@given(sizes, kernels, dilations, st.sampled_from(["same", "valid"]))
def test_conv_string_paddings_match_nn_conv2d(size, k, d, padding):
    layer = lambda: torch.nn.Conv2d(1, 1, (1, k), padding=padding, dilation=(1, d))
    assert our_size(conv_output_size, size, k, 1, padding, d) == torch_size(layer, size)


@settings(max_examples=300, deadline=None)
@given(sizes, kernels, st.one_of(st.none(), strides), paddings, dilations, st.booleans())
def test_pool_matches_nn_maxpool2d(size, k, s, p, d, ceil_mode):
    layer = lambda: torch.nn.MaxPool2d((1, k), stride=(1, s or k), padding=(0, p), dilation=(1, d), ceil_mode=ceil_mode)
    assert our_size(pool_output_size, size, k, s, p, d, ceil_mode) == torch_size(layer, size)


@settings(max_examples=400, deadline=None)
@given(sizes, kernels, strides, paddings, st.integers(0, 4), dilations)
def test_transposed_conv_matches_nn_convtranspose2d(size, k, s, p, op, d):
    layer = lambda: torch.nn.ConvTranspose2d(
        1, 1, (1, k), stride=(1, s), padding=(0, p), output_padding=(0, op), dilation=(1, d)
    )
    assert our_size(conv_transpose_output_size, size, k, s, p, op, d) == torch_size(layer, size)


def test_invalid_combinations_are_refused_by_both():
    layer = lambda: torch.nn.ConvTranspose2d(1, 1, (1, 2), stride=(1, 2), output_padding=(0, 2))
    assert torch_size(layer, 5) is None
    with pytest.raises(ValueError, match=r"output_padding=2 must be smaller than stride \(2\) or dilation \(1\)"):
        conv_transpose_output_size(5, 2, stride=2, output_padding=2)
    with pytest.raises(ValueError, match="more than half the kernel size 2"):
        pool_output_size(10, 2, stride=2, padding=2)  # the text's slip: padding=2 instead of stride=2
    with pytest.raises(ValueError, match="output is too small"):
        conv_output_size(2, 5)
    with pytest.raises(ValueError, match="kernel_size must be a positive whole number, got 0"):
        conv_output_size(10, 0)


def test_explanations_fill_in_the_numbers():
    text = explain_conv_transpose(30, 2, stride=2)
    assert "= (30 - 1) * 2 - 2 * 0 + 1 * (2 - 1) + 0 + 1" in text
    assert text.splitlines()[-1].strip() == "= 60"
    assert explain_conv(480, 3, padding=1).splitlines()[-1].strip() == "= 480"
    assert "keeps the size" in explain_conv(480, 3, padding="same")


def test_the_unet_sizes():
    assert conv_output_size(480, 3, padding=1) == 480
    assert pool_output_size(480, 2, stride=2) == 240
    assert conv_transpose_output_size(30, 2, stride=2) == 60


def test_doubling_settings_are_stride_2_with_kernel_minus_twice_padding_2():
    found = doubling_settings()
    assert (2, 2, 0) in found and (4, 2, 1) in found
    assert all(s == 2 and k - 2 * p == 2 for k, s, p in found)
    for k, s, p in found:
        assert pytorch_output_size(torch.nn.ConvTranspose2d(1, 1, k, stride=s, padding=p), 13) == (26, None)


def test_pytorch_output_size_runs_on_the_layers_device_and_reports_refusals():
    up_conv = torch.nn.ConvTranspose2d(1024, 512, kernel_size=2, stride=2, device="meta")
    assert pytorch_output_size(up_conv, 30) == (60, None)  # 1024 channels on meta: no memory
    assert pytorch_output_size(torch.nn.MaxPool2d(2), (5, 7)) == (3, None)
    size, error = pytorch_output_size(torch.nn.ConvTranspose2d(1, 1, 2, stride=2, output_padding=2), 3)
    assert size is None and error.startswith("output padding must be smaller")


def test_the_unchecked_formula_and_its_substitution():
    assert conv_transpose_formula(1, 1, 1, 3, 0, 1) == -5  # refused by conv_transpose_output_size
    assert conv_transpose_substituted(30, 2, 2) == "(30 - 1) * 2 - 2 * 0 + 1 * (2 - 1) + 0 + 1"
    assert explain_conv_transpose(30, 2, 2).splitlines()[0] == TRANSPOSE_FORMULA
