"""Exports with their images (`include_images`): the labels' zip plus the image files, copied byte for byte.

Where each image goes, so each format's readers find it without a word of configuration:
- YOLO: `images/<file path>` beside `labels/<file path without extension>.txt`; split, `images/<split>/<file path>`
  beside `labels/<split>/...`, the folders data.yaml names (Ultralytics finds labels by putting `labels` for
  `images` in an image's path).
- COCO: `images/<file path>` with `annotations/instances.json`; split, `images/<split>/<file path>` with
  `annotations/instances_<split>.json`. `file_name` stays the file path: relative to that images folder, the
  image root Detectron2, MMDetection and torchvision's CocoDetection take.
- Pascal VOC: `images/<file path>`, split or not: `<folder>images</folder>` and `<filename>` name it, and a VOC
  split is ImageSets/Main's lists, not folders.

File paths are the job's (unique per job, relative, checked by core/files/paths.py at import and again here), so the
archive paths are unique and never unpack outside the folder. Images are streamed from disk into the zip in
1 MB blocks, hashed on the way for manifest.json: a 10k-image export never holds an image in
memory. A bucket-backed job's images (core/storage) are sized first, many requests at a time, then fetched a
batch ahead of the copy into the disk cache, so its bound need only hold a batch, not the export. JPEG, PNG, GIF
and WebP are stored, not deflated: they are compressed already, deflating costs time and gains nothing. Before anything is written every image is looked at: a missing or unreadable one refuses the whole
export, naming each (an export without some of its images would train on labels without pixels).
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import polars as pl

from core import storage
from core.domain.errors import BadInput
from core.domain.plural import plural
from core.domain.progress import Progress
from core.exports.archive import entry_info
from core.exports.manifest import MANIFEST
from core.exports.source import ExportSource
from core.files.paths import regular_file, resolve_under
from core.jobs.summaries import image_root
from core.storage import cache

STORED_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".gif", ".webp"})
SHOWN_PROBLEMS = 20
_BLOCK = 1024 * 1024
_FETCH_AHEAD = 64  # a bucket-backed job's images fetched at once, ahead of the copy


@dataclass(frozen=True)
class ImageFile:
    archive_path: str
    path: Path  # the file; under a remote root, where its cached copy goes
    size: int
    root: str | None = None  # a remote root (core/storage) the file is fetched from, by file_path
    file_path: str = ""


def image_files(source: ExportSource, *, format: str) -> list[ImageFile]:
    """Each image of the export, where it goes in the zip and its file; BadInput naming every image that is
    missing, not a regular file, or outside the job's image root."""
    root = image_root(source.job)
    images = source.images_with_split()
    by_split = source.split is not None and format != "voc"
    folder = pl.format("images/{}/", "split") if by_split else pl.lit("images/")
    rows = list(images.select((folder + pl.col("file_path")).alias("archive_path"), "file_path").iter_rows())
    if storage.is_remote(root):
        found, problems = _remote_image_files(root, rows)
    else:
        found, problems = [], []
        for archive_path, file_path in rows:
            try:
                path = regular_file(resolve_under(Path(root), file_path))
                if not path.is_file():
                    raise ValueError("file not found" if not path.exists() else "not a file")
                found.append(ImageFile(archive_path=archive_path, path=path, size=path.stat().st_size))
            except (ValueError, OSError) as exc:
                problems.append(f"image {file_path!r} (under {root}): {exc}")
    if problems:
        more = len(problems) - SHOWN_PROBLEMS
        raise BadInput(
            [
                f"cannot export with images: {len(problems):,} of {plural(images.height, 'image')} cannot be read:",
                *problems[:SHOWN_PROBLEMS],
                *([f"... and {more:,} more"] if more > 0 else []),
            ]
        )
    return found


def _remote_image_files(root: str, rows: list[tuple[str, str]]) -> tuple[list[ImageFile], list[str]]:
    """Each image's size from the object store (or its cached copy), FETCH_WORKERS requests at a time."""

    def sized(row: tuple[str, str]) -> ImageFile | str:
        archive_path, file_path = row
        try:
            return ImageFile(
                archive_path=archive_path,
                path=cache.object_file(root, file_path),
                size=storage.file_size(root, file_path),
                root=root,
                file_path=file_path,
            )
        except FileNotFoundError:
            return f"image {file_path!r} (under {storage.describe(root)}): file not found"
        except (ValueError, OSError) as exc:
            return f"image {file_path!r} (under {storage.describe(root)}): {exc}"

    with ThreadPoolExecutor(max_workers=storage.FETCH_WORKERS) as pool:
        outcomes = list(pool.map(sized, rows))
    return ([o for o in outcomes if isinstance(o, ImageFile)], [o for o in outcomes if isinstance(o, str)])


def images_size(files: list[ImageFile]) -> int:
    return sum(f.size for f in files)


def write_with_images(
    target: BinaryIO, *, labels_zip: bytes, images: list[ImageFile], progress: Progress | None = None
) -> None:
    """The labels' zip (as the format built it) with `images` added, into `target`; manifest.json last, its
    `files` now with each image's sha256 too."""
    with zipfile.ZipFile(io.BytesIO(labels_zip)) as labels, zipfile.ZipFile(target, "w") as archive:
        for info in labels.infolist():
            if info.filename != MANIFEST:
                archive.writestr(entry_info(info.filename, info.compress_type), labels.read(info))
        hashes = {}
        for done, image in enumerate(images, 1):
            if image.root is not None and (done - 1) % _FETCH_AHEAD == 0:  # the next batch, fetched at once
                batch = images[done - 1 : done - 1 + _FETCH_AHEAD]
                storage.fetch_many(image.root, [i.file_path for i in batch if i.root == image.root])
            hashes[image.archive_path] = _copy_image(archive, image)
            if progress and (done == len(images) or done * 100 // len(images) != (done - 1) * 100 // len(images)):
                progress(f"images {done:,}/{len(images):,}", done / len(images))
        manifest = json.loads(labels.read(MANIFEST))
        manifest["files"] = dict(sorted({**manifest["files"], **hashes}.items()))
        archive.writestr(entry_info(MANIFEST, zipfile.ZIP_DEFLATED), json.dumps(manifest, indent=2) + "\n")


def _copy_image(archive: zipfile.ZipFile, image: ImageFile) -> str:
    """Streams one image into the archive; its sha256, of the bytes as read."""
    stored = Path(image.archive_path).suffix.lower() in STORED_SUFFIXES
    info = entry_info(image.archive_path, zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED)
    info.file_size = image.size  # lets zipfile choose ZIP64 up front for an image above 2 GB
    digest = hashlib.sha256()
    try:
        with _open(image) as source, archive.open(info, "w", force_zip64=image.size > 2**31) as entry:
            while block := source.read(_BLOCK):
                digest.update(block)
                entry.write(block)
    except OSError as exc:
        shown = image.path if image.root is None else f"{image.file_path!r} (under {storage.describe(image.root)})"
        raise BadInput(f"cannot export with images: image {shown} cannot be read ({exc.strerror or exc})") from None
    return digest.hexdigest()


def _open(image: ImageFile) -> BinaryIO:
    return image.path.open("rb") if image.root is None else storage.open_file(image.root, image.file_path)
