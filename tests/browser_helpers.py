"""A JupyterLab server on 127.0.0.1 for tests, isolated from the user's Jupyter settings.

``lab_server(python, root_dir, workdir)`` starts ``python -m jupyter lab`` on a port the OS picks with a
random token, its own config, data, runtime, settings and workspaces folders under ``workdir``,
waits until it answers, and stops its whole process group (kernels included) on exit.
``page_config(url, token)`` reads the configuration the Lab page hands to the browser.
"""

import contextlib
import html
import json
import os
import re
import secrets
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

try:  # the browser test needs Playwright; the Binder test uses lab_server only
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
except ImportError:  # test_browser.py skips (or fails, in CI) with the reason
    PlaywrightTimeout = None

QUIET_LAB_PAGE_CONFIG = {  # what binder/postBuild writes too: no news pop-up, no build prompt
    "disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True},
    "buildCheck": False,
    "buildAvailable": False,
}


def server_port(runtime_dir, process):
    """The port a Jupyter server started with ``--ServerApp.port=0`` was given by the OS, or None yet.

    The server binds port 0 itself and writes the port it got into ``jpserver-<pid>.json``
    in its runtime folder: no port is chosen first and released, so none can be taken meanwhile.
    """
    info = Path(runtime_dir, f"jpserver-{process.pid}.json")
    try:
        return json.loads(info.read_text())["port"]
    except (FileNotFoundError, json.JSONDecodeError, KeyError):  # not written yet, or half written
        return None


def get(url, timeout=10):
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (127.0.0.1 only)
        return response.status, response.read().decode()


def request(url, method, timeout=10):
    req = urllib.request.Request(url, method=method)
    with urllib.request.urlopen(req, timeout=timeout) as response:  # noqa: S310 (127.0.0.1 only)
        return response.status


def isolated_jupyter_env(workdir, base=None):
    """Environment variables that keep Jupyter, IPython and matplotlib away from the user's own files."""
    workdir = Path(workdir)
    env = dict(os.environ if base is None else base)
    for name in ("JUPYTER_PATH", "JUPYTER_CONFIG_PATH", "PYTHONPATH", "VIRTUAL_ENV", "JUPYTER_TOKEN"):
        env.pop(name, None)
    dirs = {
        "JUPYTER_CONFIG_DIR": "jupyter-config",
        "JUPYTER_DATA_DIR": "jupyter-data",
        "JUPYTER_RUNTIME_DIR": "jupyter-runtime",
        "IPYTHONDIR": "ipython",
        "MPLCONFIGDIR": "matplotlib",
    }
    for name, folder in dirs.items():
        (workdir / folder).mkdir(parents=True, exist_ok=True)
        env[name] = str(workdir / folder)
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    env["PYTHONHASHSEED"] = "0"
    return env


def write_quiet_lab_config(config_dir, notebook_settings=None):
    """The same quiet-Lab settings binder/postBuild installs, in a private config folder."""
    labconfig = Path(config_dir, "labconfig")
    labconfig.mkdir(parents=True, exist_ok=True)
    (labconfig / "page_config.json").write_text(json.dumps(QUIET_LAB_PAGE_CONFIG))
    server = {"LabApp": {"check_for_updates_class": "jupyterlab.NeverCheckForUpdate", "news_url": None}}
    Path(config_dir, "jupyter_server_config.json").write_text(json.dumps(server))


