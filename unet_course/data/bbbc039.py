"""BBBC039: 200 fluorescence images of U2OS nuclei (16-bit TIFF, 520x696) with label masks, CC0.

Caicedo et al. 2019, from the Broad Bioimage Benchmark Collection (https://bbbc.broadinstitute.org/BBBC039).
Three archives: ``images.zip`` (``images/NAME.tif``), ``masks.zip`` (``masks/NAME.png``, one label
per nucleus) and ``metadata.zip`` (``metadata/training.txt``, ``validation.txt``, ``test.txt``: the
official split, one mask file name a line). They are downloaded once into a cache folder, checked,
and unpacked there.
"""

import hashlib
import os
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

from tqdm.auto import tqdm

from ..i18n import tr
from .folder import DataError, ImageMaskPairs

BASE_URL = "https://data.broadinstitute.org/bbbc/BBBC039/"
# sha256 of each archive of BBBC039 v1 (77,915,748, 2,753,811 and 17,816 bytes), as published by
# several independent projects that verify this download. A file that does not match is not kept.
CHECKSUMS = {
    "images.zip": "6f30a5d4fe38c928ded972704f085975f8dc0d65d9aa366df00e5a9d449fddd7",
    "masks.zip": "f9e6043d8ca56344a4886f96a700d804d6ee982f31e2b2cd3194af2a053c2710",
    "metadata.zip": "a2c1f900bed9ba92a99553efd4c2ae98598433691c7401d818653ab61110deb2",
}
SPLITS = {"train": "training.txt", "val": "validation.txt", "test": "test.txt"}
ENV_VAR = "UNET_COURSE_DATA"


class DownloadError(RuntimeError):
    """A download that failed or did not match its checksum: the message says what to do instead."""


def default_root():
    """Where datasets are cached: $UNET_COURSE_DATA, else $XDG_CACHE_HOME/unet_course, else ~/.cache/unet_course."""
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "unet_course"


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def manual_steps(folder, base_url=BASE_URL):
    """The fields of the messages' last sentence: how to get BBBC039 by hand (names, base_url, folder)."""
    return {"names": ", ".join(CHECKSUMS), "base_url": base_url, "folder": folder}


