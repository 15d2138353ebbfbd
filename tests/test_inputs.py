import numpy as np
import pytest
import torch

from unet_course import PadToFit, UNet
from unet_course.inputs import fits, nearest_valid_sizes, valid_output_size


@pytest.fixture(scope="module")
def small_unet():
    torch.manual_seed(0)
    return UNet(base_channels=4).eval()


def message_of(model, x):
    with pytest.raises((ValueError, TypeError)) as error:
        model(x)
    return str(error.value)


def test_odd_size_names_the_size_the_level_and_the_nearest_fits(small_unet):
    message = message_of(small_unet, torch.zeros(1, 1, 481, 480))
    assert "UNet cannot take an input of height 481" in message
    assert "not divisible by 2**4 = 16" in message
    assert "481 -> 240" in message and "in up4" in message
    assert "Nearest sizes that fit: 480 or 496" in message
    assert "PadToFit(model)" in message


def test_a_size_that_breaks_deeper_names_the_deeper_level(small_unet):
    message = message_of(small_unet, torch.zeros(1, 1, 64, 488))  # 488 -> 244 -> 122 -> 61 -> 30
    assert "width 488" in message
    assert "61 -> 30" in message and "60, which cannot be concatenated with the skip of size 61 in up1" in message


def test_the_error_comes_before_any_computation(small_unet, monkeypatch):
    def fail(*args):
        raise AssertionError("in_conv ran")

    monkeypatch.setattr(small_unet.in_conv, "forward", fail)
    assert "height 33" in message_of(small_unet, torch.zeros(1, 1, 33, 32))


def test_missing_batch_dimension(small_unet):
    message = message_of(small_unet, torch.zeros(1, 32, 32))
    assert "the batch dimension is missing" in message and "x.unsqueeze(0)" in message


def test_wrong_number_of_dimensions(small_unet):
    assert "4-D tensor (B, C, H, W), got shape (32, 32) (2-D)" in message_of(small_unet, torch.zeros(32, 32))


def test_wrong_channel_count(small_unet):
    message = message_of(small_unet, torch.zeros(2, 3, 32, 32))
    assert "built for in_channels=1 but the input has 3 channels" in message
    assert "UNet(in_channels=3)" in message


def test_integer_images_are_refused_with_the_conversion(small_unet):
    message = message_of(small_unet, torch.zeros(1, 1, 32, 32, dtype=torch.uint8))
    assert "floating-point input, got dtype torch.uint8" in message and "x.float()" in message


def test_numpy_arrays_are_refused_with_the_conversion(small_unet):
    message = message_of(small_unet, np.zeros((1, 1, 32, 32), dtype=np.float32))
    assert "got ndarray" in message and "torch.as_tensor" in message


def test_paper_variant_names_sizes_that_do_not_fit():
    model = UNet(base_channels=2, padding="valid", batch_norm=False)
    message = message_of(model, torch.zeros(1, 1, 570, 572))
    assert "height 570" in message and "572" in message


def test_valid_sizes_agree_with_a_real_paper_forward():
    model = UNet(depth=2, base_channels=2, padding="valid", batch_norm=False)
    for size in range(16, 60):
        expected = valid_output_size(size, depth=2)
        if expected is None:
            continue
        with torch.no_grad():
            assert model(torch.zeros(1, 1, size, size)).shape[-1] == expected


def test_nearest_valid_sizes():
    assert nearest_valid_sizes(481) == (480, 496)
    assert nearest_valid_sizes(5) == (None, 16)
    assert fits(572, padding="valid") and not fits(570, padding="valid")


def test_pad_to_fit_takes_any_size_and_crops_back(small_unet):
    x = torch.randn(2, 1, 37, 50)
    with torch.no_grad():
        out = PadToFit(small_unet)(x)
        padded = torch.nn.functional.pad(x, (0, 14, 0, 11), mode="reflect")
        torch.testing.assert_close(out, small_unet(padded)[..., :37, :50])
    assert out.shape == (2, 1, 37, 50)


def test_pad_to_fit_refuses_the_paper_variant():
    with pytest.raises(ValueError, match="only for padding='same'"):
        PadToFit(UNet.paper())
