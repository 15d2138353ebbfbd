r"""The transposed convolution drawn as what it does: each input cell scatters a weighted kernel.

Along one axis, input cell ``i`` adds ``x[i] * w[j]`` at position ``i * stride + j * dilation``
of an uncropped canvas, for every kernel tap ``j``; overlaps are summed. ``output_padding``
appends cells at the end of the canvas, then ``padding`` cells are cropped from each side:

    canvas = (in - 1) * stride + dilation * (kernel_size - 1) + 1 + output_padding
    out    = canvas - 2 * padding

``conv_transpose_scatter`` / ``conv_transpose_scatter_2d`` compute the picture's numbers
(and match ``F.conv_transpose1d`` / ``F.conv_transpose2d``); the ``draw_...`` functions
return a figure made and finished with ``viz.style``.
"""

import textwrap

import numpy as np
from matplotlib.patches import Rectangle

from ..arithmetic import conv_transpose_formula, conv_transpose_output_size, explain_conv_transpose
from ..i18n import using
from .style import CYCLE, PALETTE, finish, new_figure

CROPPED, GRID = "#BBBBBB", "#333333"  # light and dark grey: cropped cells, cell borders


def _values(values, shape, default):
    values = default if values is None else np.asarray(values, dtype=float)
    if values.shape != shape:
        raise ValueError(f"expected values of shape {shape}, got {values.shape}.")
    return values


def conv_transpose_scatter(size, kernel_size, stride=1, padding=0, output_padding=0, dilation=1, x=None, weight=None):
    """Numbers of the 1-D picture: one row of kernel copies per input cell, their sum, the output.

    ``x`` defaults to 1, 2, ..., size and ``weight`` to ones, so each summed cell tells which
    inputs landed on it. Raises ``ValueError`` (from ``arithmetic``) where PyTorch would refuse.
    """
    out = conv_transpose_output_size(size, kernel_size, stride, padding, output_padding, dilation)
    x = _values(x, (size,), np.arange(1.0, size + 1))
    weight = _values(weight, (kernel_size,), np.ones(kernel_size))
    full = conv_transpose_formula(size, kernel_size, stride, 0, 0, dilation)  # the canvas before cropping
    contributions = np.full((size, full + output_padding), np.nan)  # nan: this input does not reach there
    for i in range(size):
        contributions[i, i * stride + dilation * np.arange(kernel_size)] = x[i] * weight
    canvas = np.nansum(contributions, axis=0)
    return {
        "x": x,
        "weight": weight,
        "contributions": contributions,
        "canvas": canvas,
        "full": full,
        "output": canvas[padding : padding + out],
        "start": padding,
        "out": out,
    }


def conv_transpose_scatter_2d(
    size, kernel_size, stride=1, padding=0, output_padding=0, dilation=1, x=None, weight=None
):
    """The 2-D version on a square ``size x size`` input: canvas, output and each input's footprint."""
    out = conv_transpose_output_size(size, kernel_size, stride, padding, output_padding, dilation)
    x = _values(x, (size, size), np.arange(1.0, size * size + 1).reshape(size, size))
    weight = _values(weight, (kernel_size, kernel_size), np.ones((kernel_size, kernel_size)))
    full = conv_transpose_formula(size, kernel_size, stride, 0, 0, dilation)  # the canvas before cropping
    canvas = np.zeros((full + output_padding,) * 2)
    taps = dilation * np.arange(kernel_size)
    footprints = {}
    for i in range(size):
        for j in range(size):
            rows, cols = i * stride + taps, j * stride + taps
            canvas[np.ix_(rows, cols)] += x[i, j] * weight
            footprints[i, j] = (rows, cols)
    output = canvas[padding : padding + out, padding : padding + out]
    return {"x": x, "weight": weight, "canvas": canvas, "output": output, "footprints": footprints, "out": out}


def _cell(ax, col, row, text, color, alpha=1.0, hatch=None, dashed=False):
    ax.add_patch(
        Rectangle(
            (col, -row - 1),
            1,
            1,
            facecolor=color,
            alpha=alpha,
            hatch=hatch,
            edgecolor=GRID,
            linestyle="--" if dashed else "-",
        )
    )
    ax.text(col + 0.5, -row - 0.5, text, ha="center", va="center", fontsize=8)


def _number(value):
    return f"{value:g}"


def _draw_1d(ax, data, settings):
    size, stride = len(data["x"]), settings["stride"]
    width = data["contributions"].shape[1]
    for i, value in enumerate(data["x"]):  # the input, laid out at its stride positions
        _cell(ax, i * stride, 0, _number(value), CYCLE[i % len(CYCLE)])
    for i, row in enumerate(data["contributions"]):
        for col in np.flatnonzero(~np.isnan(row)):
            _cell(ax, col, i + 1, _number(row[col]), CYCLE[i % len(CYCLE)], alpha=0.55)
    start, out, full = data["start"], data["out"], data["full"]
    for col, value in enumerate(data["canvas"]):
        kept = start <= col < start + out
        color = "white" if kept else CROPPED
        _cell(ax, col, size + 1, _number(value), color, hatch=None if kept else "//", dashed=col >= full)
    for col, value in enumerate(data["output"]):
        _cell(ax, start + col, size + 2, _number(value), "white")
    labels = ["input x"] + [f"x[{i}] * w" for i in range(size)] + ["sum (canvas)", f"output ({out})"]
    ax.set_yticks([-r - 0.5 for r in range(len(labels))], labels, fontsize=8)
    ax.set_xticks(np.arange(width) + 0.5, [str(c) for c in range(width)], fontsize=7)
    ax.set_xlim(-0.2, max(width, 1) + 0.2)
    ax.set_ylim(-len(labels) - 0.2, 0.2)
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)


