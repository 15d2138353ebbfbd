"""The one plotting style of the course: one palette, one way to make a figure and one to finish it.

Every ``viz`` module draws with these helpers, so a new plot copies one pattern:

    fig = new_figure((9, 3.2))           # released by pyplot at once: nothing stays open
    left, right = fig.subplots(1, 2)
    ...                                  # draw, with colours from PALETTE
    return finish(fig, title="...")      # suptitle and tight layout; the notebook shows it once

Colours are Okabe-Ito, which stay distinct with the common colour-vision deficiencies.
"""

import matplotlib.pyplot as plt
import numpy as np
import torch

PALETTE = {  # Okabe-Ito
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "grey": "#999999",
    "black": "#000000",
}
# the order in which a plot gives one colour to each of several things (inputs, models, ...)
CYCLE = tuple(PALETTE[name] for name in ("orange", "sky_blue", "green", "purple", "blue", "vermillion", "yellow"))


def rgb(colour):
    """``"#E69F00"`` -> (0.902, 0.624, 0.0): a palette colour as three numbers in 0..1."""
    return tuple(int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))


def new_figure(figsize, layout=None, dpi=None):
    """A new figure of ``figsize`` inches, already released by pyplot (a notebook shows it once, when returned).

    ``layout="constrained"`` lets matplotlib place the panels as it draws; without it,
    ``finish`` tightens the layout.
    """
    fig = plt.figure(figsize=figsize, layout=layout, dpi=dpi)
    plt.close(fig)
    return fig


def finish(fig, title=None, title_size=10, rect=None):
    """Add the figure's title, tighten the layout (unless it is constrained) and return the figure.

    ``rect`` keeps the layout inside (left, bottom, right, top), leaving room for a legend or text.
    """
    if title:
        fig.suptitle(title, fontsize=title_size)
    if fig.get_layout_engine() is None:
        fig.tight_layout(rect=rect)
    return fig


def as_2d(array):
    """A (H, W) numpy array from a (H, W), (1, H, W) or (1, 1, H, W) tensor or array."""
    if isinstance(array, torch.Tensor):
        array = array.detach().float().cpu().numpy()
    array = np.asarray(array)
    while array.ndim > 2 and array.shape[0] == 1:
        array = array[0]
    if array.ndim != 2:
        raise ValueError(f"Expected one image (H, W) or (1, H, W), got shape {array.shape}.")
    return array


def hide_ticks(*axes):
    """No ticks on image panels: the pixel grid is not the point."""
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
