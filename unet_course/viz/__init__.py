"""Every plot of the course, one module per thing drawn; all of them made with ``viz.style``.

- ``style``: the palette, ``new_figure``, ``finish`` and ``as_2d``: the one pattern every plot follows
- ``architecture``: the U from a shape trace, the encoder's sizes, parameters and cost per block
- ``transposed``: the transposed convolution as a scatter picture (1-D, 2-D, a gallery)
- ``data``: images with their masks, pixel histograms, one label vs a label per pixel
- ``features``: feature maps as a grid of small images
- ``training``: loss and Dice curves (notebook 07)
- ``optimization``: validation Dice per learning rate, the learning rate per step (notebook 07)
- ``evaluation``: predictions vs truth, error maps, per-image Dice, the threshold (notebook 08)

Functions take what they draw as arguments and return the figure; where both a prediction and
a mask are drawn, the prediction comes first.
"""

from .architecture import draw_unet, draw_unets, plot_breakdown, plot_encoder  # noqa: F401
from .data import plot_image_vs_pixel_labels, plot_intensity_histograms, show_images, show_pairs  # noqa: F401
from .evaluation import (  # noqa: F401
    error_map,
    label_picture,
    overlay,
    plot_instances,
    plot_per_image_dice,
    plot_predictions,
    plot_threshold,
    plot_threshold_curves,
)
from .features import show_feature_maps  # noqa: F401
from .optimization import plot_lr_experiment, plot_schedule  # noqa: F401
from .training import LiveHistoryPlot, plot_history  # noqa: F401
from .transposed import draw_conv_transpose, draw_conv_transpose_2d, draw_conv_transpose_gallery  # noqa: F401
