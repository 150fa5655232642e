"""Exports of a ResultSet: downloads (COCO JSON, YOLO zip, Pascal VOC zip, CSV) as bytes for the UI, the same
written to a file for the CLI, and datalog tables in the store's database.

One module per format; each documents its conventions. Which images an export covers: core/exports/source.py;
by default only complete images (core/exports/completeness.py), every image of the ResultSet with
`include_partial`.
Classification ResultSets export to CSV, COCO (one annotation per image, no bbox) and datalog tables; YOLO and
Pascal VOC are for detection only.

A file export may be split into train/val(/test) by image (core/exports/split.py): YOLO, VOC and CSV keep their
file type, COCO becomes a zip of one dataset per split. Every zip carries manifest.json (core/exports/manifest.py);
COCO unsplit stays one JSON file, as every COCO reader wants it, and its `info` says what the manifest would.

A zip export (COCO, YOLO, VOC) may carry its images (`include_images`, core/exports/images.py): COCO is then a zip
split or not. `write_export` streams them into the file; `prepare_export` does the same into a folder of its own
(core/exports/prepared.py) for the page, which shows the progress, then serves the file and caps the size it offers
(dashboard/resultset_panel.py); `build_download` returns an export's bytes.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import Engine

from core.auth.access import Actor, Permission, require
from core.domain.errors import BadInput
from core.exports.coco import coco_export, coco_zip
from core.exports.completeness import PartialImages, image_count
from core.exports.csv_file import csv_bytes
from core.exports.datalog import check_table_name, export_to_table, list_datalog_tables, preview_datalog_table
from core.exports.images import ImageFile, Progress, image_files, images_size, write_with_images
from core.exports.prepared import new_export_folder, remove_prepared
from core.exports.source import ExportSource, ExportSummary, export_summary, load_source
from core.exports.split import SplitSpec, parse_split
from core.exports.voc import voc_zip
from core.exports.yolo import yolo_zip
from core.files.output_files import output_path, replacing

__all__ = [
    "FORMATS",
    "IMAGE_FORMATS",
    "Download",
    "ExportSummary",
    "PartialImages",
    "SplitSpec",
    "build_download",
    "check_table_name",
    "image_count",
    "export_images_size",
    "export_summary",
    "export_to_table",
    "list_datalog_tables",
    "parse_split",
    "prepare_export",
    "preview_datalog_table",
    "remove_prepared",
    "write_export",
]


@dataclass(frozen=True)
class Format:
    builder: Callable[[ExportSource], bytes]
    suffix: str
    mime: str
    split_suffix: str | None = None  # when a zip changes the file type (COCO: one JSON becomes a zip)
    split_mime: str | None = None

    def file_type(self, *, split: bool, images: bool = False) -> tuple[str, str]:
        """(suffix, MIME type) of the file, split or not, with images or not: either makes COCO a zip."""
        zipped = split or images
        if zipped and self.split_suffix and self.split_mime:  # set together (COCO)
            return self.split_suffix, self.split_mime
        return self.suffix, self.mime


FORMATS: dict[str, Format] = {
    "coco": Format(coco_export, ".json", "application/json", "-coco.zip", "application/zip"),
    "yolo": Format(yolo_zip, "-yolo.zip", "application/zip"),
    "voc": Format(voc_zip, "-voc.zip", "application/zip"),
    "csv": Format(csv_bytes, ".csv", "text/csv"),
}
IMAGE_FORMATS = ("coco", "yolo", "voc")  # the zips: a CSV has nowhere to put an image


@dataclass(frozen=True)
class Download:
    data: bytes
    file_name: str
    mime: str
    partial_images: PartialImages


def build_download(
    *,
    engine: Engine,
    resultset_id: int,
    format: str,
    actor: Actor,
    include_partial: bool = False,
    split: SplitSpec | None = None,
    include_images: bool = False,
) -> Download:
    """The export in memory, with a file name (job and ResultSet) and a MIME type for a download button, and the
    partial images it left out (or, with `include_partial`, holds); split by image when `split` says so; with the
    image files when `include_images` (built in a temporary file: only the finished zip is ever in memory)."""
    built = _build(
        engine=engine,
        resultset_id=resultset_id,
        format=format,
        actor=actor,
        include_partial=include_partial,
        split=split,
        include_images=include_images,
    )
    if built.images is None:
        data = built.labels
    else:
        with tempfile.TemporaryFile() as file:
            write_with_images(file, labels_zip=built.labels, images=built.images)
            file.seek(0)
            data = file.read()
    return Download(data=data, file_name=built.file_name, mime=built.mime, partial_images=built.source.partial_images)


def write_export(
    *,
    engine: Engine,
    resultset_id: int,
    format: str,
    out: Path,
    actor: Actor,
    include_partial: bool = False,
    split: SplitSpec | None = None,
    include_images: bool = False,
    progress: Progress | None = None,
) -> Path:
    """Write the export to `out` (a file; or an existing folder, then under the download's file name), atomically:
    a failed export leaves no partial file. Returns the path written. What may be written: core/files/output_files.py.
    With `include_images` the images are streamed into the file, `progress` told as they go."""
    built = _build(
        engine=engine,
        resultset_id=resultset_id,
        format=format,
        actor=actor,
        include_partial=include_partial,
        split=split,
        include_images=include_images,
    )
    path = output_path(out, file_name=built.file_name)
    with replacing(path) as partial:
        if built.images is None:
            partial.write_bytes(built.labels)
        else:
            with partial.open("wb") as file:
                write_with_images(file, labels_zip=built.labels, images=built.images, progress=progress)
    return path


def prepare_export(
    *,
    engine: Engine,
    resultset_id: int,
    format: str,
    actor: Actor,
    include_partial: bool = False,
    split: SplitSpec | None = None,
    include_images: bool = False,
    progress: Progress | None = None,
) -> Path:
    """`write_export` into a new folder of its own (core/exports/prepared.py): the path of the finished file, for a
    page to serve; `remove_prepared` removes it. A failed export leaves no folder."""
    folder = new_export_folder()
    try:
        return write_export(
            engine=engine,
            resultset_id=resultset_id,
            format=format,
            out=folder,
            actor=actor,
            include_partial=include_partial,
            split=split,
            include_images=include_images,
            progress=progress,
        )
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def export_images_size(*, engine: Engine, resultset_id: int, include_partial: bool = False) -> int:
    """The bytes of the image files an export with images would copy (BadInput naming those it cannot read): for
    the page to say how big a download would be before building it."""
    source = load_source(engine=engine, resultset_id=resultset_id, include_partial=include_partial)
    return images_size(image_files(source, format="voc"))  # every format copies the same files


@dataclass(frozen=True)
class _Built:
    source: ExportSource
    labels: bytes  # the export without images: with `images`, a zip they are added to
    images: list[ImageFile] | None
    file_name: str
    mime: str


def _build(
    *,
    engine: Engine,
    resultset_id: int,
    format: str,
    actor: Actor,
    include_partial: bool,
    split: SplitSpec | None,
    include_images: bool,
) -> _Built:
    require(actor, Permission.EXPORT, to="download a ResultSet's labels")
    spec = _format(format)
    if include_images and format not in IMAGE_FORMATS:
        raise BadInput(f"{format} export cannot carry images: use {', '.join(IMAGE_FORMATS)} (a zip)")
    source = replace(
        load_source(engine=engine, resultset_id=resultset_id, include_partial=include_partial).with_split(split),
        with_images=include_images,
    )
    labels = coco_zip(source) if include_images and format == "coco" else spec.builder(source)
    # Every image is looked at before a byte is written: a missing one refuses the export, not a half-copied zip.
    images = image_files(source, format=format) if include_images else None
    suffix, mime = spec.file_type(split=split is not None, images=include_images)
    return _Built(source=source, labels=labels, images=images, file_name=_file_name(source, suffix), mime=mime)


def _format(name: str) -> Format:
    if name not in FORMATS:
        raise BadInput(f"export format {name!r}: use one of {', '.join(FORMATS)}")
    return FORMATS[name]


def _file_name(source: ExportSource, suffix: str) -> str:
    stem = f"{source.job.name}-{source.resultset.name}"
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in stem).strip("._") or "resultset"
    return f"{safe}{suffix}"
