"""A JupyterLab server on 127.0.0.1 for tests, isolated from the user's Jupyter settings.

``lab_server(python, root_dir, workdir)`` starts ``python -m jupyter lab`` on a free port with a
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
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

QUIET_LAB_PAGE_CONFIG = {  # what binder/postBuild writes too: no news pop-up, no build prompt
    "disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True},
    "buildCheck": False,
    "buildAvailable": False,
}


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
    port, token = free_port(), secrets.token_hex(16)
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
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root_dir}",
        f"--LabApp.user_settings_dir={user_settings}",
        f"--LabApp.workspaces_dir={workdir / 'lab-workspaces'}",
    ]
    log_path = workdir / "jupyter-lab.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
            try:
                if get(f"{url}/api/status?token={token}", timeout=2)[0] == 200:
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


def shut_down_kernels(url, token):
    """Delete every session (and so its kernel) the server holds."""
    _, body = get(f"{url}/api/sessions?token={token}")
    for session in json.loads(body):
        request(f"{url}/api/sessions/{session['id']}?token={token}", "DELETE")
