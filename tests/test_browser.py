"""The course in a real browser: JupyterLab on 127.0.0.1, Chromium (or Chrome) driven by Playwright.

For each notebook: open it in Lab, clear every output (Edit menu), run all cells (Run menu),
wait for the kernel to go idle with every cell numbered 1..N, then check what a person would see:
no cell shows an error, every cell that stores a figure shows an image with a real size, every
cell that stores a widget shows a rendered widget. In 03 the transposed-conv explorer's
"input size" slider is dragged with the mouse and the "output size:" label must change to what
``explorer_state`` says; in 08 the threshold explorer's slider is dragged and its Dice and
error-count label must change. A screenshot per notebook goes to artifacts/browser/ (with the run's time).

The notebooks run from a temporary copy, so nothing the browser does is saved over the stored
outputs. The checker itself is shown to fail on a notebook whose cell raises and on one whose
widgets cannot render (one needs a front-end module that does not exist, as when a widget's
extension is missing; one claims a widget view whose model is not there).
"""

import json
import os
import re
import shutil
import sys
import time
from pathlib import Path

import nbformat
import pytest
from browser_helpers import (
    PlaywrightTimeout,  # None without Playwright: the browser fixture says so
    isolated_jupyter_env,
    lab_server,
    problems,
    run_all_in_lab,
    shut_down_kernels,
    write_quiet_lab_config,
)

ROOT = Path(__file__).resolve().parents[1]
# $UNET_COURSE_CHROMIUM if set (e.g. Chrome on a Mac), else Debian's Chromium, else one on the PATH
CHROMIUM = Path(
    os.environ.get("UNET_COURSE_CHROMIUM")
    or next(
        (found for name in ("chromium", "chromium-browser", "google-chrome") if (found := shutil.which(name))),
        "/usr/bin/chromium",
    )
)
ARTIFACTS = ROOT / "artifacts" / "browser"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
EXPLORER = "conv_transpose_explorer("
THRESHOLD_EXPLORER = "threshold_explorer("
# every cell in the page at once (Lab's default windowing only renders cells near the viewport)
LAB_SETTINGS = {"@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"}}

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def lab(tmp_path_factory, browser):
    """JupyterLab from this environment, serving a copy of notebooks/ and the checker's broken notebooks.

    Asks for ``browser`` first, so that without one the test skips before a server starts.
    """
    work = tmp_path_factory.mktemp("lab")
    root = work / "root"
    ignore = shutil.ignore_patterns("student", ".ipynb_*", "checkpoints")  # as in a fresh clone
    shutil.copytree(ROOT / "notebooks", root / "notebooks", ignore=ignore)
    write_broken_notebooks(root / "broken")
    env = isolated_jupyter_env(work)
    env["CUDA_VISIBLE_DEVICES"] = ""  # the stored outputs are a CPU run
    write_quiet_lab_config(env["JUPYTER_CONFIG_DIR"])
    with lab_server(sys.executable, root, work, env=env, settings=LAB_SETTINGS) as (url, token):
        yield url, token, root


@pytest.fixture(scope="module")
def browser(require):
    require(
        PlaywrightTimeout is not None,
        "Playwright is not installed (the browser test drives Chromium with it)",
        "install the pinned requirements: pip install -r requirements.txt",
    )
    require(
        CHROMIUM.exists(),
        f"Chromium not found at {CHROMIUM} (the browser test needs Chromium or Chrome)",
        "install it with `sudo apt-get update && sudo apt-get install -y chromium` (.ci/run does this), "
        "or point UNET_COURSE_CHROMIUM at a Chrome/Chromium executable",
    )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"])
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser, lab):
    url, token, _ = lab
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    try:
        yield context.new_page()
    finally:
        context.close()
        shut_down_kernels(url, token)  # one kernel at a time: notebooks that train hold memory


def run_and_report(page, lab, relative, timeout_s=420):
    url, token, root = lab
    nb = nbformat.read(root / relative, as_version=4)
    start = time.perf_counter()
    report = run_all_in_lab(page, url, token, relative, nb, timeout_s=timeout_s)
    report["seconds"] = round(time.perf_counter() - start, 1)
    return nb, report


