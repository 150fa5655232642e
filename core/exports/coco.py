"""COCO JSON of a ResultSet.

- `images`: the images the ResultSet covers (core/exports/source.py), ids 1..n in sample order, `file_name` the
  path relative to the job's image root, `width`, `height`.
- `categories`: every class of the label spec, `id` = spec position + 1, `name`, and `display_name` (an extra field;
  `supercategory` is not used).
- `annotations`, ids 1..n in image order: one per item with a class. Detection: `bbox` [x, y, w, h] in px (the
  expert box exactly as stored), `area` = w·h, `iscrowd` 0. Classification: the image's class as `category_id`,
  no `bbox` and no `area`. Accepted `removed` results have no annotation (their image stays, without that box).
  Each annotation also carries `result_id`, the LabelDeck result it came from.
- `info`: the ResultSet, its job and who made it, and its partial images (core/exports/completeness.py):
  `"complete_images_only": true` and `"left_out": {"pending": n, "rejected": n, "accepted_since_saved": n}`, the
  images left out by reason; or, exported with `include_partial`, `"complete_images_only": false` and
  `"partial_images"` with those counts, and each image then carries `"complete": true|false`.
"""

from __future__ import annotations

import json

import polars as pl

from core.domain.vocabulary import Task
from core.exports.manifest import with_manifest
from core.exports.source import ExportSource
from core.store.models import as_utc


def coco_bytes(source: ExportSource) -> bytes:
    images = source.images.with_row_index("id", offset=1).with_columns(pl.col("id").cast(pl.Int64))
    image_fields = ["id", pl.col("file_path").alias("file_name"), "width", "height"]
    if source.partial_images.included:
        images = images.join(source.partial, on="sample_id", how="left", maintain_order="left")
        image_fields.append(pl.col("reason").is_null().alias("complete"))
    boxes = (
        source.boxes.join(images.select(pl.col("id").alias("image_id"), "sample_id"), on="sample_id", how="left")
        .sort("image_id", "result_id")
        .with_row_index("id", offset=1)
        .with_columns(pl.col("id").cast(pl.Int64), (pl.col("position") + 1).alias("category_id"))
    )
    if source.task == Task.DETECTION:
        annotations = boxes.select(
            "id",
            "image_id",
            "category_id",
            pl.concat_list("x", "y", "w", "h").alias("bbox"),
            (pl.col("w") * pl.col("h")).alias("area"),
            pl.lit(0).alias("iscrowd"),
            "result_id",
        )
    else:
        annotations = boxes.select("id", "image_id", "category_id", "result_id")
    categories = source.classes.select(
        (pl.col("position") + 1).alias("id"), pl.col("class_name").alias("name"), "display_name"
    )
    resultset, job = source.resultset, source.job
    info = {
        "description": f"LabelDeck ResultSet {resultset.name!r} of job {job.name!r}",
        "resultset_id": resultset.id,
        "resultset": resultset.name,
        "job_id": job.id,
        "job": job.name,
        "task": job.task,
        "created_by": resultset.created_by,
        "date_created": as_utc(resultset.created_at).isoformat(),
        "note": resultset.note,
        "complete_images_only": not source.partial_images.included,
        "partial_images" if source.partial_images.included else "left_out": source.partial_images.counts(),
    }
    # polars writes the big arrays itself: a dict per annotation through json.dumps would cost seconds at 1M.
    parts = [
        '{"info": ',
        json.dumps(info),
        ', "licenses": []',
        ', "images": ',
        images.select(image_fields).write_json(),
        ', "annotations": ',
        annotations.write_json(),
        ', "categories": ',
        categories.write_json(),
        "}\n",
    ]
    return "".join(parts).encode()


def coco_export(source: ExportSource) -> bytes:
    """The COCO JSON; split, a zip as Detectron2, MMDetection and torchvision's CocoDetection expect it: one dataset
    per split, `annotations/instances_<split>.json` (image and annotation ids 1..n within each), and manifest.json."""
    return coco_bytes(source) if source.split is None else coco_zip(source)


def coco_zip(source: ExportSource) -> bytes:
    """COCO as a zip with manifest.json, split or not (unsplit: `annotations/instances.json`): what an export with
    its images is (core/exports/images.py)."""
    names = source.split.names if source.split else [None]
    files = [
        (
            f"annotations/instances_{name}.json" if name else "annotations/instances.json",
            coco_bytes(source.only(name) if name else source).decode(),
        )
        for name in names
    ]
    return with_manifest(source, format="coco", files=files)