def download(url, path, expected_sha256, progress=True, timeout=30):
    """Download url to path atomically (temporary file, checked, then renamed); returns the file's sha256."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".part")
    digest = hashlib.sha256()
    try:
        with os.fdopen(handle, "wb") as file, urllib.request.urlopen(url, timeout=timeout) as response:
            total = int(response.headers.get("Content-Length") or 0) or None
            with tqdm(total=total, unit="B", unit_scale=True, desc=path.name, disable=not progress) as bar:
                for block in iter(lambda: response.read(1 << 16), b""):
                    file.write(block)
                    digest.update(block)
                    bar.update(len(block))
        if digest.hexdigest() != expected_sha256:
            raise DownloadError(
                tr(
                    "{url} downloaded, but its sha256 is {got}, expected {expected}: the file is corrupted or has "
                    "changed, so it was not kept. Try again later. To use BBBC039 without this download, fetch "
                    "{names} from {base_url} with a browser, put them in {folder}, and run again; or train on the "
                    "synthetic set instead: SyntheticCells(num_images).",
                    url=url,
                    got=digest.hexdigest(),
                    expected=expected_sha256,
                    **manual_steps(path.parent),
                )
            )
        os.replace(partial, path)
    except (urllib.error.URLError, OSError) as error:
        raise DownloadError(
            tr(
                "could not download {url} ({reason}): is this machine offline? To use BBBC039 without this "
                "download, fetch {names} from {base_url} with a browser, put them in {folder}, and run again; or "
                "train on the synthetic set instead: SyntheticCells(num_images).",
                url=url,
                reason=getattr(error, "reason", error),
                **manual_steps(path.parent),
            )
        ) from error
    finally:
        if os.path.exists(partial):
            os.remove(partial)
    return digest.hexdigest()


def extract_archive(archive, folder):
    """Unzip archive into folder via a temporary folder, so a failed unzip leaves nothing half-written."""
    with tempfile.TemporaryDirectory(dir=folder) as scratch:
        try:
            with zipfile.ZipFile(archive) as zipped:
                zipped.extractall(scratch)
        except zipfile.BadZipFile as error:
            raise DataError(
                tr(
                    "{archive} is not a valid zip file ({error}): delete it and download again.",
                    archive=archive,
                    error=error,
                )
            ) from error
        for entry in Path(scratch).iterdir():
            target = Path(folder) / entry.name
            if target.exists():
                shutil.rmtree(target) if target.is_dir() else target.unlink()
            os.replace(entry, target)


def fetch_bbbc039(root=None, base_url=BASE_URL, checksums=None, progress=True):
    """Download (once), check and unpack BBBC039 under root/BBBC039; returns that folder."""
    folder = Path(root if root is not None else default_root()) / "BBBC039"
    checksums = CHECKSUMS if checksums is None else checksums
    for name, expected in checksums.items():
        archive = folder / name
        if not archive.exists():
            download(base_url + name, archive, expected, progress)
        marker = folder / (name + ".unpacked")
        if not marker.exists():
            if sha256(archive) != expected:
                raise DataError(
                    tr(
                        "{archive} does not match its sha256 ({expected}): it is incomplete or another file. "
                        "Delete it and download again.",
                        archive=archive,
                        expected=expected,
                    )
                )
            extract_archive(archive, folder)
            marker.touch()
    return folder


def check_split(split):
    """A ValueError naming the official splits when ``split`` is not one of them."""
    if split not in SPLITS:
        raise ValueError(
            tr("split={split!r} is not a BBBC039 split: expected one of {choices}.", split=split, choices=tuple(SPLITS))
        )


def official_pairs(folder, split):
    """[(image, mask)] of one official split, from metadata/<split file>."""
    check_split(split)
    listing = folder / "metadata" / SPLITS[split]
    names = [line.strip() for line in listing.read_text().splitlines() if line.strip()]
    pairs = [(folder / "images" / (Path(name).stem + ".tif"), folder / "masks" / name) for name in names]
    for image, mask in pairs:
        for path in (image, mask):
            if not path.exists():
                raise DataError(
                    tr(
                        "{path} is listed in {listing} but missing: delete {folder} and download again.",
                        path=path,
                        listing=listing.name,
                        folder=folder,
                    )
                )
    return pairs


class BBBC039(ImageMaskPairs):
    """One official split of BBBC039 ("train" 100, "val" 50, "test" 50 images); items as ``ImageMaskPairs``.

    The masks are RGBA PNGs with the labels in red (G = B = 0, alpha 255): read as labels, alpha
    ignored. The images are 16-bit TIFFs that use 12 bits: the default ``normalize="percentile"``
    scales each one between its 1st and 99.8th percentile (``normalize=12`` divides all by 4095).
    ``official_splits(root)`` gives the three lists of pairs for ``pair_loaders``.

    ``download=False`` only reads the cache and, if the data is not there, says how to get it.
    """

    def __init__(self, split="train", root=None, download=False, base_url=BASE_URL, checksums=None, **options):
        check_split(split)
        folder = Path(root if root is not None else default_root()) / "BBBC039"
        if download or all((folder / name).exists() for name in CHECKSUMS):
            fetch_bbbc039(root, base_url, checksums)  # downloads only what is missing
        elif not (folder / "metadata" / SPLITS[split]).exists():
            raise DataError(
                tr(
                    "BBBC039 is not in {folder}: expected metadata/, images/ and masks/ there. Pass download=True "
                    "(needs internet). To use BBBC039 without this download, fetch {names} from {base_url} with a "
                    "browser, put them in {folder}, and run again; or train on the synthetic set instead: "
                    "SyntheticCells(num_images).",
                    **manual_steps(folder, base_url),
                )
            )
        self.folder, self.split = folder, split
        super().__init__(official_pairs(folder, split), **options)


def official_splits(root=None):
    """{"train", "val", "test": [(image, mask)]} of the official split of BBBC039 (for ``pair_loaders``)."""
    folder = Path(root if root is not None else default_root()) / "BBBC039"
    if not (folder / "metadata").is_dir():
        raise DataError(
            tr(
                "BBBC039 is not in {folder}: run BBBC039(download=True) once. To use BBBC039 without this download, "
                "fetch {names} from {base_url} with a browser, put them in {folder}, and run again; or train on the "
                "synthetic set instead: SyntheticCells(num_images).",
                **manual_steps(folder),
            )
        )
    return {split: official_pairs(folder, split) for split in SPLITS}