@contextlib.contextmanager
def lab_server(python, root_dir, workdir, env=None, settings=None, startup_timeout=90):
    """Start JupyterLab from ``python``'s environment; yield (base_url, token); stop it and its kernels."""
    workdir = Path(workdir)
    env = isolated_jupyter_env(workdir, env)
    token = secrets.token_hex(16)
    user_settings = workdir / "lab-user-settings"
    for plugin, values in (settings or {}).items():  # e.g. {"@jupyterlab/notebook-extension/tracker": {...}}
        path = user_settings / (plugin + ".jupyterlab-settings")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    command = [
        str(python),
        "-m",
        "jupyter",
        "lab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        "--ServerApp.port=0",  # the OS picks a free port; server_port reads it back
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root_dir}",
        f"--LabApp.user_settings_dir={user_settings}",
        f"--LabApp.workspaces_dir={workdir / 'lab-workspaces'}",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # CI containers run as root
    log_path = workdir / "jupyter-lab.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )
    url = None
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
            port = server_port(env["JUPYTER_RUNTIME_DIR"], process)
            url = f"http://127.0.0.1:{port}" if port else None
            try:
                if url and get(f"{url}/api/status?token={token}", timeout=2)[0] == 200:
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"JupyterLab did not answer in {startup_timeout} s:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.3)
        yield url, token
    finally:
        stop_process_group(process)


