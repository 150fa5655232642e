"""What an expert's label may hold before it is saved: boxes in px with a known class each, clipped to the image
(core/labels/boxes.py's rules) and kept to a millionth of a pixel, or one known class for classification."""

from __future__ import annotations

import math
from numbers import Real
from typing import Any

import polars as pl

from core.domain import limits
from core.domain.errors import BadInput
from core.labels.boxes import box_problem, clipped_box
from core.store import models

# Coordinates are kept to a millionth of a pixel, so the editor's round trip through its display scale
# (x / scale * scale) saves the same label again.
DECIMALS = 6


Label = tuple[int, float | None, float | None, float | None, float | None]  # class id, x, y, w, h


def class_of(label_id: Any, label: Any, classes: list[models.LabelClass]) -> models.LabelClass | None:
    """The class a box or a choice names: by index in the spec (the editor's label_id), else by name, else by
    display name."""
    if label_id is not None:
        if isinstance(label_id, int) and not isinstance(label_id, bool) and 0 <= label_id < len(classes):
            return classes[label_id]
        return None
    if not isinstance(label, str):
        return None
    return {c.name: c for c in classes}.get(label.strip()) or {c.display_name: c for c in classes}.get(label.strip())


def as_float(value: Real) -> float:
    try:
        return float(value)
    except OverflowError:
        return math.nan


def checked_boxes(
    boxes: list[dict[str, Any]], sample: models.Sample, classes: list[models.LabelClass]
) -> tuple[list[Label], list[int]]:
    if not isinstance(boxes, list):
        raise BadInput(f"boxes must be a list of {{'bbox': [x, y, w, h], 'label_id': n}}, got {type(boxes).__name__}")
    if too_many := limits.too_many(len(boxes), limits.MAX_BOXES_PER_IMAGE, "boxes on one image"):
        raise BadInput(f"{sample.file_path!r}: {too_many}")
    problems, rows = [], []
    known = ", ".join(c.name for c in classes)
    for number, box in enumerate(boxes, 1):
        bbox = box.get("bbox") if isinstance(box, dict) else None
        where = f"{sample.file_path!r}: box {number} {bbox!r}"
        if not (
            isinstance(bbox, (list, tuple))
            and len(bbox) == 4
            and all(isinstance(v, Real) and not isinstance(v, bool) for v in bbox)
        ):
            problems.append(f"{where}: expected {{'bbox': [x, y, w, h], 'label_id': class index}}")
            continue
        label_class = class_of(box.get("label_id"), box.get("label"), classes)
        if label_class is None:
            given = box.get("label_id") if box.get("label_id") is not None else box.get("label")
            problems.append(f"{where}: unknown class {given!r} (the spec has: {known})")
            continue
        rows.append((number, label_class.id, *(as_float(v) for v in bbox)))
    frame = pl.DataFrame(
        rows,
        orient="row",
        schema={
            "number": pl.Int64,
            "class_id": pl.Int64,
            "x": pl.Float64,
            "y": pl.Float64,
            "w": pl.Float64,
            "h": pl.Float64,
        },
    )
    frame = frame.with_columns(pl.lit(sample.width).alias("width"), pl.lit(sample.height).alias("height"))
    checked = frame.with_columns(box_problem(clip_partial=True).alias("problem"))
    problems += [
        f"{sample.file_path!r}: {p.replace('box', f'box {n}', 1)}"
        for n, p in checked.filter(pl.col("problem").is_not_null()).select("number", "problem").iter_rows()
    ]
    if problems:
        raise BadInput(problems)
    fitted = frame.with_columns(
        *[pl.col(c).round(DECIMALS).alias(f"given_{c}") for c in "xywh"], *clipped_box()
    ).with_columns(pl.col(c).round(DECIMALS) for c in "xywh")
    clipped = fitted.filter(pl.any_horizontal([pl.col(c) != pl.col(f"given_{c}") for c in "xywh"]))["number"]
    return [tuple(r) for r in fitted.select("class_id", "x", "y", "w", "h").iter_rows()], clipped.to_list()


def checked_class(class_name: str, classes: list[models.LabelClass]) -> list[Label]:
    found = class_of(None, class_name, classes)
    if found is None:
        raise BadInput(f"unknown class {class_name!r} (the spec has: {', '.join(c.name for c in classes)})")
    return [(models.stored_id(found), None, None, None, None)]
