"""Exports of a ResultSet: downloads (COCO JSON, YOLO zip, Pascal VOC zip, CSV) as bytes for the UI, the same
written to a file for the CLI, and datalog tables in the store's database.

One module per format; each documents its conventions. Which images an export covers: core/exports/source.py;
by default only complete images (core/exports/completeness.py), every image of the ResultSet with
`include_partial`.
Classification ResultSets export to CSV, COCO (one annotation per image, no bbox) and datalog tables; YOLO and
Pascal VOC are for detection only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from core.access import Actor, Permission, require
from core.errors import BadInput
from core.exports.coco import coco_bytes
from core.exports.completeness import PartialImages, image_count
from core.exports.csv_file import csv_bytes
from core.exports.datalog import (
    check_table_name,
    export_to_table,
    list_datalog_tables,
    preview_datalog_table,
)
from core.exports.source import ExportSource, ExportSummary, export_summary, load_source
from core.exports.voc import voc_zip
from core.exports.yolo import yolo_zip
from core.output_files import output_path, replacing

__all__ = [
    "FORMATS", "Download", "ExportSummary", "PartialImages", "build_download", "check_table_name", "image_count",
    "export_summary", "export_to_table", "list_datalog_tables", "preview_datalog_table", "write_export",
]


@dataclass(frozen=True)
class Format:
    builder: object
    suffix: str
    mime: str


FORMATS: dict[str, Format] = {
    "coco": Format(coco_bytes, ".json", "application/json"),
    "yolo": Format(yolo_zip, "-yolo.zip", "application/zip"),
    "voc": Format(voc_zip, "-voc.zip", "application/zip"),
    "csv": Format(csv_bytes, ".csv", "text/csv"),
}


@dataclass(frozen=True)
class Download:
    data: bytes
    file_name: str
    mime: str
    partial_images: PartialImages


def build_download(
    *, engine: Engine, resultset_id: int, format: str, actor: Actor, include_partial: bool = False
) -> Download:
    """The export in memory, with a file name (job and ResultSet) and a MIME type for a download button, and the
    partial images it left out (or, with `include_partial`, holds)."""
    require(actor, Permission.EXPORT, to="download a ResultSet's labels")
    spec = _format(format)
    source = load_source(engine=engine, resultset_id=resultset_id, include_partial=include_partial)
    return Download(data=spec.builder(source), file_name=_file_name(source, spec.suffix), mime=spec.mime,
                    partial_images=source.partial_images)


def write_export(
    *, engine: Engine, resultset_id: int, format: str, out: Path, actor: Actor, include_partial: bool = False
) -> Path:
    """Write the export to `out` (a file; or an existing folder, then under the download's file name), atomically:
    a failed export leaves no partial file. Returns the path written. What may be written: core/output_files.py."""
    download = build_download(engine=engine, resultset_id=resultset_id, format=format, actor=actor,
                              include_partial=include_partial)
    path = output_path(out, file_name=download.file_name)
    with replacing(path) as partial:
        partial.write_bytes(download.data)
    return path


def _format(name: str) -> Format:
    if name not in FORMATS:
        raise BadInput(f"export format {name!r}: use one of {', '.join(FORMATS)}")
    return FORMATS[name]


def _file_name(source: ExportSource, suffix: str) -> str:
    stem = f"{source.job.name}-{source.resultset.name}"
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in stem).strip("._") or "resultset"
    return f"{safe}{suffix}"
