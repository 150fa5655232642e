"""The labels a job holds before it has results, read for a page of images: an auto label job's predictions and an
IN_PROGRESS manual job's pre-labels, as boxes core.images.thumbnails draws, with their count and top score per image.

LABEL_BOX_SCHEMA: label_id (the prediction's or annotation's id), sample_id, class_name, the box x, y, w, h in px
(null for classification) and score (the model's confidence, when known)."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl
from sqlalchemy import Engine, bindparam, text

from core.domain.vocabulary import ChangeKind

LABEL_BOX_SCHEMA = {
    "label_id": pl.Int64,
    "sample_id": pl.Int64,
    "class_name": pl.String,
    "x": pl.Float64,
    "y": pl.Float64,
    "w": pl.Float64,
    "h": pl.Float64,
    "score": pl.Float64,
}
LABEL_SUMMARY_SCHEMA = {"sample_id": pl.Int64, "boxes": pl.Int64, "top_score": pl.Float64, "top_class": pl.String}

_COLUMNS = "t.id, t.sample_id, c.name, t.x, t.y, t.w, t.h, t.score"
_PREDICTIONS = text(
    f"SELECT {_COLUMNS} FROM prediction t JOIN labelclass c ON c.id = t.class_id "
    "WHERE t.job_id = :job_id AND t.sample_id IN :sample_ids ORDER BY t.id"
).bindparams(bindparam("sample_ids", expanding=True))
_PRE_LABELS = text(
    f"SELECT {_COLUMNS} FROM annotation t JOIN labelclass c ON c.id = t.class_id "
    "WHERE t.job_id = :job_id AND t.source = 'pre' AND t.sample_id IN :sample_ids ORDER BY t.id"
).bindparams(bindparam("sample_ids", expanding=True))


def prediction_boxes(*, engine: Engine, job_id: int, sample_ids: Sequence[int]) -> pl.DataFrame:
    """The auto label job's predictions on these samples (LABEL_BOX_SCHEMA), in one query."""
    return _label_boxes(engine, _PREDICTIONS, job_id, sample_ids)


def pre_label_boxes(*, engine: Engine, job_id: int, sample_ids: Sequence[int]) -> pl.DataFrame:
    """The manual job's pre-labels on these samples (LABEL_BOX_SCHEMA), in one query."""
    return _label_boxes(engine, _PRE_LABELS, job_id, sample_ids)


def _label_boxes(engine: Engine, query, job_id: int, sample_ids: Sequence[int]) -> pl.DataFrame:
    ids = [int(i) for i in sample_ids]
    if not ids:  # an empty IN () is not valid SQL everywhere
        return pl.DataFrame(schema=LABEL_BOX_SCHEMA)
    with engine.connect() as conn:
        rows = conn.execute(query, {"job_id": job_id, "sample_ids": ids}).all()
    return pl.DataFrame(rows, schema=LABEL_BOX_SCHEMA, orient="row")


def tile_boxes(boxes: pl.DataFrame) -> pl.DataFrame:
    """LABEL_BOX_SCHEMA rows in the columns core.images.thumbnails.render_tile draws: each label as an unchanged expert
    box (solid, in its class colour, with its display name), no pre box."""
    return boxes.select(
        pl.col("label_id").alias("result_id"),
        "sample_id",
        pl.lit(ChangeKind.UNCHANGED).alias("change_kind"),
        pl.col("class_name").alias("expert_class"),
        pl.lit(None, pl.String).alias("pre_class"),
        *[pl.col(c).alias(f"expert_{c}") for c in "xywh"],
        *[pl.lit(None, pl.Float64).alias(f"pre_{c}") for c in "xywh"],
    )


def label_summary(boxes: pl.DataFrame) -> pl.DataFrame:
    """Per sample with labels (LABEL_SUMMARY_SCHEMA): how many, the highest score, and the class of the label with
    the highest score (a classification model's answer); scores may be null, which rank last."""
    return (
        boxes.group_by("sample_id")
        .agg(
            pl.len().cast(pl.Int64).alias("boxes"),
            pl.col("score").max().alias("top_score"),
            pl.col("class_name")
            .sort_by(pl.col("score").fill_null(float("-inf")), "label_id", descending=[True, False])
            .first()
            .alias("top_class"),
        )
        .select([pl.col(name).cast(dtype) for name, dtype in LABEL_SUMMARY_SCHEMA.items()])
    )


def predicted_classes(*, engine: Engine, job_id: int) -> pl.DataFrame:
    """sample_id, classes: the classes an auto label job predicted on each image, sorted, each once."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT DISTINCT t.sample_id, c.name FROM prediction t JOIN labelclass c ON c.id = t.class_id "
                "WHERE t.job_id = :job_id"
            ),
            {"job_id": job_id},
        ).all()
    frame = pl.DataFrame(rows, schema={"sample_id": pl.Int64, "class_name": pl.String}, orient="row")
    return frame.group_by("sample_id").agg(pl.col("class_name").sort().alias("classes"))
