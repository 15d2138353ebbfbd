"""The network's architecture: the U drawn from a real shape trace, the encoder's sizes and
channels, and where the parameters and the arithmetic live (notebooks 00, 02 and 05).
"""

from math import log2

from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, Rectangle

from .style import PALETTE, finish, new_figure

ROLE_COLOURS = {  # one palette colour per kind of stage
    "input": PALETTE["grey"],
    "in_conv": PALETTE["blue"],
    "down": PALETTE["vermillion"],
    "up": PALETTE["green"],
    "out_conv": PALETTE["purple"],
    "skip": PALETTE["orange"],
}
ARROW_LABELS = {
    "in_conv": "two 3x3 convolutions (DoubleConv)",
    "down": "max-pool 2x2, then DoubleConv",
    "up": "up-sample x2, concatenate the skip, DoubleConv",
    "out_conv": "conv 1x1",
}


def unet_stages(trace):
    """The U's stages from a shape trace: (name, role, level, shape without the batch), input first."""
    rows = {row.name: row for row in trace if row.depth == 1}
    depth = sum(1 for name in rows if name.startswith("down"))
    expected = ["in_conv", *(f"down{i}" for i in range(1, depth + 1)), *(f"up{i}" for i in range(1, depth + 1))]
    missing = [name for name in [*expected, "out_conv"] if name not in rows]
    if depth == 0 or missing:
        raise ValueError(
            f"draw_unet needs a trace of a UNet (modules in_conv, down1.., up1.., out_conv); "
            f"missing {missing or ['down1']}. Pass trace_shapes(UNet(), input_size)."
        )
    stages = [("input", "input", 0, rows["in_conv"].input_shapes[0][1:])]
    for name in [*expected, "out_conv"]:
        role = name.rstrip("0123456789")
        step = int(name[len(role) :] or 0)
        level = {"down": step, "up": depth - step}.get(role, 0)
        stages.append((name, role, level, rows[name].output_shape[1:]))
    return stages


def _label(shape):
    return "\u00d7".join(map(str, shape))


def draw_unet(trace, title=None, ax=None, reference_size=None):
    """Draw the U of a ``trace_shapes(UNet(...), input_size)``: one box per stage, skips as arrows.

    A box's height is proportional to the map's height (relative to ``reference_size``, by
    default the input's), its width grows with log2 of the channels; each box carries its
    shape (channels x height x width, batch left out). Returns the figure.
    """
    stages = unet_stages(trace)
    depth = max(level for _, _, level, _ in stages)
    if ax is None:
        fig = new_figure((12, 5.2), layout="constrained")
        ax = fig.add_subplot()
    reference_size = reference_size or stages[0][3][1]
    boxes, column_step, level_step = {}, 2.0, 1.7
    for column, (name, role, level, shape) in enumerate(stages):
        width = 0.3 + 0.11 * log2(shape[0]) if shape[0] > 0 else 0.3
        height = max(2.6 * shape[1] / reference_size, 0.08)
        x, y = column * column_step, -level * level_step
        ax.add_patch(Rectangle((x - width / 2, y - height / 2), width, height, color=ROLE_COLOURS[role], alpha=0.85))
        ax.text(x, y + height / 2 + 0.08, name, ha="center", va="bottom", fontsize=8)
        ax.text(x, y - height / 2 - 0.08, _label(shape), ha="center", va="top", fontsize=8)
        boxes[name] = (x, y, width, height, role)
    _stage_arrows(ax, stages, boxes)
    crop = any(len(row.input_shapes) == 2 and row.input_shapes[1][2] != row.output_shape[2] for row in trace)
    _skip_arrows(ax, stages, boxes, depth, "crop + concatenate" if crop else "concatenate")
    ax.set_xlim(-column_step * 0.6, (len(stages) - 0.4) * column_step)
    ax.set_ylim(-depth * level_step - 0.9, 2.1)
    ax.axis("off")
    handles = [Line2D([], [], color=ROLE_COLOURS[r], lw=2, label=text) for r, text in ARROW_LABELS.items()]
    handles.append(Line2D([], [], color=ROLE_COLOURS["skip"], lw=2, ls="--", label="skip connection"))
    ax.legend(handles=handles, loc="lower right", fontsize=8, frameon=False)
    ax.set_title(title or f"U-Net traced at input {_label(trace[0].input_shapes[0])}", fontsize=10)
    return ax.figure


