"""What grading runs in its own processes, inside the notebook's temporary folder.

    python -m unet_course.instructor._fresh run NOTEBOOK LIMIT        # run it; exit 3 on time out
    python -m unet_course.instructor._fresh check NOTEBOOK CHECK NAME # one check; prints one JSON line

``check`` imports the checkers before any student code runs, then runs only the notebook's
import cells and the cells that define a checked name, and calls the real checker.
"""

import ast
import contextlib
import io
import json
import os
import signal
import sys

import nbformat

from .. import checks as real_checks
from .grade import checks_of


class _OutOfTime(Exception):
    pass


def _on_alarm(signum, frame):
    raise _OutOfTime


def run_notebook(name, limit):
    from nbclient import NotebookClient

    notebook = nbformat.read(name, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=int(float(limit)),
        allow_errors=True,
        kernel_name="python3",
        resources={"metadata": {"path": os.getcwd()}},
    )

    def note_kernel(**_):
        pid = getattr(getattr(client.km, "provisioner", None), "pid", None)
        if pid:
            with open("kernel.pid", "w") as file:
                file.write(str(pid))

    client.on_notebook_start = note_kernel
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(max(1, int(float(limit))))
    try:
        client.execute()
    except _OutOfTime:
        return 3
    finally:
        signal.alarm(0)
    nbformat.write(notebook, "executed.ipynb")
    return 0


def _defines(tree, names):
    return any(isinstance(n, ast.ClassDef | ast.FunctionDef) and n.name in names for n in tree.body)


def _cells(notebook, names):
    """The source of the import cells and of the cells that define ``names``, in order."""
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue  # IPython magics: not needed for the definitions
        imports_only = tree.body and all(isinstance(n, ast.Import | ast.ImportFrom) for n in tree.body)
        if imports_only or _defines(tree, names):
            yield cell.source


def check(name, check_name, target):
    checker = getattr(real_checks, check_name, None)
    if checker is None:
        return {"status": "error", "message": f"no checker called {check_name}"}
    notebook = nbformat.read(name, as_version=4)
    names = {t for _, t in checks_of(notebook)} | {target}
    namespace = {"__name__": "__main__"}
    with contextlib.redirect_stdout(io.StringIO()):
        for source in _cells(notebook, names):
            try:
                exec(compile(source, name, "exec"), namespace)
            except Exception as exc:  # reported: the definitions did not run
                return {"status": "error", "message": f"a definition cell raised {type(exc).__name__}: {exc}"}
    if target not in namespace:
        return {"status": "missing", "message": f"the notebook defines no `{target}`"}
    output = io.StringIO()
    try:
        with contextlib.redirect_stdout(output):
            checker(namespace[target])
    except real_checks.CheckFailed as failure:
        return {"status": "failed", "message": str(failure).splitlines()[0]}
    except Exception as exc:  # a checker that breaks on odd code is still a result
        return {"status": "error", "message": f"{type(exc).__name__}: {exc}"}
    return {"status": "passed", "message": output.getvalue().strip().splitlines()[0]}


if __name__ == "__main__":
    command, *arguments = sys.argv[1:]
    if command == "run":
        sys.exit(run_notebook(*arguments))
    print(json.dumps(check(*arguments)), flush=True)
    os._exit(0)  # a runaway thread of a time-limited check must not keep the process alive
