"""Feature maps as a grid of small images: what each channel of a layer responds to."""

import numpy as np

from .style import finish, new_figure


def show_feature_maps(maps, max_maps=16, ncols=8, title=None, image=None, dpi=72):
    """Show the first ``max_maps`` channels of ``maps`` (C, H, W) or (1, C, H, W), one small image each.

    Each map gets its own colour range (viridis: dark = low, yellow = high), so weak and
    strong channels are both visible. With ``image`` (H, W), it is shown first for reference.
    Returns the figure.
    """
    maps = np.asarray(maps.detach().cpu() if hasattr(maps, "detach") else maps, dtype=float)
    if maps.ndim == 4 and maps.shape[0] == 1:
        maps = maps[0]
    if maps.ndim != 3:
        raise ValueError(
            f"show_feature_maps expects maps of shape (C, H, W) or (1, C, H, W), got {maps.shape}. "
            "Pick one image of the batch, e.g. maps[0]."
        )
    panels = [("input", np.asarray(image, dtype=float), "gray")] if image is not None else []
    panels += [(f"channel {c}", m, "viridis") for c, m in enumerate(maps[:max_maps])]
    nrows = -(-len(panels) // ncols)
    fig = new_figure((1.3 * ncols, 1.45 * nrows + (0.4 if title else 0)), layout="constrained", dpi=dpi)
    for ax in fig.subplots(nrows, ncols, squeeze=False).ravel():
        ax.axis("off")
    for ax, (name, values, cmap) in zip(fig.axes, panels):
        ax.imshow(values, cmap=cmap, interpolation="nearest")
        ax.set_title(name, fontsize=8)
    return finish(fig, title)
