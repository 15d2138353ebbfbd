"""Every plot of the course. Functions take what they draw as arguments and return the figure."""

from .data import plot_intensity_histograms, show_images, show_pairs  # noqa: F401
from .diagram import draw_unet, draw_unets, plot_breakdown, plot_encoder, plot_image_vs_pixel_labels  # noqa: F401
from .features import show_feature_maps  # noqa: F401
from .training import (  # noqa: F401
    LiveHistoryPlot,
    error_map,
    overlay,
    plot_history,
    plot_per_image_dice,
    plot_predictions,
    plot_threshold,
)
from .transposed import draw_conv_transpose, draw_conv_transpose_2d, draw_conv_transpose_gallery  # noqa: F401
