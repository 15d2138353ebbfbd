import pytest
import torch

from unet_course import UNet, trace_shapes


def test_meta_trace_matches_a_real_cpu_forward():
    torch.manual_seed(0)
    model = UNet(base_channels=4, num_classes=3)
    on_meta = trace_shapes(model, (2, 1, 32, 48))
    on_cpu = trace_shapes(model, (2, 1, 32, 48), device="cpu")
    assert [(r.name, r.input_shapes, r.output_shape, r.params) for r in on_meta] == [
        (r.name, r.input_shapes, r.output_shape, r.params) for r in on_cpu
    ]
    assert len(on_meta) > 40


def test_meta_trace_allocates_no_tensor_memory():
    # a real forward at this size would need about 4 TB for the first feature map alone
    trace = trace_shapes(UNet(), (256, 1, 8192, 8192), max_depth=1)
    assert trace.find("in_conv").output_shape == (256, 64, 8192, 8192)


def test_trace_leaves_the_model_untouched():
    model = UNet(base_channels=4)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    trace_shapes(model, (2, 1, 32, 32))
    after = model.state_dict()
    assert all(after[k].device.type == "cpu" and torch.equal(before[k], after[k]) for k in before)
    assert not any(m._forward_hooks or m._forward_pre_hooks for m in model.modules())


def test_rows_nest_and_print_as_a_table():
    trace = trace_shapes(UNet(base_channels=4), (1, 1, 32, 32))
    up1 = trace.find("up1.upsampling")
    assert (up1.kind, up1.depth, up1.input_shapes, up1.output_shape) == (
        "ConvTranspose2d",
        2,
        ((1, 64, 2, 2),),
        (1, 32, 4, 4),
    )
    assert [r.name for r in trace.at_depth(1)][:2] == ["in_conv", "down1"]
    assert trace.index(trace.find("down1")) < trace.index(trace.find("down1.downsampling"))  # call order
    table = str(trace)
    assert table.splitlines()[0].split() == ["module", "kind", "input", "output", "params"]
    assert "(1, 64, 2, 2) cat (1, 32, 4, 4)" in table
    assert " + " not in table  # concatenation, not addition (the source text says "added")


def test_max_depth_and_bad_sizes():
    assert {r.depth for r in trace_shapes(UNet(base_channels=4), (1, 1, 16, 16), max_depth=2)} == {1, 2}
    with pytest.raises(ValueError, match="input_size must be positive whole numbers"):
        trace_shapes(UNet(), (10, 1, 480.0, 480))
    with pytest.raises(KeyError, match="No module named 'down9'"):
        trace_shapes(UNet(base_channels=4), (1, 1, 16, 16), max_depth=1).find("down9")
