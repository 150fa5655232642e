"""Bringing a submitted rework job's labels back to its origin job (core/jobs/rework.py sent them out): submit_job calls
return_to_origin in its own transaction, so the rework job turns READY and the origin changes together or not at
all.

Per image: the rejected results sent back are replaced by results computed from the rework expert's labels,
matched (detection) against the pre boxes of the replaced results with the origin's IoU threshold, so every pre box
of the origin still belongs to exactly one result and Class Changed still compares with the origin's pre-labels.
The new results arrive Pending Review; the replaced ones move to `reworked` (terminal, shown nowhere, kept for the
log). One review event of the origin records both moves (rejected → reworked, pending → pending for the new
results) and links the rework job, so replaying the log still gives every result's state. The other results of
the image are untouched.

An image comes back only when it was labelled (a skipped one contributes nothing, as in any submit) and every
result sent back from it is still rejected: a result someone accepted or moved meanwhile keeps that decision, and
its image's rework labels stay in the rework job only.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
from sqlalchemy import text
from sqlmodel import Session

from core.analysis.metrics import results_of_labels
from core.domain.vocabulary import JobStatus, ReviewState
from core.jobs.saving import insert_results
from core.jobs.summaries import lock_job
from core.review.decisions import move_for_rework
from core.store import models


@dataclass(frozen=True)
class ReworkReturn:
    images: int  # images whose labels came back
    replaced: int  # rejected results moved to reworked
    arrived: int  # new pending results
    kept_out: int  # images not brought back: skipped, or a result sent back was moved meanwhile


_ITEMS = text(f"""
    SELECT i.result_id, i.sample_id, s.label_status, r.sample_id, COALESCE(st.state, '{ReviewState.PENDING}')
    FROM reworkitem i JOIN sample s ON s.id = i.sample_id JOIN result r ON r.id = i.result_id
    LEFT JOIN reviewstate st ON st.result_id = i.result_id
    WHERE i.job_id = :job_id ORDER BY i.result_id
""")
_ITEM_SCHEMA = {
    "result_id": pl.Int64,
    "rework_sample_id": pl.Int64,
    "label_status": pl.String,
    "sample_id": pl.Int64,
    "review_state": pl.String,
}


def return_to_origin(session: Session, *, rework_job: models.LabelJob, submitted_by: str) -> ReworkReturn:
    """In submit_job's transaction, after the rework job's own results are stored."""
    if rework_job.origin_job_id is None:
        raise ValueError(f"job #{rework_job.id} is not a rework job")
    origin = lock_job(session, rework_job.origin_job_id)
    origin_id, rework_job_id = models.stored_id(origin), models.stored_id(rework_job)
    conn = session.connection()
    items = pl.DataFrame(conn.execute(_ITEMS, {"job_id": rework_job_id}).all(), schema=_ITEM_SCHEMA, orient="row")
    by_image = items.group_by("rework_sample_id", "sample_id").agg(
        ((pl.col("label_status") == "labelled") & (pl.col("review_state") == ReviewState.REJECTED))
        .all()
        .alias("returns")
    )
    returning = by_image.filter("returns")
    if origin.status != JobStatus.READY or returning.is_empty():
        return ReworkReturn(images=0, replaced=0, arrived=0, kept_out=by_image.height)
    replaced = items.join(returning.select("rework_sample_id"), on="rework_sample_id")["result_id"]
    results = _new_results(session, origin=origin, rework_job=rework_job, returning=returning, replaced=replaced)
    before = conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM result WHERE job_id = :j"), {"j": origin.id}).scalar()
    class_ids = pl.DataFrame({"category_id": _class_ids(session, origin.spec_id)}).with_columns(
        pl.col("category_id").alias("class_id")
    )
    insert_results(
        session,
        job_id=origin_id,
        results=results,
        class_ids=class_ids,
        sample_ids=returning.select(pl.col("sample_id").alias("image_id"), "sample_id"),
    )
    # The origin is locked: the results of this job above `before` are the ones just inserted.
    arrived = (
        conn.execute(
            text("SELECT id FROM result WHERE job_id = :j AND id > :before ORDER BY id"),
            {"j": origin.id, "before": before},
        )
        .scalars()
        .all()
    )
    move_for_rework(
        session,
        job_id=origin_id,
        reviewer=submitted_by,
        rework_job_id=rework_job_id,
        moves=[
            (ReviewState.REJECTED, ReviewState.REWORKED, replaced.to_list()),
            (ReviewState.PENDING, ReviewState.PENDING, arrived),
        ],
        reason=f"relabelled in rework job #{rework_job.id} {rework_job.name}",
    )
    origin.data_revision += 1  # new result rows: the cached results frame of the old revision is never read again
    origin.result_count += len(arrived) - replaced.len()
    session.add(origin)
    return ReworkReturn(
        images=returning.height,
        replaced=replaced.len(),
        arrived=len(arrived),
        kept_out=by_image.height - returning.height,
    )


def _new_results(
    session: Session,
    *,
    origin: models.LabelJob,
    rework_job: models.LabelJob,
    returning: pl.DataFrame,
    replaced: pl.Series,
) -> pl.DataFrame:
    """core.analysis.metrics results keyed by image_id = the origin's sample id and category_id = class id: the rework
    expert's labels against the replaced results' pre-labels."""
    conn = session.connection()
    label_schema = {
        "image_id": pl.Int64,
        "category_id": pl.Int64,
        "x": pl.Float64,
        "y": pl.Float64,
        "w": pl.Float64,
        "h": pl.Float64,
        "score": pl.Float64,
    }
    expert = pl.DataFrame(
        conn.execute(
            text(
                "SELECT sample_id, class_id, x, y, w, h, score FROM annotation WHERE job_id = :j AND source = 'expert' "
                "ORDER BY id"
            ),
            {"j": rework_job.id},
        ).all(),
        schema=label_schema,
        orient="row",
    )
    expert = (
        expert.rename({"image_id": "rework_sample_id"})
        .join(
            returning.select("rework_sample_id", pl.col("sample_id").alias("image_id")),
            on="rework_sample_id",
            maintain_order="left",
        )
        .select(list(label_schema))
    )
    pre = pl.DataFrame(
        conn.execute(
            text(
                "SELECT sample_id, pre_class_id, pre_x, pre_y, pre_w, pre_h, pre_confidence FROM result "
                f"WHERE id IN ({_ids(replaced)}) AND pre_class_id IS NOT NULL ORDER BY id"
            )
        ).all(),
        schema=label_schema,
        orient="row",
    )
    images = pl.DataFrame(
        conn.execute(
            text(f"SELECT id, file_path, width, height FROM sample WHERE id IN ({_ids(returning['sample_id'])})")
        ).all(),
        schema={"image_id": pl.Int64, "file_name": pl.String, "width": pl.Int64, "height": pl.Int64},
        orient="row",
    )
    return results_of_labels(
        task=origin.task, expert=expert, pre=pre, images=images, iou_threshold=origin.iou_threshold
    )


def _ids(ids: pl.Series) -> str:
    """An IN list of ids read from the store (integers, never user text): one slice of rejected results, far
    fewer than the 500k a review action bulk-loads into a temporary table."""
    return ", ".join(str(i) for i in ids.to_list())


def _class_ids(session: Session, spec_id: int) -> list[int]:
    return list(
        session.connection()
        .execute(text("SELECT id FROM labelclass WHERE spec_id = :s"), {"s": spec_id})
        .scalars()
        .all()
    )