def _title(settings, out):
    s = settings
    return (
        f"in={s['size']} kernel={s['kernel_size']} stride={s['stride']} padding={s['padding']} "
        f"output_padding={s['output_padding']} dilation={s['dilation']}  ->  out={out}"
    )


def conv_transpose_settings(size, kernel_size, stride=1, padding=0, output_padding=0, dilation=1):
    """The six settings of a 1-D transposed convolution as a dict (the keywords of the arithmetic functions)."""
    return {
        "size": size,
        "kernel_size": kernel_size,
        "stride": stride,
        "padding": padding,
        "output_padding": output_padding,
        "dilation": dilation,
    }


def draw_conv_transpose(
    size, kernel_size, stride=1, padding=0, output_padding=0, dilation=1, x=None, weight=None, formula=True
):
    """The 1-D scatter picture: input, one kernel copy per input cell, the summed canvas, the output.

    Grey hatched cells are cropped by ``padding``; dashed ones are added by ``output_padding``.
    With ``formula=True`` the formula with the numbers filled in is written under the picture.
    """
    settings = conv_transpose_settings(size, kernel_size, stride, padding, output_padding, dilation)
    data = conv_transpose_scatter(**settings, x=x, weight=weight)
    width = data["contributions"].shape[1]
    fig = new_figure((max(6.5, 1.2 + 0.42 * width), 1.0 + 0.32 * (size + 3) + (0.9 if formula else 0)))
    ax = fig.add_subplot()
    _draw_1d(ax, data, settings)
    ax.set_title(_title(settings, data["out"]), fontsize=9)
    if formula:
        text = explain_conv_transpose(**settings).replace("dilation * (kernel_size - 1)", "d * (k - 1)")
        fig.text(0.01, 0.01, text, family="monospace", fontsize=7, va="bottom")
    return finish(fig, rect=(0, 0.22 if formula else 0, 1, 1))


def draw_conv_transpose_gallery(settings_list, size=3):
    """The static explorer: one 1-D picture per setting (a dict of keyword arguments, ``size`` optional).

    A setting PyTorch refuses gets a panel saying why instead of a picture.
    """
    rows = []
    for options in settings_list:
        settings = conv_transpose_settings(**{"size": size, **options})
        try:
            with using("en"):  # figure text stays English: matplotlib may have no Chinese glyphs
                rows.append((settings, conv_transpose_scatter(**settings), None))
        except ValueError as error:
            rows.append((settings, None, str(error)))
    heights = [len(data["x"]) + 3 if data else 2 for _, data, _ in rows]
    width = max([data["contributions"].shape[1] for _, data, _ in rows if data] + [8])
    fig = new_figure((max(6.5, 1.2 + 0.42 * width), 0.9 * len(rows) + 0.32 * sum(heights)))
    axes = fig.subplots(len(rows), 1, squeeze=False, gridspec_kw={"height_ratios": heights})[:, 0]
    for ax, (settings, data, error) in zip(axes, rows):
        if data is None:
            ax.axis("off")
            ax.set_title(_title(settings, "refused"), fontsize=9)
            ax.text(0.0, 0.5, _wrap(error, 80), fontsize=8, va="center", color=PALETTE["vermillion"])
            continue
        _draw_1d(ax, data, settings)
        ax.set_xlim(-0.2, width + 0.2)
        ax.set_title(_title(settings, data["out"]), fontsize=9)
    return finish(fig)


def _wrap(text, width):
    return "\n".join(textwrap.wrap(text, width))


def draw_conv_transpose_2d(size, kernel_size, stride=1, padding=0, output_padding=0, dilation=1, x=None, weight=None):
    """The 2-D picture: the input, and the output with each input pixel's kernel footprint outlined.

    Output cells show the summed values; cells cropped by ``padding`` are hatched grey.
    """
    settings = conv_transpose_settings(size, kernel_size, stride, padding, output_padding, dilation)
    data = conv_transpose_scatter_2d(**settings, x=x, weight=weight)
    canvas, n = data["canvas"], len(data["canvas"])
    fig = new_figure((3.0 + 0.45 * n, 0.9 + 0.45 * n))
    ax_in, ax_out = fig.subplots(1, 2, gridspec_kw={"width_ratios": [max(size, 2), n]})
    for (i, j), value in np.ndenumerate(data["x"]):
        _cell(ax_in, j, i, _number(value), CYCLE[(i * size + j) % len(CYCLE)])
    for (i, j), value in np.ndenumerate(canvas):
        kept = padding <= i < padding + data["out"] and padding <= j < padding + data["out"]
        _cell(ax_out, j, i, _number(value), "white" if kept else CROPPED, hatch=None if kept else "//")
    for index, (rows, cols) in enumerate(data["footprints"].values()):
        color, inset = CYCLE[index % len(CYCLE)], 0.08 + 0.06 * (index % 3)
        for r in rows:
            for c in cols:
                ax_out.add_patch(
                    Rectangle(
                        (c + inset, -r - 1 + inset), 1 - 2 * inset, 1 - 2 * inset, fill=False, edgecolor=color, lw=2
                    )
                )
    ax_in.set_title(f"input {size}x{size}", fontsize=9)
    ax_out.set_title(f"output {data['out']}x{data['out']} (canvas {n}x{n}, footprints outlined)", fontsize=9)
    for ax, extent in [(ax_in, size), (ax_out, n)]:
        ax.set_xlim(-0.1, extent + 0.1)
        ax.set_ylim(-extent - 0.1, 0.1)
        ax.set_aspect("equal")
        ax.axis("off")
    return finish(fig, _title(settings, data["out"]), title_size=9)
