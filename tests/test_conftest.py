"""The shared fixtures: a directory served on a port the OS picked, a URL that always refuses, require."""

import os
import urllib.error
import urllib.request

import pytest
from conftest import REQUIRE_ALL, require


def test_http_directory_serves_what_is_written(http_directory):
    folder, url = http_directory
    (folder / "a.txt").write_text("cells")
    with urllib.request.urlopen(f"{url}/a.txt", timeout=5) as response:  # noqa: S310 (127.0.0.1 only)
        assert response.read() == b"cells"


def test_refused_url_refuses(refused_url):
    with pytest.raises(urllib.error.URLError, match="refused"):
        urllib.request.urlopen(refused_url, timeout=5)  # noqa: S310 (127.0.0.1 only)


def test_require_skips_with_the_reason_or_fails_when_required(monkeypatch):
    monkeypatch.delenv(REQUIRE_ALL, raising=False)
    with pytest.raises(pytest.skip.Exception, match="Chromium not found: install it"):
        require(False, "Chromium not found", "install it")
    monkeypatch.setenv(REQUIRE_ALL, "1")
    with pytest.raises(pytest.fail.Exception, match="Chromium not found, and UNET_COURSE_REQUIRE_ALL=1 requires"):
        require(False, "Chromium not found", "install it")
    assert require(True, "nothing", "nothing") is None and os.environ[REQUIRE_ALL] == "1"
