"""manifest.json, the last entry of every zip export: what a training run cites to say exactly which labels it used.

- `job` (id, name, task) and `resultset` (id, name, note, created_by, created_at: who saved it and when).
- `format`, `include_partial`, and the partial images by reason (`left_out`, or `partial_images` when included).
- `split`: null, or the fractions, the seed and whether stratified (core/exports/split.py).
- `counts`: per split (`all` when not split), `images`, `labels` (boxes, or images' classes) and `classes`, the
  labels per class of the label spec (0 included, so two manifests compare class by class).
- `files`: the sha256 of every other file of the zip, by path, of the bytes as stored.

Nothing in it depends on when the export was made, so the same ResultSet and split give the same bytes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

import polars as pl

from core.exports.archive import zip_bytes
from core.exports.source import ExportSource
from core.store.models import as_utc

MANIFEST = "manifest.json"
ALL = "all"


def manifest_text(source: ExportSource, *, format: str, files: Sequence[tuple[str, str]]) -> str:
    resultset, job, partial = source.resultset, source.job, source.partial_images
    manifest = {
        "job": {"id": job.id, "name": job.name, "task": job.task},
        "resultset": {
            "id": resultset.id,
            "name": resultset.name,
            "note": resultset.note,
            "created_by": resultset.created_by,
            "created_at": as_utc(resultset.created_at).isoformat(),
        },
        "format": format,
        "include_partial": partial.included,
        "partial_images" if partial.included else "left_out": partial.counts(),
        "split": source.split.describe() if source.split else None,
        "counts": _counts(source),
        "files": {path: hashlib.sha256(text.encode()).hexdigest() for path, text in sorted(files)},
    }
    return json.dumps(manifest, indent=2) + "\n"


def with_manifest(source: ExportSource, *, format: str, files: Sequence[tuple[str, str]]) -> bytes:
    """The zip of `files` and their manifest.json."""
    return zip_bytes([*files, (MANIFEST, manifest_text(source, format=format, files=files))])


def _counts(source: ExportSource) -> dict[str, dict]:
    images = source.images_with_split().with_columns(pl.col("split").fill_null(ALL))
    labels = source.boxes.join(images.select("sample_id", "split"), on="sample_id", how="inner")
    names = source.split.names if source.split else [ALL]
    classes = source.classes["class_name"].to_list()
    image_counts = dict(images.group_by("split").len().iter_rows())
    per_class = {(split, name): n for split, name, n in labels.group_by("split", "class_name").len().iter_rows()}
    return {
        split: {
            "images": image_counts.get(split, 0),
            "labels": sum(per_class.get((split, c), 0) for c in classes),
            "classes": {c: per_class.get((split, c), 0) for c in classes},
        }
        for split in names
    }
