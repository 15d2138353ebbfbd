"""BBBC039 download, checksum, cache and split, against archives served from 127.0.0.1 (no internet)."""

import functools
import hashlib
import io
import re
import threading
import zipfile
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
import tifffile
import torch
from PIL import Image

from unet_course.data import BBBC039, DataError, DownloadError, default_root, fetch_bbbc039, official_splits
from unet_course.data.bbbc039 import CHECKSUMS

SPLIT = {"training.txt": ["a", "b"], "validation.txt": ["c"], "test.txt": ["d"]}


def zipped(files):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def encoded(array, fmt):
    buffer = io.BytesIO()
    if fmt == "tif":
        tifffile.imwrite(buffer, array)
    else:
        Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def make_archives():
    """Small archives laid out as the real ones: 16-bit TIFFs using 12 bits, RGBA label PNGs (labels in red)."""
    rng = np.random.default_rng(0)
    names = [name for names in SPLIT.values() for name in names]
    labels = np.zeros((8, 12, 4), np.uint8)
    labels[..., 3] = 255  # alpha 255 everywhere: counted as a label, every pixel would be a nucleus
    labels[2:5, 2:5, 0] = 1
    labels[5:7, 6:10, 0] = 2  # a second nucleus; G = B = 0
    images = {f"images/{n}.tif": encoded(rng.integers(0, 4096, (8, 12), dtype=np.uint16), "tif") for n in names}
    masks = {f"masks/{n}.png": encoded(labels, "png") for n in names}
    metadata = {f"metadata/{f}": "".join(f"{n}.png\n" for n in ns) for f, ns in SPLIT.items()}
    return {"images.zip": zipped(images), "masks.zip": zipped(masks), "metadata.zip": zipped(metadata)}


class Server:
    """Serves a folder on 127.0.0.1 in a thread and counts the requests."""

    def __init__(self, folder):
        self.requests = []
        outer = self

        class Handler(SimpleHTTPRequestHandler):
            def log_message(self, *args):
                outer.requests.append(self.path)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(folder)))
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def served(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    archives = make_archives()
    for name, data in archives.items():
        (site / name).write_bytes(data)
    server = Server(site)
    yield server, {name: hashlib.sha256(data).hexdigest() for name, data in archives.items()}, site
    server.close()


def test_download_check_unpack_and_split(served, tmp_path):
    server, checksums, _ = served
    cache = tmp_path / "cache"
    train = BBBC039("train", root=cache, download=True, base_url=server.url, checksums=checksums)
    assert len(train) == 2 and len(BBBC039("val", root=cache)) == 1 and len(BBBC039("test", root=cache)) == 1
    image, mask = train[0]
    assert image.shape == mask.shape == (1, 8, 12) and image.dtype == torch.float32
    assert 0 <= image.min() and image.max() <= 1
    assert mask.sum() == 9 + 8 and set(mask.unique().tolist()) == {0.0, 1.0}
    with Image.open(cache / "BBBC039" / "masks" / "a.png") as png:
        assert png.mode == "RGBA"  # the fixture has the real format
    raw = tifffile.imread(cache / "BBBC039" / "images" / "a.tif")
    assert raw.dtype == np.uint16 and raw.max() < 4096
    assert image.max() == 1 and image.min() == 0  # percentile scaling uses the 12 bits, not 1/16 of the range
    with pytest.raises(DataError, match="a.tif is a 16-bit file whose values stay below 4096.*normalize=12"):
        BBBC039("train", root=cache, normalize="dtype")
    twelve = BBBC039("train", root=cache, normalize=12)[0][0]
    assert torch.allclose(twelve[0], torch.from_numpy(raw / 4095).float())
    splits = official_splits(cache)
    assert [len(splits[s]) for s in ("train", "val", "test")] == [2, 1, 1] and splits["val"][0][1].name == "c.png"
    assert sorted(p.name for p in (cache / "BBBC039" / "images").iterdir()) == ["a.tif", "b.tif", "c.tif", "d.tif"]
    assert [p.name for p in (cache / "BBBC039").glob("*.part")] == []


def test_cached_archives_are_not_downloaded_again(served, tmp_path):
    server, checksums, _ = served
    BBBC039("train", root=tmp_path, download=True, base_url=server.url, checksums=checksums)
    count = len(server.requests)
    BBBC039("test", root=tmp_path, download=True, base_url=server.url, checksums=checksums)
    assert count == 3 and len(server.requests) == 3


def test_a_corrupted_archive_is_refused_and_not_kept(served, tmp_path):
    server, checksums, site = served
    data = bytearray((site / "masks.zip").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (site / "masks.zip").write_bytes(bytes(data))
    with pytest.raises(DownloadError, match="masks.zip downloaded, but its sha256 is .* expected"):
        fetch_bbbc039(tmp_path, base_url=server.url, checksums=checksums, progress=False)
    left = sorted(p.name for p in (tmp_path / "BBBC039").iterdir())
    assert "masks.zip" not in left and not [n for n in left if n.endswith(".part")]


def test_offline_says_what_to_do(tmp_path, refused_url):
    with pytest.raises(DownloadError, match="is this machine offline.*put them in.*SyntheticCells"):
        fetch_bbbc039(tmp_path, base_url=refused_url, progress=False)
    assert not list((tmp_path / "BBBC039").iterdir())


def test_missing_data_without_download_says_what_to_do(tmp_path):
    with pytest.raises(DataError, match="BBBC039 is not in .*download=True.*SyntheticCells"):
        BBBC039("train", root=tmp_path)
    with pytest.raises(ValueError, match="not a BBBC039 split: expected one of \\('train', 'val', 'test'\\)"):
        BBBC039("training", root=tmp_path)


def test_archives_placed_by_hand_are_checked_and_unpacked(served, tmp_path):
    _, checksums, site = served
    folder = tmp_path / "BBBC039"
    folder.mkdir()
    for name in checksums:
        (folder / name).write_bytes((site / name).read_bytes())
    assert len(BBBC039("val", root=tmp_path, checksums=checksums)) == 1
    (folder / "images.zip.unpacked").unlink()
    with pytest.raises(DataError, match="does not match its sha256"):
        BBBC039("val", root=tmp_path, checksums={**checksums, "images.zip": "0" * 64})


def test_the_published_checksums_are_enforced_by_default(served, tmp_path):
    # the test's archives are not the real ones, so with the default CHECKSUMS they must be refused
    server, _, _ = served
    assert set(CHECKSUMS) == {"images.zip", "masks.zip", "metadata.zip"}
    assert all(re.fullmatch(r"[0-9a-f]{64}", value) for value in CHECKSUMS.values())
    with pytest.raises(DownloadError, match=f"expected {CHECKSUMS['images.zip']}"):
        fetch_bbbc039(tmp_path, base_url=server.url, progress=False)
    assert not list((tmp_path / "BBBC039").glob("images.zip*"))  # neither the archive nor a partial file


def test_cache_folder_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("UNET_COURSE_DATA", str(tmp_path / "here"))
    assert default_root() == tmp_path / "here"
    monkeypatch.delenv("UNET_COURSE_DATA")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_root() == tmp_path / "xdg" / "unet_course"
