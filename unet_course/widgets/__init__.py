"""ipywidgets explorers built on ``arithmetic`` and ``viz``: the widgets hold no logic of their own."""

from .threshold import threshold_explorer, threshold_state  # noqa: F401
from .transposed import conv_transpose_explorer, explorer_state  # noqa: F401
