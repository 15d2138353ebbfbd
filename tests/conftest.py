"""Shared test set-up: the reference model's folder on the path, and ``require`` for tests that need
something a machine may lack (a browser, the Binder Python, a network).

Without it, such a test SKIPS and the reason is printed in the summary; with the environment
variable ``UNET_COURSE_REQUIRE_ALL=1`` (``.ci/run`` sets it) it FAILS naming what is missing,
so CI can never skip it silently.
"""

import contextlib
import functools
import os
import socket
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # the text's reference model lives beside the tests

REQUIRE_ALL = "UNET_COURSE_REQUIRE_ALL"


def require(available, missing, fix):
    """Skip (or, with UNET_COURSE_REQUIRE_ALL=1, fail) unless ``available``; say what is ``missing`` and the ``fix``."""
    if available:
        return
    if os.environ.get(REQUIRE_ALL) == "1":
        pytest.fail(f"{missing}, and {REQUIRE_ALL}=1 requires this test: {fix}", pytrace=False)
    pytest.skip(f"{missing}: {fix} (with {REQUIRE_ALL}=1 this is a failure)")


@pytest.fixture(scope="session", name="require")
def require_fixture():
    """``require(available, missing, fix)`` for a test or fixture (see the module docstring)."""
    return require


def pytest_configure(config):
    """Print every skip's reason in the summary (as ``-rs`` would): a skipped test says why."""
    chars = config.option.reportchars or ""
    if "s" not in chars and "a" not in chars.lower():
        config.option.reportchars = chars + "s"


@contextlib.contextmanager
def serve_directory(directory):
    """An HTTP server for ``directory`` on 127.0.0.1; yields its base URL. The OS picks the port
    (port 0) and the server keeps its socket from bind to shutdown: no other process can take it.
    """
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(directory))
    handler.log_message = lambda *args: None
    with ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()
            thread.join()


@pytest.fixture
def http_directory(tmp_path):
    """(folder, base URL): files written into the folder are served at the URL for the test's duration."""
    folder = tmp_path / "served"
    folder.mkdir()
    with serve_directory(folder) as url:
        yield folder, url


@pytest.fixture
def refused_url():
    """A 127.0.0.1 URL where nobody answers: its port stays bound (never listening) for the whole test,
    so no other process can take it meanwhile and a connection is refused every time.
    """
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{held.getsockname()[1]}/"


@pytest.fixture
def one_thread():
    """Tiny models train faster on one thread (and do not fight other processes for cores)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