def stop_process_group(process, grace=10):
    """SIGTERM the process group ``process`` leads (it was started with start_new_session), then SIGKILL."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            pass
    with contextlib.suppress(ProcessLookupError):  # kernels the server started live in the same group
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def page_config(url, token):
    """The JSON the Lab page hands to the browser (its ``jupyter-config-data`` script)."""
    _, page = get(f"{url}/lab?token={token}")
    match = re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', page, re.S)
    if match is None:
        raise AssertionError("the /lab page has no jupyter-config-data script")
    return json.loads(html.unescape(match.group(1)))


def language_packs(url, token):
    """{locale: display name} of the language packs the Lab server offers (Settings > Language)."""
    _, body = get(f"{url}/lab/api/translations?token={token}")
    return {locale: pack["displayName"] for locale, pack in json.loads(body)["data"].items()}


def shut_down_kernels(url, token):
    """Delete every session (and so its kernel) the server holds."""
    _, body = get(f"{url}/api/sessions?token={token}")
    for session in json.loads(body):
        request(f"{url}/api/sessions/{session['id']}?token={token}", "DELETE")


# --- driving a notebook in the browser -------------------------------------------------------

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
WIDGET_FAILURES = (  # what ipywidgets' front end shows in place of a widget it cannot render
    "Error displaying widget",
    "Click to show javascript error",
    "Failed to load model class",
    "Failed to create view",
    "Loading widget...",  # still, after the run: the model never arrived
)

NOTEBOOK_OPEN = """n => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  if (!panel) return false;
  const indicator = panel.querySelector('.jp-Notebook-ExecutionIndicator');
  const kernel = panel.querySelector('.jp-Toolbar-kernelName');
  return panel.querySelectorAll('.jp-Notebook .jp-Cell').length === n && indicator !== null
    && indicator.dataset.status === 'idle' && kernel !== null && !/No Kernel/.test(kernel.textContent);
}"""

PROMPTS = "() => [...document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell .jp-InputArea-prompt')]" + (
    ".map(e => e.textContent.trim())"
)

# IPython's tracebacks: "Traceback (most recent call last)", or a "Cell In[3], line 1" frame (SyntaxError)
TRACEBACK = r"Traceback \(most recent call last\)|Cell In\[\d+\], line \d+"

RUN_FINISHED = """traceback => {
  const TRACEBACK = new RegExp(traceback);
  const panel = document.querySelector('.jp-NotebookPanel');
  const prompts = [...panel.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')].map(e => e.textContent.trim());
  const indicator = panel.querySelector('.jp-Notebook-ExecutionIndicator');
  if (!indicator || indicator.dataset.status !== 'idle' || prompts.some(p => p === '[*]:')) return false;
  const errors = [...panel.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')];
  return prompts.every(p => /^\\[\\d+\\]:$/.test(p)) || errors.some(e => TRACEBACK.test(e.textContent));
}"""

CELL_REPORT = """cells => cells.map(cell => ({
  outputs: [...cell.querySelectorAll('.jp-OutputArea-output')].map(o => ({
    mime: o.dataset.mimeType || null,
    text: o.textContent.slice(0, 2000),
    images: [...o.querySelectorAll('img')].map(img => [img.naturalWidth, img.naturalHeight]),
    widgets: o.querySelectorAll('.jupyter-widgets:not(:has(.jupyter-widgets-error-widget))').length,
    broken: o.querySelectorAll('.jupyter-widgets-error-widget').length,
  })),
}))"""


WIDGETS_SETTLED = "() => !document.querySelector('.jp-NotebookPanel').textContent.includes('Loading widget...')"


def code_cells(nb):
    return [cell for cell in nb["cells"] if cell["cell_type"] == "code"]


def menu(page, top, item):
    """Click a main-menu entry, as a person would: e.g. menu(page, "Run", "Run All Cells")."""
    page.click(f"#jp-MainMenu .lm-MenuBar-itemLabel:text-is('{top}')")
    page.click(f".lm-Menu-itemLabel:text-is('{item}')")


def run_all_in_lab(page, url, token, path, nb, timeout_s=240):
    """Open ``path`` (relative to the server's root) in Lab, clear every output, run all cells; report per cell."""
    page.goto(f"{url}/lab/tree/{path}?reset&token={token}")
    page.wait_for_function(NOTEBOOK_OPEN, arg=len(nb["cells"]), timeout=120_000)
    menu(page, "Edit", "Clear Outputs of All Cells")  # what shows next comes from this run, not the stored file
    assert all(p == "[ ]:" for p in page.evaluate(PROMPTS)), "outputs were not cleared"
    menu(page, "Run", "Run All Cells")
    try:
        page.wait_for_function(RUN_FINISHED, arg=TRACEBACK, timeout=timeout_s * 1000, polling=250)
        timed_out = False
    except PlaywrightTimeout:
        timed_out = True  # problems() names the cells still running or queued
    try:  # widget views render after their model arrives, a moment after the kernel went idle
        page.wait_for_function(WIDGETS_SETTLED, timeout=10_000)
    except PlaywrightTimeout:
        pass  # problems() reports the widget that is still loading
    return {
        "timed_out": timed_out and timeout_s,
        "prompts": page.evaluate(PROMPTS),
        "cells": page.eval_on_selector_all(".jp-NotebookPanel .jp-CodeCell", CELL_REPORT),
    }


def problems(report, nb):
    """What a person would see go wrong, as a list of sentences (empty: the notebook ran and rendered)."""
    found = []
    expected = [f"[{i}]:" for i in range(1, len(code_cells(nb)) + 1)]
    if report.get("timed_out"):
        waiting = [i + 1 for i, prompt in enumerate(report["prompts"]) if prompt == "[*]:"]
        found.append(f"the run did not finish in {report['timed_out']} s: code cells {waiting} running or queued")
    if report["prompts"] != expected:
        found.append(f"execution counts {report['prompts']} instead of {expected}: not every cell ran")
    for index, (stored, shown) in enumerate(zip(code_cells(nb), report["cells"])):
        where = f"code cell {index + 1} ({stored['source'][:40]!r})"
        for output in shown["outputs"]:
            if output["mime"] == "application/vnd.jupyter.stderr" and re.search(TRACEBACK, output["text"]):
                found.append(f"{where} shows an error: {output['text'][:300]!r}")
            failure = next((text for text in WIDGET_FAILURES if text in output["text"]), None)
            if output["broken"] and failure is None:
                failure = "an error view"
            if failure:
                found.append(f"{where}: a widget did not render ({failure}): {output['text'][:200]!r}")
        stored_mimes = [set(o.get("data", {})) for o in stored.get("outputs", [])]
        if any("image/png" in m or "image/jpeg" in m for m in stored_mimes):
            sizes = [size for output in shown["outputs"] for size in output["images"]]
            if not any(w > 0 and h > 0 for w, h in sizes):
                found.append(f"{where}: its figure did not render (images {sizes})")
        if any(WIDGET_MIME in m for m in stored_mimes) and not any(o["widgets"] for o in shown["outputs"]):
            found.append(f"{where}: its widget did not render")
    return found
