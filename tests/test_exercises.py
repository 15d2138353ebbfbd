"""Student copies (build/check), their stubs against the checkers, and grading."""

from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from unet_course.checks import CheckFailed
from unet_course.instructor import ExerciseError, build, stale, strip_source, student_copies
from unet_course.instructor.__main__ import main

ROOT = Path(__file__).resolve().parents[1]

IMPORTS = "import torch\nfrom torch import nn\n\nfrom unet_course.checks import check_double_conv"
CLASS = '''class DoubleConv(nn.Module):
    """(conv 3x3 => BN => ReLU) x 2"""

    def __init__(self, in_channels, out_channels):
        super().__init__()
        # Hint: two Conv2d(kernel_size=3, padding=1, bias=False), each followed by BatchNorm2d and ReLU
        ### BEGIN SOLUTION
        layers = []
        for c_in in (in_channels, out_channels):
            layers += [nn.Conv2d(c_in, out_channels, 3, padding=1, bias=False), nn.BatchNorm2d(out_channels)]
            layers.append(nn.ReLU(inplace=True))
        self.double_conv = nn.Sequential(*layers)
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        return self.double_conv(x)
        ### END SOLUTION'''
CHECK = "check_double_conv(DoubleConv)\n### BEGIN HIDDEN TESTS\nassert DoubleConv(1, 2)\n### END HIDDEN TESTS"


def solution_notebook():
    notebook = new_notebook(
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}}
    )
    notebook.cells = [
        new_markdown_cell("# Build DoubleConv\n\nThe part between `### BEGIN SOLUTION` and `### END SOLUTION` goes."),
        new_code_cell(IMPORTS, execution_count=1),
        new_code_cell(CLASS, execution_count=2, metadata={"tags": ["exercise"], "execution": {"start": "2026"}}),
        new_code_cell(CHECK, execution_count=3, outputs=[new_output("stream", name="stdout", text="DoubleConv OK\n")]),
    ]
    for number, cell in enumerate(notebook.cells):
        cell.id = f"cell{number}"
    return notebook


@pytest.fixture
def notebooks(tmp_path):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    nbformat.write(solution_notebook(), folder / "01_double_conv.ipynb")
    plain = new_notebook(cells=[new_code_cell("1 + 1")])
    nbformat.write(plain, folder / "00_no_exercises.ipynb")
    return folder


def test_solution_regions_become_stubs_at_the_same_indent_and_hints_stay():
    source = strip_source(CLASS)
    assert "### BEGIN SOLUTION" not in source and "self.double_conv = nn.Sequential" not in source
    assert "        # Hint: two Conv2d(kernel_size=3, padding=1, bias=False)" in source
    stubs = [line for line in source.splitlines() if "NotImplementedError" in line]
    assert stubs == [
        '        raise NotImplementedError("Write this part of DoubleConv.__init__ (see the hint above), then run '
        'the check below.")',
        '        raise NotImplementedError("Write this part of DoubleConv.forward, then run the check below.")',
    ]


def test_hidden_tests_are_removed():
    assert strip_source(CHECK) == "check_double_conv(DoubleConv)"


def test_source_without_markers_is_unchanged():
    assert strip_source(IMPORTS) == IMPORTS


@pytest.mark.parametrize(
    ("source", "words"),
    [
        ("x = 1\n### BEGIN SOLUTION\ny = 2", ["line 2", "never closed by `### END SOLUTION`"]),
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", ["line 2", "inside the region opened at line 1"]),
        ("y = 2\n### END SOLUTION", ["line 2", "without a matching `### BEGIN SOLUTION`"]),
        ("### BEGIN HIDDEN TESTS\n### END SOLUTION", ["line 2", "without a matching `### BEGIN SOLUTION`"]),
        ("### BEGIN HIDDEN TESTS\nassert True", ["line 1", "never closed by `### END HIDDEN TESTS`"]),
    ],
)
def test_broken_markers_are_refused_with_where(source, words):
    with pytest.raises(ExerciseError) as error:
        strip_source(source, "05_x.ipynb, cell 4")
    for word in ["05_x.ipynb, cell 4", *words]:
        assert word in str(error.value)