def _arrow(ax, start, end, color, style="-"):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=10, color=color, ls=style, lw=1.5))


def _stage_arrows(ax, stages, boxes):
    for (before, *_), (after, role, *_) in zip(stages, stages[1:]):
        x0, y0, w0, _, _ = boxes[before]
        x1, y1, w1, _, _ = boxes[after]
        _arrow(ax, (x0 + w0 / 2, y0), (x1 - w1 / 2, y1), ROLE_COLOURS[role])


def _skip_arrows(ax, stages, boxes, depth, text):
    encoder = [name for name, role, _, _ in stages if role in ("in_conv", "down")][:depth]
    for level, name in enumerate(encoder):
        x0, y0, w0, h0, _ = boxes[name]
        x1, _, w1, _, _ = boxes[f"up{depth - level}"]
        y = y0 + (h0 / 2 + 0.5 if level == 0 else 0)  # level 0: above the stage arrows
        _arrow(ax, (x0 + w0 / 2, y), (x1 - w1 / 2, y), ROLE_COLOURS["skip"], "--")
        ax.text((x0 + x1) / 2, y + 0.05, text, ha="center", va="bottom", fontsize=7, color="#555555")


def draw_unets(traces, titles):
    """Several traced U-Nets one above the other, on the same scale (e.g. the text's and the paper's)."""
    reference_size = max(trace[0].input_shapes[0][2] for trace in traces)
    fig = new_figure((12, 5.2 * len(traces)), layout="constrained")
    for ax, trace, title in zip(fig.subplots(len(traces), 1, squeeze=False)[:, 0], traces, titles):
        draw_unet(trace, title, ax, reference_size)
    return finish(fig)


def plot_encoder(trace):
    """Height (= width) and channels at each level of the encoder, from a trace."""
    stages = [s for s in unet_stages(trace) if s[1] in ("in_conv", "down")]
    names = [name for name, *_ in stages]
    sizes, channels = [s[3][1] for s in stages], [s[3][0] for s in stages]
    fig = new_figure((10, 3.4), layout="constrained")
    left, right = fig.subplots(1, 2)
    for ax, values, what, color in [
        (left, sizes, "height = width (pixels)", ROLE_COLOURS["down"]),
        (right, channels, "channels", ROLE_COLOURS["in_conv"]),
    ]:
        bars = ax.bar(names, values, color=color)
        ax.bar_label(bars, labels=[str(v) for v in values], fontsize=8)
        ax.set_yscale("log", base=2)
        ax.set_ylabel(what + " (log scale)")
        ax.set_ylim(min(values) / 2, max(values) * 2)
    left.set_title("each max-pool halves the size")
    right.set_title("each Down doubles the channels")
    return finish(fig)


def plot_breakdown(params, multiply_adds=None, title=None):
    """Horizontal bars per block: parameters (and multiply-adds, if given), with their shares."""
    panels = [("parameters", params, 1e6, "M", ROLE_COLOURS["in_conv"])]
    if multiply_adds is not None:
        panels.append(("multiply-adds", multiply_adds, 1e9, "G", ROLE_COLOURS["up"]))
    fig = new_figure((5.5 * len(panels), 0.35 * len(params) + 1.2), layout="constrained")
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, (what, values, scale, unit, color) in zip(axes, panels):
        names, numbers = list(values)[::-1], list(values.values())[::-1]
        total = sum(numbers)
        bars = ax.barh(names, [n / scale for n in numbers], color=color)
        ax.bar_label(bars, labels=[f"{n / scale:.3g} {unit} ({100 * n / total:.1f}%)" for n in numbers], fontsize=8)
        ax.set_xlim(0, max(numbers) / scale * 1.45)
        ax.set_xlabel(f"{what} ({unit}); total {total / scale:.2f} {unit}")
    return finish(fig, title)
