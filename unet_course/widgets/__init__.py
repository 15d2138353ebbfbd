"""ipywidgets explorers built on ``arithmetic`` and ``viz``: the widgets hold no logic of their own."""
