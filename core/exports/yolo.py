"""YOLO labels of a detection ResultSet, as a zip:

- `labels/<image path without extension>.txt` for every image the ResultSet covers (flat jobs:
  `labels/<stem>.txt`): a line `class_index cx cy w h` per box, the centre and size normalised by the image's width
  and height, 6 decimals; an empty file for an image without boxes. Lines in result order.
- `classes.txt`: the label spec's class names, one a line; the line number (from 0) is `class_index`.
- `data.yaml`: `nc` and `names` (the same list), for Ultralytics-style tools; `README.txt`: what this is, and how
  many partially reviewed images were left out and why (core/exports/completeness.py).

- `manifest.json` (core/exports/manifest.py).

Image files are not in the archive unless exported with them (core/exports/images.py): put them under `images/`
beside `labels/`, as in the job's image root.

Split (core/exports/split.py), in Ultralytics' layout: `labels/<split>/<image>.txt`, and `data.yaml` names
`train: images/train`, `val: images/val` (and `test: images/test`); Ultralytics finds an image's labels by putting
`labels` for `images` in its path, so the images go under `images/<split>/`.
"""

from __future__ import annotations

import json

import polars as pl

from core.domain.names import escaped
from core.exports.manifest import with_manifest
from core.exports.source import ExportSource, label_paths, readme_text, require_detection


def fixed6(value: pl.Expr) -> pl.Expr:
    """A value in [0, 1] as text with exactly 6 decimals, ties to even like printf's %.6f (polars has no printf);
    float noise past the border is clipped."""
    micro = (value.clip(0.0, 1.0) * 1_000_000).round(0).cast(pl.Int64)
    return pl.format("{}.{}", micro // 1_000_000, (micro % 1_000_000).cast(pl.String).str.zfill(6))


def yolo_zip(source: ExportSource) -> bytes:
    require_detection(source, "YOLO")
    width, height = pl.col("width").cast(pl.Float64), pl.col("height").cast(pl.Float64)
    lines = (
        source.boxes.sort("sample_id", "result_id")
        .select(
            "sample_id",
            pl.format(
                "{} {} {} {} {}",
                "position",
                fixed6((pl.col("x") + pl.col("w") / 2) / width),
                fixed6((pl.col("y") + pl.col("h") / 2) / height),
                fixed6(pl.col("w") / width),
                fixed6(pl.col("h") / height),
            ).alias("line"),
        )
        .group_by("sample_id", maintain_order=True)
        .agg((pl.col("line").str.join("\n") + "\n").alias("text"))
    )
    images = source.images_with_split()
    folder = pl.format("labels/{}", "split") if source.split else "labels"
    files = (
        images.with_columns(label_paths(images, folder=folder, suffix=".txt"))
        .join(lines, on="sample_id", how="left", maintain_order="left")
        .select("label_path", pl.col("text").fill_null(""))
    )
    names = source.classes["class_name"].to_list()
    image_folder = "images/<split>/" if source.split else "images/"
    where = (
        f"The images are under {image_folder}"
        if source.with_images
        else f"Image files are not included: put them under {image_folder}"
    )
    readme = readme_text(
        source,
        title="YOLO labels",
        images=files.height,
        body=(
            "labels/<image>.txt: class_index cx cy w h, normalised to [0, 1]; class_index is the line of classes.txt "
            f"(from 0).\n{where}, with the paths of the job's image root.\n"
        ),
    )
    # Unsplit, train and val are the same images: tools that need both still run on them.
    folders = (
        {name: f"images/{name}" for name in source.split.names}
        if source.split
        else {"train": "images", "val": "images"}
    )
    data_yaml = (
        "path: .\n"
        + "".join(f"{name}: {path}\n" for name, path in folders.items())
        + (f"nc: {len(names)}\nnames: {json.dumps(names)}\n")
    )
    return with_manifest(
        source,
        format="yolo",
        files=[
            # One line per class whatever a name holds (names from before core/domain/names.py may hold a line break).
            ("classes.txt", "".join(f"{escaped(n)}\n" for n in names)),
            ("data.yaml", data_yaml),
            ("README.txt", readme),
            *files.iter_rows(),
        ],
    )
