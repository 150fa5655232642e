"""Where the Import finished job page's inputs come from, made into what core.jobs.ingest reads: an image root (a folder
under the data folder, a bucket prefix, or an uploaded zip of images), and label files or folders (named on the
server under the data folder, uploaded as one file, or uploaded as a zip of a folder: YOLO and Pascal VOC labels are
folders). Uploads land under data/uploads/<uuid>/ with core/files/uploads.py's rules (sizes, zip bombs, no path escapes);
the label uploads are removed once read, since a draft holds everything it read."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from core import storage
from core.domain.errors import BadInput
from core.files.paths import resolve_under
from core.files.uploads import UploadLimits, discard_upload, extract_zip, uploads_dir
from core.settings import get_settings
from core.storage.urls import checked_url

# What a label folder holds: YOLO's .txt and data.yaml, Pascal VOC's and CVAT's .xml, COCO and Label Studio .json.
LABEL_SUFFIXES = frozenset({".txt", ".yaml", ".yml", ".xml", ".json"})


def bucket_prefix(text: str) -> str:
    """A bucket prefix a user typed (s3://bucket/prefix): refused when it is not a URL or carries credentials,
    without showing them."""
    text = (text or "").strip()
    if not storage.is_remote(text):
        raise BadInput(f"{storage.describe(text)!r}: a bucket prefix is a URL such as s3://bucket/prefix")
    return checked_url(text)


def data_path(relative: str, *, what: str) -> Path:
    """A file or folder named relative to the data folder (a page's text input), refused if it would lead out of it
    or is not there."""
    relative = (relative or "").strip()
    if not relative:
        raise BadInput(f"{what}: name a file or folder under the data folder")
    try:
        path = resolve_under(get_settings().data_dir, relative)
    except ValueError as exc:
        raise BadInput(f"{what}: {exc}; label files must be under the data folder") from None
    if not path.exists():
        raise BadInput(f"{what}: {relative!r} not found under the data folder")
    return path


def extracted_label_zip(source: Path | BinaryIO, *, label: str, limits: UploadLimits = UploadLimits()) -> Path:
    """The label folder of an uploaded zip, extracted under data/uploads/<uuid>/: the zip's one top folder when it
    holds nothing else (a folder zipped as a whole), else the extracted folder itself."""
    folder = extract_zip(source, suffixes=LABEL_SUFFIXES, kind="label", limits=limits, label=label)
    inner = folder
    while len(entries := list(inner.iterdir())) == 1 and entries[0].is_dir():
        inner = entries[0]
    return inner


def discard_label_upload(path: Path) -> None:
    """Remove a label upload (a file or an extracted zip): its data/uploads/<uuid>/ folder; anything outside
    data/uploads/ is left alone."""
    root = uploads_dir().resolve()
    path = path.resolve()
    if path.is_relative_to(root) and path != root:
        discard_upload(root / path.relative_to(root).parts[0])


@contextmanager
def label_uploads() -> Iterator[list[Path]]:
    """A list to put label uploads in while a draft reads them; every one is removed afterwards, whatever
    happened."""
    made: list[Path] = []
    try:
        yield made
    finally:
        for path in made:
            discard_label_upload(path)


def shown_names(problems: list[str], names: dict[Path, str]) -> list[str]:
    """Problems as the user knows the files: an upload's folder under data/uploads/ replaced by the upload's name
    (`names`: path made → the name uploaded), the data folder left out of server paths."""
    replacements = sorted(((str(p), shown) for p, shown in names.items()), key=lambda r: -len(r[0]))
    data_dir = get_settings().data_dir
    prefixes = sorted({f"{data_dir}/", f"{data_dir.resolve()}/"}, key=len, reverse=True)
    out = []
    for problem in problems:
        for made, shown in replacements:
            problem = problem.replace(made, shown)
        for prefix in prefixes:
            problem = problem.replace(prefix, "")
        out.append(problem)
    return out
