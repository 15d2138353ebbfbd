"""ipywidgets explorers built on ``arithmetic`` and ``viz``: the widgets hold no logic of their own."""

from .transposed import conv_transpose_explorer, explorer_state  # noqa: F401