def test_broken_notebook_names_notebook_and_cell(notebooks):
    notebook = solution_notebook()
    notebook.cells[2].source = CLASS.replace("        ### END SOLUTION\n\n    def", "\n    def", 1)
    nbformat.write(notebook, notebooks / "02_broken.ipynb")
    with pytest.raises(ExerciseError, match=r"02_broken.ipynb, cell 3, line \d+: `### BEGIN SOLUTION` inside"):
        student_copies(notebooks)


def test_build_writes_student_copies_only_for_notebooks_with_markers(notebooks):
    written, removed = build(notebooks)
    assert [p.name for p in written] == ["01_double_conv.ipynb"] and removed == []
    assert sorted(p.name for p in (notebooks / "student").iterdir()) == ["01_double_conv.ipynb"]


def test_student_copy_has_no_outputs_and_keeps_metadata(notebooks):
    build(notebooks)
    copy = nbformat.read(notebooks / "student" / "01_double_conv.ipynb", as_version=4)
    code = [c for c in copy.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    assert copy.metadata.kernelspec.name == "python3"
    assert code[1].metadata == {"tags": ["exercise"]}  # the run's timing goes, the tags stay
    assert [c.id for c in copy.cells] == ["cell0", "cell1", "cell2", "cell3"]
    assert copy.cells[0].source == solution_notebook().cells[0].source  # markdown is left alone
    assert code[2].source == "check_double_conv(DoubleConv)"


def test_build_is_byte_for_byte_deterministic(notebooks):
    build(notebooks)
    path = notebooks / "student" / "01_double_conv.ipynb"
    first = path.read_bytes()
    build(notebooks)
    assert path.read_bytes() == first and first.endswith(b"}\n")


def test_check_names_stale_missing_and_orphaned_copies(notebooks, capsys):
    assert main(["check", "--notebooks", str(notebooks)]) == 1
    assert "01_double_conv.ipynb (missing)" in capsys.readouterr().out
    build(notebooks)
    assert main(["check", "--notebooks", str(notebooks)]) == 0
    copy = notebooks / "student" / "01_double_conv.ipynb"
    (notebooks / "student" / "09_gone.ipynb").write_text(copy.read_text())  # generated once, orphaned now
    copy.write_text(copy.read_text().replace("Write this part", "Write it"))
    hand_written = notebooks / "student" / "10_my_own.ipynb"
    hand_written.write_text(nbformat.writes(new_notebook(cells=[new_code_cell("mine = 1")])))
    assert [(p.name, why) for p, why in stale(notebooks)] == [
        ("01_double_conv.ipynb", "differs"),
        ("09_gone.ipynb", "has no solution notebook with markers"),
    ]
    assert main(["check", "--notebooks", str(notebooks)]) == 1
    out = capsys.readouterr().out
    assert "stale: " in out and "01_double_conv.ipynb (differs)" in out and "instructor build" in out
    _, removed = build(notebooks)
    assert [p.name for p in removed] == ["09_gone.ipynb"] and stale(notebooks) == []
    assert "mine = 1" in hand_written.read_text()  # build never deletes what it did not write


def test_build_refuses_to_overwrite_a_hand_written_notebook(notebooks):
    foreign = notebooks / "student" / "01_double_conv.ipynb"
    foreign.parent.mkdir()
    foreign.write_text(nbformat.writes(new_notebook(cells=[new_code_cell("mine = 1")])))
    with pytest.raises(ExerciseError, match="01_double_conv.ipynb was not written by build"):
        build(notebooks)
    assert "mine = 1" in foreign.read_text()


@pytest.mark.parametrize("marker", ["## BEGIN SOLUTION", "### begin solution", "###BEGIN SOLUTION", "# END SOLUTION"])
def test_lookalike_markers_are_refused_naming_notebook_cell_and_exact_marker(notebooks, marker):
    source = f"x = 1\n{marker}\nsecret = 42\n### END SOLUTION"
    nbformat.write(new_notebook(cells=[new_code_cell("1"), new_code_cell(source)]), notebooks / "02_x.ipynb")
    with pytest.raises(ExerciseError) as error:
        build(notebooks)
    message = str(error.value)
    assert message.startswith(f"02_x.ipynb, cell 2, line 2: `{marker}` looks like a marker but is not one"), message
    exact = "### END SOLUTION" if "END" in marker else "### BEGIN SOLUTION"
    assert f"Write exactly `{exact}`" in message
    assert not (notebooks / "student" / "02_x.ipynb").exists()


def test_command_line_reports_broken_markers(notebooks, capsys):
    (notebooks / "01_double_conv.ipynb").write_text(
        nbformat.writes(new_notebook(cells=[new_code_cell("### END SOLUTION")]))
    )
    assert main(["build", "--notebooks", str(notebooks)]) == 2
    assert "error: 01_double_conv.ipynb, cell 1, line 1" in capsys.readouterr().err


@pytest.mark.parametrize("edition, language", [("notebooks", "en"), ("notebooks/zh", "zh")])
def test_repository_student_copies_are_what_build_writes(edition, language):
    expected = student_copies(ROOT / edition, language)
    stored = {p: p.read_text(encoding="utf-8") for p in (ROOT / edition / "student").glob("*.ipynb")}
    assert len(stored) >= 5
    assert sorted(stored) == sorted(expected), "run: python -m unet_course.instructor build"
    for path, text in expected.items():
        assert stored[path] == text, f"{path.name} is stale: run python -m unet_course.instructor build"


def run_definitions(notebook, upto):
    """Exec the import cells and the class/def cells before cell ``upto``, as a student would run them."""
    namespace = {}
    for cell in notebook.cells[:upto]:
        source = cell.source.lstrip()
        if cell.cell_type == "code" and source.startswith(("import ", "from ", "class ", "def ")):
            exec(compile(cell.source, "<cell>", "exec"), namespace)
    return namespace


def test_student_copy_stub_gets_the_not_implemented_message(notebooks):
    build(notebooks)
    copy = nbformat.read(notebooks / "student" / "01_double_conv.ipynb", as_version=4)
    namespace = run_definitions(copy, 3)
    with pytest.raises(CheckFailed, match="DoubleConv.__init__ is not implemented yet: write the part marked"):
        exec(copy.cells[3].source, namespace)


STUDENT_COPIES = sorted((ROOT / "notebooks" / "student").glob("*.ipynb"))
ZH_STUDENT_COPIES = sorted((ROOT / "notebooks" / "zh" / "student").glob("*.ipynb"))


@pytest.mark.parametrize("path", STUDENT_COPIES, ids=lambda p: p.name)
def test_repository_student_copies_check_cells_say_not_implemented(path):
    copy = nbformat.read(path, as_version=4)
    checks = [n for n, c in enumerate(copy.cells) if c.cell_type == "code" and c.source.startswith("check_")]
    assert checks, f"{path.name} has exercises but no check cell"
    for number in checks:
        namespace = run_definitions(copy, number)
        with pytest.raises(CheckFailed, match="is not implemented yet: write the part marked"):
            exec(copy.cells[number].source, namespace)


@pytest.mark.parametrize("path", ZH_STUDENT_COPIES, ids=lambda p: p.name)
def test_chinese_student_copies_say_not_implemented_in_chinese(path, monkeypatch):
    """The Chinese copy's setup cell chooses Chinese: its checks say what to write in Chinese."""
    copy = nbformat.read(path, as_version=4)
    assert 'os.environ["UNET_COURSE_LANGUAGE"] = "zh"' in copy.cells[1].source
    monkeypatch.setenv("UNET_COURSE_LANGUAGE", "zh")
    checks = [n for n, c in enumerate(copy.cells) if c.cell_type == "code" and c.source.startswith("check_")]
    assert checks and any("请编写" in c.source for c in copy.cells if c.cell_type == "code")
    for number in checks:
        namespace = run_definitions(copy, number)
        with pytest.raises(CheckFailed, match="还没有实现：请编写标有"):
            exec(copy.cells[number].source, namespace)