def save_artifacts(page, name, report, found, show=None):
    """A screenshot (scrolled to ``show``, a code cell's index, or else the first figure) and the run's summary."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    cells = page.locator(".jp-NotebookPanel .jp-CodeCell")
    target = cells.nth(show) if show is not None else page.locator(".jp-NotebookPanel .jp-OutputArea-output img").first
    if target.count():
        target.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
    summary = {"notebook": name, "seconds": report["seconds"], "problems": found, "prompts": report["prompts"]}
    (ARTIFACTS / f"{name}.json").write_text(json.dumps(summary, indent=1) + "\n")


def code_cell_index(nb, text):
    """The index, among code cells, of the first whose source holds ``text`` (None if none does)."""
    sources = [cell.source for cell in nb.cells if cell.cell_type == "code"]
    return next((i for i, source in enumerate(sources) if text in source), None)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_and_renders_in_jupyterlab(page, lab, notebook):
    nb, report = run_and_report(page, lab, f"notebooks/{notebook.name}")
    found, show = problems(report, nb), None
    if notebook.name.startswith("00_"):  # the U diagram, drawn from the real model's shape trace
        show = code_cell_index(nb, "draw_unet(")
        if show is None:
            found.append("notebook 00 does not draw the U diagram (draw_unet)")
        elif not any(w > 0 and h > 0 for o in report["cells"][show]["outputs"] for w, h in o["images"]):
            found.append("the U diagram did not render")
    if notebook.name.startswith("03_"):
        show = code_cell_index(nb, EXPLORER)
        found += explorer_problems(page, nb)
    if notebook.name.startswith("08_"):
        show = code_cell_index(nb, THRESHOLD_EXPLORER)
        found += threshold_problems(page, nb)
    save_artifacts(page, notebook.stem, report, found, show)
    print(f"{notebook.stem}: ran in the browser in {report['seconds']} s")
    assert not found, "\n".join(found)


def drag(page, handle, dx):
    """Press on a slider's handle and move it dx pixels sideways, as a hand would."""
    handle.scroll_into_view_if_needed()
    box = handle.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx, y, steps=5)
    page.mouse.up()


def changed(page, label, before, what):
    """Wait until the label's text differs from ``before``; a problem if it does not within 20 s."""
    try:
        page.wait_for_function(
            "([el, b]) => el.textContent !== b", arg=[label.element_handle(), before], timeout=20_000
        )
    except PlaywrightTimeout:
        return [f"moving the {what} slider did not change the label {before!r} within 20 s"]
    return []


def slide(page, nb, code, label_class, slider, dx, name):
    """Find the widget ``code`` shows, drag its ``slider`` dx pixels, wait for its label to change.

    Returns (the widget's output area, the label before, the label after, problems found).
    """
    if not any(code in cell.source for cell in nb.cells if cell.cell_type == "code"):
        return None, None, None, [f"the notebook does not show the {name} ({code})"]
    explorer = page.locator(".jp-OutputArea-output", has=page.locator(f".{label_class}")).first
    if not explorer.count():
        return None, None, None, [f"the {name} did not render (no .{label_class} label)"]
    label = explorer.locator(f".{label_class}")
    before = label.text_content()
    drag(page, explorer.locator(".widget-slider", has_text=slider).locator(".noUi-handle"), dx)
    found = changed(page, label, before, repr(slider))
    return explorer, before, label.text_content(), found


def threshold_problems(page, nb):
    """Drag the threshold explorer's slider in 08: its Dice / error-count label must follow."""
    _, before, after, found = slide(
        page, nb, THRESHOLD_EXPLORER, "unet-course-threshold-label", "threshold", 60, "threshold explorer"
    )
    print(f"threshold explorer: {before!r} -> {after!r}")
    if not found and not re.fullmatch(r"Dice \d\.\d{3}: \d+ false-positive and \d+ false-negative pixels", after):
        found.append(f"after moving the threshold the label reads {after!r}")
    return found


def explorer_problems(page, nb):
    """Drag the explorer's "input size" slider; the "output size:" label must follow explorer_state."""
    from unet_course.widgets.transposed import SLIDERS, explorer_state

    explorer, before, after, found = slide(  # to the right: a bigger input
        page, nb, EXPLORER, "unet-course-output-size", "input size", 40, "transposed-conv explorer"
    )
    if found:
        return found
    readouts = explorer.locator(".widget-slider").evaluate_all(
        "els => els.map(e => [e.querySelector('.widget-label'), e.querySelector('.widget-readout')])"
        ".map(([label, readout]) => [label.textContent, readout.textContent])"
    )
    values = dict(readouts)
    settings = {key: int(values[description]) for key, description, *_ in SLIDERS}
    expected = explorer_state(**settings)["label"]
    print(f"explorer: {before!r} -> {after!r} at {settings}")
    if not after.startswith("output size:") or after != expected:
        return [f"after moving the slider the label shows {after!r}, explorer_state says {expected!r}"]
    return []


# --- the checker can fail -------------------------------------------------------------------

