import pytest
import torch
from text_unet import TextUNet

from unet_course import UNet, count_parameters, trace_shapes
from unet_course.blocks import DoubleConv, Down, OutConv, Up


def test_the_text_model_has_31_036_481_parameters():
    assert count_parameters(UNet()) == 31_036_481
    assert count_parameters(UNet(in_channels=1, num_classes=1)) == count_parameters(TextUNet())


def test_state_dict_has_the_text_models_entries_in_order_and_shape():
    ours = [(name, tuple(t.shape)) for name, t in UNet().state_dict().items()]
    text = [(name, tuple(t.shape)) for name, t in TextUNet().state_dict().items()]
    assert ours == text


def test_same_weights_give_the_same_output_as_the_text_model():
    torch.manual_seed(0)
    text = TextUNet().eval()
    ours = UNet().eval()
    ours.load_state_dict(text.state_dict())
    x = torch.randn(2, 1, 32, 48)
    with torch.no_grad():
        torch.testing.assert_close(ours(x), text(x))


TEXT_SHAPES = {  # the shape comments of the text's forward pass, batch 10 at 480x480
    "in_conv": (10, 64, 480, 480),
    "down1": (10, 128, 240, 240),
    "down2": (10, 256, 120, 120),
    "down3": (10, 512, 60, 60),
    "down4": (10, 1024, 30, 30),
    "up1": (10, 512, 60, 60),
    "up2": (10, 256, 120, 120),
    "up3": (10, 128, 240, 240),
    "up4": (10, 64, 480, 480),
    "out_conv": (10, 1, 480, 480),
}


def test_trace_reproduces_every_shape_of_the_texts_forward_pass():
    trace = trace_shapes(UNet(), (10, 1, 480, 480), max_depth=1)
    assert [row.name for row in trace] == list(TEXT_SHAPES)
    assert {row.name: row.output_shape for row in trace} == TEXT_SHAPES
    assert trace.find("up1").input_shapes == ((10, 1024, 30, 30), (10, 512, 60, 60))


def test_paper_variant_maps_572_to_388_with_31_030_658_parameters():
    model = UNet.paper()
    assert count_parameters(model) == 31_030_658
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules())
    convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d) and m.kernel_size == (3, 3)]
    assert all(c.padding == (0, 0) and c.bias is not None for c in convs)
    trace = trace_shapes(model, (1, 1, 572, 572), max_depth=1)
    assert trace.find("in_conv").output_shape == (1, 64, 568, 568)
    assert trace.find("down4").output_shape == (1, 1024, 28, 28)
    assert trace.find("out_conv").output_shape == (1, 2, 388, 388)


def test_paper_variant_runs_for_real_at_a_small_width():
    model = UNet(num_classes=2, base_channels=4, padding="valid", batch_norm=False)
    with torch.no_grad():
        assert model(torch.randn(1, 1, 188, 188)).shape == (1, 2, 4, 4)


def test_bilinear_variant_has_17_261_825_parameters_and_keeps_the_size():
    assert count_parameters(UNet(up_mode="bilinear")) == 17_261_825
    model = UNet(up_mode="bilinear", base_channels=8, num_classes=3)
    with torch.no_grad():
        assert model(torch.randn(2, 1, 64, 96)).shape == (2, 3, 64, 96)


@pytest.mark.parametrize("depth, base_channels", [(1, 4), (3, 8), (5, 2)])
def test_depth_and_width_set_the_levels(depth, base_channels):
    model = UNet(base_channels=base_channels, depth=depth)
    trace = trace_shapes(model, (1, 1, 2**depth * 3, 2**depth * 2), max_depth=1)
    bottom = trace.find(f"down{depth}").output_shape
    assert bottom == (1, base_channels * 2**depth, 3, 2)
    assert trace[-1].output_shape == (1, 1, 2**depth * 3, 2**depth * 2)


def test_blocks_match_the_text():
    conv = DoubleConv(3, 8).double_conv
    assert [type(m).__name__ for m in conv] == ["Conv2d", "BatchNorm2d", "ReLU"] * 2
    assert conv[0].bias is None and conv[0].padding == (1, 1)
    assert isinstance(Down(8, 16).downsampling[0], torch.nn.MaxPool2d)
    assert Down(8, 16).downsampling[0].stride == 2
    up = Up(16, 8)
    assert (up.upsampling.out_channels, up.upsampling.kernel_size, up.upsampling.stride) == (8, (2, 2), (2, 2))
    assert OutConv(8, 2).conv.kernel_size == (1, 1)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"up_mode": "nearest"}, "up_mode='nearest' is not supported"),
        ({"padding": "full"}, "padding='full' is not supported"),
        ({"depth": 0}, "depth must be a positive whole number, got 0"),
        ({"base_channels": 6.5}, "base_channels must be a positive whole number, got 6.5"),
    ],
)
def test_bad_constructor_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        UNet(**kwargs)


def test_the_written_out_u_and_the_loop_for_other_depths_compute_the_same():
    torch.manual_seed(0)
    model = UNet(base_channels=2).eval()  # depth 4: forward takes the written-out path
    x = torch.rand(2, 1, 32, 32)
    with torch.no_grad():
        written_out, looped = model(x), model._forward_any_depth(x)
    assert written_out.shape == (2, 1, 32, 32)
    assert torch.equal(written_out, looped)


def test_forward_passes_every_skip_through_the_hook_in_decoder_order():
    seen = []

    class Recording(UNet):
        def skip_connection(self, skip):
            seen.append(tuple(skip.shape))
            return skip

    Recording(base_channels=2).eval()(torch.rand(1, 1, 16, 16))
    assert seen == [(1, 16, 2, 2), (1, 8, 4, 4), (1, 4, 8, 8), (1, 2, 16, 16)]  # x4, x3, x2, x1
