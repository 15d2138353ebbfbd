"""An explorer for the transposed-convolution size formula: six sliders, the formula, PyTorch's answer.

``explorer_state(...)`` holds all the logic (the formula with numbers, the size or the reason
it is refused, and what a real ``nn.ConvTranspose2d`` gives or refuses); the widget built by
``conv_transpose_explorer()`` only wires sliders to it and redraws.

Names a browser test can rely on:

- sliders (``IntSlider``) with the descriptions ``"input size"``, ``"kernel"``, ``"stride"``,
  ``"padding"``, ``"output padding"``, ``"dilation"`` (``continuous_update=False``: the value
  is sent when the slider is released, or when a number is typed into its readout);
- a ``Label`` whose text always starts with ``"output size:"`` (e.g. ``"output size: 6"``,
  or ``"output size: refused - ..."``), with the CSS class ``unet-course-output-size``;
- the formula (``HTML``, a ``<pre>``), the check against PyTorch (``HTML``) and the scatter
  picture (an ``Image`` holding a PNG, hidden when the setting is refused).
"""

import html
import io

import ipywidgets as widgets
from torch import nn

from ..arithmetic import (
    TRANSPOSE_FORMULA,
    conv_transpose_formula,
    conv_transpose_output_size,
    conv_transpose_substituted,
    explain_conv_transpose,
    pytorch_output_size,
)
from ..i18n import tr
from ..viz.transposed import conv_transpose_settings, draw_conv_transpose

SLIDERS = [  # (keyword, description, min, max, default): the U-Net's kernel 2, stride 2
    ("size", "input size", 1, 8, 3),
    ("kernel_size", "kernel", 1, 6, 2),
    ("stride", "stride", 1, 4, 2),
    ("padding", "padding", 0, 4, 0),
    ("output_padding", "output padding", 0, 3, 0),
    ("dilation", "dilation", 1, 3, 1),
]


def explorer_state(size, kernel_size, stride=1, padding=0, output_padding=0, dilation=1):
    """Everything the explorer shows, for one setting of the six sliders, as a dict."""
    settings = conv_transpose_settings(size, kernel_size, stride, padding, output_padding, dilation)
    raw = conv_transpose_formula(**settings)
    try:
        out, error = conv_transpose_output_size(**settings), None
        formula = explain_conv_transpose(**settings)
    except ValueError as refusal:
        out, error = None, str(refusal)
        refused = tr("refused: {error}", error=error)
        formula = f"{TRANSPOSE_FORMULA}\n    = {conv_transpose_substituted(**settings)} = {raw}\n    {refused}"
    layer = nn.ConvTranspose2d(1, 1, kernel_size, stride, padding, output_padding, dilation=dilation)
    torch_size, torch_error = pytorch_output_size(layer, size)
    written = (
        f"nn.ConvTranspose2d(1, 1, kernel_size={kernel_size}, stride={stride}, padding={padding}, "
        f"output_padding={output_padding}, dilation={dilation})"
    )
    # PyTorch is not consistent at 0: some kernels refuse, others return an empty (1, 1, 0, 0) map
    empty = torch_size == 0 and raw == 0
    agree = out == torch_size or empty
    shape = {"layer": written, "size": size}
    if empty:
        check = tr(
            "{layer} returns an empty 0x0 map for a {size}x{size} input: the formula refuses a size of 0.", **shape
        )
    elif torch_error and agree:
        check = tr("{layer} refuses a {size}x{size} input ({why}): so does the formula.", why=torch_error, **shape)
    elif torch_error:
        check = tr(
            "{layer} refuses a {size}x{size} input ({why}): the formula DISAGREES (it says {out}).",
            why=torch_error,
            out=out,
            **shape,
        )
    elif agree:
        check = tr(
            "{layer} turns a {size}x{size} input into {out}x{out}, as the formula says.", out=torch_size, **shape
        )
    else:
        check = tr(
            "{layer} turns a {size}x{size} input into {out}x{out}: the formula DISAGREES ({formula}).",
            out=torch_size,
            formula=error or out,
            **shape,
        )
    label = tr("output size: {out}", out=out) if error is None else tr("output size: refused - {error}", error=error)
    return {
        **settings,
        "out": out,
        "error": error,
        "formula": formula,
        "torch_size": torch_size,
        "torch_error": torch_error,
        "agree": agree,
        "check": check,
        "label": label,
    }


def _png(fig):
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=80)
    return buffer.getvalue()


def conv_transpose_explorer(**initial):
    """The explorer: six sliders, the output size, the formula, PyTorch's check and the picture."""
    style = {"description_width": "110px"}
    sliders = {
        key: widgets.IntSlider(
            value=initial.get(key, default),
            min=low,
            max=high,
            description=description,
            continuous_update=False,
            style=style,
        )
        for key, description, low, high, default in SLIDERS
    }
    label = widgets.Label().add_class("unet-course-output-size")
    formula, check = widgets.HTML(), widgets.HTML()
    image = widgets.Image(format="png")

    def update(_change=None):
        state = explorer_state(**{key: slider.value for key, slider in sliders.items()})
        if state["error"] is None:  # draw first, so the picture and the numbers change together
            image.value = _png(draw_conv_transpose(**{key: state[key] for key in sliders}, formula=False))
        image.layout.display = None if state["error"] is None else "none"
        label.value = state["label"]
        formula.value = f"<pre>{html.escape(state['formula'])}</pre>"
        color = "#009E73" if state["agree"] else "#D55E00"
        check.value = f"<span style='color:{color}'>{html.escape(state['check'])}</span>"

    for slider in sliders.values():
        slider.observe(update, names="value")
    update()
    return widgets.VBox([widgets.VBox(list(sliders.values())), label, formula, check, image])