KERNEL = {"kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}}
MISSING_FRONT_END = """import ipywidgets as widgets
from traitlets import Unicode


class Missing(widgets.DOMWidget):  # a widget whose front-end module is not installed
    _model_module = _view_module = Unicode("unet-course-missing-frontend").tag(sync=True)
    _model_name = Unicode("MissingModel").tag(sync=True)
    _view_name = Unicode("MissingView").tag(sync=True)


Missing()"""
NOT_A_WIDGET = """from IPython.display import display

view = {"model_id": "0123456789abcdef0123456789abcdef", "version_major": 2, "version_minor": 0}
display({"application/vnd.jupyter.widget-view+json": view, "text/plain": "a widget view with no model"}, raw=True)"""


def widget_output(model_id, text):
    data = {"application/vnd.jupyter.widget-view+json": {"model_id": model_id, "version_major": 2, "version_minor": 0}}
    return nbformat.v4.new_output("display_data", data={**data, "text/plain": text})


def write_broken_notebooks(folder):
    """Two notebooks the checker must reject, stored as a successful run would have stored them."""
    v4 = nbformat.v4
    folder.mkdir(parents=True)
    raises = v4.new_notebook(metadata=KERNEL)
    raises.cells = [
        v4.new_code_cell("print('before')", execution_count=1, outputs=[v4.new_output("stream", text="before\n")]),
        v4.new_code_cell("1 / 0", execution_count=2),
        v4.new_code_cell("print('after')", execution_count=3, outputs=[v4.new_output("stream", text="after\n")]),
    ]
    nbformat.write(raises, folder / "raises.ipynb")
    widgets = v4.new_notebook(metadata=KERNEL)
    widgets.cells = [
        v4.new_code_cell(MISSING_FRONT_END, execution_count=1, outputs=[widget_output("0" * 32, "Missing()")]),
        v4.new_code_cell(NOT_A_WIDGET, execution_count=2, outputs=[widget_output("1" * 32, "a widget view")]),
        v4.new_code_cell(
            "widgets.IntSlider(description='fine')", execution_count=3, outputs=[widget_output("2" * 32, "")]
        ),
    ]
    nbformat.write(widgets, folder / "widgets.ipynb")


def test_checker_reports_a_cell_that_raises(page, lab):
    nb, report = run_and_report(page, lab, "broken/raises.ipynb", timeout_s=120)
    found = problems(report, nb)
    assert any("not every cell ran" in p for p in found), found
    assert any("code cell 2" in p and "ZeroDivisionError" in p for p in found), found
    assert not any("code cell 1" in p for p in found), found


def test_checker_reports_widgets_that_do_not_render(page, lab):
    nb, report = run_and_report(page, lab, "broken/widgets.ipynb", timeout_s=120)
    found = problems(report, nb)
    assert any("code cell 1" in p and "did not render" in p for p in found), found  # front end missing
    assert any("code cell 2" in p and "did not render" in p for p in found), found  # no such model
    assert not any("code cell 3" in p for p in found), found  # a real slider renders


# Draw each character on a canvas in the font the page uses for it and compare with a character no font has
# (U+0378 is unassigned): a character drawn as that box, or as nothing, has no glyph on this machine.
MISSING_GLYPHS = """([selector, controls]) => {
    const element = document.querySelector(selector);
    const font = getComputedStyle(element).fontFamily;
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = 48;
    const pen = canvas.getContext("2d");
    const draw = (ch) => {
        pen.clearRect(0, 0, 48, 48);
        pen.font = `32px ${font}`;
        pen.fillText(ch, 6, 38);
        return pen.getImageData(0, 0, 48, 48).data.join(",");
    };
    const none = draw("\\u0378"), blank = (pen.clearRect(0, 0, 48, 48), pen.getImageData(0, 0, 48, 48).data.join(","));
    const missing = (text) => [...new Set(text)].filter((ch) => ch.trim() && [none, blank].includes(draw(ch)));
    const chinese = [...element.textContent].filter((ch) => /[\\u4e00-\\u9fff]/.test(ch)).join("");
    return {font, chinese, missing: missing(chinese), controls_missing: missing(controls)};
}"""
ZH_NOTEBOOK = "01_double_conv.ipynb"  # short, and its checker prints a verdict


def test_a_chinese_notebook_runs_and_its_text_renders_in_chinese(page, lab):
    nb, report = run_and_report(page, lab, f"notebooks/zh/{ZH_NOTEBOOK}")
    found = problems(report, nb)
    heading = page.locator(".jp-NotebookPanel .jp-MarkdownCell h1").first
    title = nb.cells[0].source.split("\n")[0].lstrip("# ").strip()
    if not re.search(r"[\u4e00-\u9fff]", title) or title not in heading.inner_text():
        found.append(f"the rendered title {heading.inner_text()!r} is not the Chinese title {title!r}")
    glyphs = page.evaluate(MISSING_GLYPHS, [".jp-NotebookPanel .jp-MarkdownCell .jp-RenderedMarkdown", "\u0379\u0380"])
    if glyphs["controls_missing"] != ["\u0379", "\u0380"]:  # the detector must see characters that have no glyph
        found.append(f"the missing-glyph check does not work in this browser: {glyphs}")
    if len(glyphs["chinese"]) < 5 or glyphs["missing"]:
        found.append(
            f"Chinese text renders without glyphs (boxes) for {glyphs['missing']} in font {glyphs['font']!r}: "
            "install a font with CJK glyphs (Debian: sudo apt-get install fonts-wqy-microhei; .ci/run does this)"
        )
    verdict = code_cell_index(nb, "check_double_conv(")
    shown = " ".join(o["text"] for o in report["cells"][verdict]["outputs"]) if verdict is not None else ""
    if "DoubleConv" not in shown or not re.search(r"[\u4e00-\u9fff]", shown):
        found.append(f"the checker's verdict is not in Chinese (the setup cell's language setting): {shown[:200]!r}")
    save_artifacts(page, f"zh-{Path(ZH_NOTEBOOK).stem}", report, found)
    assert not found, "\n".join(found)
