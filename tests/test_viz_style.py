"""The one plotting style: the palette, figures released by pyplot, finish's title and layout."""

import ast
from pathlib import Path

import matplotlib.pyplot as plt

import unet_course.viz
from unet_course.viz.style import CYCLE, PALETTE, finish, new_figure, rgb

VIZ = Path(unet_course.viz.__file__).parent


def test_palette_is_okabe_ito_and_the_cycle_draws_from_it():
    assert PALETTE["orange"] == "#E69F00" and PALETTE["sky_blue"] == "#56B4E9"
    assert set(CYCLE) <= set(PALETTE.values()) and len(set(CYCLE)) == len(CYCLE) == 7
    assert rgb("#E69F00") == (230 / 255, 159 / 255, 0.0)


def test_new_figure_is_released_and_finish_titles_and_tightens():
    before = plt.get_fignums()
    fig = new_figure((4, 2))
    assert plt.get_fignums() == before and tuple(fig.get_size_inches()) == (4.0, 2.0)
    fig.subplots(1, 2)
    assert finish(fig, "a title", title_size=9) is fig
    assert fig._suptitle.get_text() == "a title" and fig._suptitle.get_fontsize() == 9
    constrained = new_figure((4, 2), layout="constrained")
    assert finish(constrained).get_layout_engine().__class__.__name__ == "ConstrainedLayoutEngine"


def test_no_viz_module_imports_a_siblings_private_name_or_makes_figures_its_own_way():
    for path in VIZ.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                private = [a.name for a in node.names if a.name.startswith("_")]
                assert not private, f"{path.name} imports private {private} from .{node.module}"
        if path.name != "style.py":
            text = path.read_text()
            for call in ("plt.figure(", "plt.subplots(", "plt.close("):
                assert call not in text, f"{path.name} calls {call}: use viz.style.new_figure / finish"
