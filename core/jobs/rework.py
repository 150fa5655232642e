"""Rework: rejected results go back to an expert. `create_rework_job` makes a manual label job (IN_PROGRESS) on the
images of rejected results of a READY manual job, its origin; submitting it brings the labels back
(core/jobs/rework_return.py).

- The rework job links its origin (LabelJob.origin_job_id); one ReworkItem per result sent back links the
  origin's result, the rework job's sample of its image and the reason the result was rejected (the reason of the
  review action that rejected it; an undo that restored the rejection carries none), which the annotator sees on
  that image (`rework_notes`).
- Its pre-labels are the current expert labels of the results sent back, nothing else of the image: the other
  results keep their decisions and are not replaced, so they are not offered for editing. A rejected `removed`
  result has no expert box: it contributes no pre-label, only its reason; its pre box is matched again on return.
- Sending back records a review event of the origin (rejected → rejected, linked to the rework job) so the
  Activity shows the loop; the results stay Rejected until the rework comes back. A result already sent to a rework
  job that is still being labelled is not sent again.
- Reviewers send back (Permission.REVIEW), as they reject: the rework job is part of reviewing the origin.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl
from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

from core.auth.access import Actor, Permission, require
from core.domain.errors import BadInput, NotFound
from core.domain.names import refuse_unsafe_name
from core.domain.vocabulary import REMOVED_ROW, JobStatus, ReviewState
from core.jobs.manual import add_manual_job, refusing_a_name_taken_meanwhile
from core.jobs.summaries import checked_job_name, lock_job
from core.labels.pre_labels import PRE_LABEL_SCHEMA
from core.review.decisions import move_for_rework
from core.store import models
from core.store.bulk import insert_frame
from core.store.db import write_transaction


@dataclass(frozen=True)
class ReworkNote:
    """One result sent back on an image, as the annotator sees it."""

    result_id: int  # in the origin job
    class_name: str  # the expert class, or (removed)
    box: tuple[float, float, float, float] | None  # x, y, w, h of the expert box (detection)
    reason: str | None


@dataclass(frozen=True)
class ReworkCreated:
    job: models.LabelJob
    results: int  # rejected results sent back
    already_sent_back: int  # rejected results of the selection left out: in a rework job still being labelled


_REJECTED = text(f"""
    SELECT r.id, r.sample_id, s.file_path, s.width, s.height, c.name, r.expert_x, r.expert_y, r.expert_w, r.expert_h,
           CASE WHEN EXISTS (SELECT 1 FROM reworkitem i JOIN labeljob j ON j.id = i.job_id
                             WHERE i.result_id = r.id AND j.status = '{JobStatus.IN_PROGRESS}') THEN 1 ELSE 0 END
    FROM reviewstate st JOIN result r ON r.id = st.result_id JOIN sample s ON s.id = r.sample_id
    LEFT JOIN labelclass c ON c.id = r.expert_class_id
    WHERE st.job_id = :job_id AND st.state = '{ReviewState.REJECTED}' ORDER BY r.id
""")
_REJECTED_SCHEMA = {
    "result_id": pl.Int64,
    "origin_sample_id": pl.Int64,
    "file_path": pl.String,
    "width": pl.Int64,
    "height": pl.Int64,
    "class_name": pl.String,
    "x": pl.Float64,
    "y": pl.Float64,
    "w": pl.Float64,
    "h": pl.Float64,
    "sent_back": pl.Int64,
}


def create_rework_job(
    *,
    engine: Engine,
    job_id: int,
    name: str,
    actor: Actor,
    result_ids: Sequence[int] | None = None,
    from_state: str = ReviewState.REJECTED,
    classes: Sequence[str] | None = None,
) -> ReworkCreated:
    """A rework job named `name` on the images of the job's rejected results: those among `result_ids` (picked
    results), else every rejected one; `classes` keeps the results of those expert classes ((removed) included).
    Refused (BadInput) when nothing rejected is left to send back."""
    sender = require(actor, Permission.REVIEW, to="send results back for relabelling")
    if from_state != ReviewState.REJECTED:
        raise BadInput(f"from {from_state!r}: only rejected results are sent back for relabelling")
    name = checked_job_name(name)
    refuse_unsafe_name(name, what="job name")
    with refusing_a_name_taken_meanwhile(name), write_transaction(engine) as session:
        origin = lock_job(session, job_id)
        if not origin.is_reviewable:
            raise BadInput(
                f"job #{origin.id} {origin.name!r} is a {origin.status} {origin.tag} job: only the "
                "rejected results of a READY manual label job can be sent back"
            )
        chosen = _chosen(session, origin, result_ids=result_ids, classes=classes)
        sending = chosen.filter(pl.col("sent_back") == 0)
        if sending.is_empty():
            raise BadInput(_nothing_to_send(origin, chosen, result_ids=result_ids, classes=classes))
        spec = session.get(models.LabelSpec, origin.spec_id)
        if spec is None:  # a job's spec is a foreign key: there while the job is
            raise NotFound(f"label spec {origin.spec_id} of job #{origin.id} not found")
        origin_id = models.stored_id(origin)
        job = add_manual_job(
            session,
            name=name,
            spec=spec,
            image_root=origin.image_root,
            samples=sending.select("file_path", "width", "height").unique("file_path").sort("file_path"),
            pre=_pre_labels(sending),
            pre_label_source=f"rework of job #{origin.id} {origin.name}",
            source_job_id=None,
            iou_threshold=origin.iou_threshold,
            created_by=sender,
            origin_job_id=origin.id,
        )
        samples = pl.DataFrame(
            session.exec(select(models.Sample.id, models.Sample.file_path).where(models.Sample.job_id == job.id)).all(),
            schema={"sample_id": pl.Int64, "file_path": pl.String},
            orient="row",
        )
        job_id = models.stored_id(job)
        reasons = _reject_reasons(session, origin_id, sending["result_id"])
        insert_frame(
            session,
            models.table_of(models.ReworkItem),
            sending.join(samples, on="file_path")
            .join(reasons, on="result_id", how="left")
            .select(pl.lit(job.id).alias("job_id"), "result_id", "sample_id", "reason"),
        )
        sent = sending["result_id"].to_list()
        move_for_rework(
            session,
            job_id=origin_id,
            moves=[(ReviewState.REJECTED, ReviewState.REJECTED, sent)],
            reviewer=sender,
            rework_job_id=job_id,
            reason=f"sent back for relabelling in job #{job.id} {job.name}",
        )
    return ReworkCreated(job=job, results=sending.height, already_sent_back=chosen.height - sending.height)


def rework_notes(*, engine: Engine, job_id: int, sample_id: int) -> list[ReworkNote]:
    """What the annotator of a rework job is told about one image: each result sent back from it and why it was
    rejected. Empty for a sample of any other job."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT i.result_id, c.name, r.expert_x, r.expert_y, r.expert_w, r.expert_h, i.reason "
                "FROM reworkitem i JOIN result r ON r.id = i.result_id LEFT JOIN labelclass c ON c.id = r.expert_class_id "
                "WHERE i.job_id = :job_id AND i.sample_id = :sample_id ORDER BY i.result_id"
            ),
            {"job_id": job_id, "sample_id": sample_id},
        ).all()
    return [
        ReworkNote(
            result_id=r[0],
            class_name=r[1] or REMOVED_ROW,
            box=None if r[2] is None else (r[2], r[3], r[4], r[5]),
            reason=r[6],
        )
        for r in rows
    ]


def _chosen(
    session: Session, origin: models.LabelJob, *, result_ids: Sequence[int] | None, classes: Sequence[str] | None
) -> pl.DataFrame:
    rejected = pl.DataFrame(
        session.connection().execute(_REJECTED, {"job_id": origin.id}).all(), schema=_REJECTED_SCHEMA, orient="row"
    )
    if result_ids is not None:
        rejected = rejected.filter(pl.col("result_id").is_in(pl.Series(result_ids, dtype=pl.Int64).implode()))
    if classes:
        known = [
            *session.exec(
                select(models.LabelClass.name)
                .where(models.LabelClass.spec_id == origin.spec_id)
                .order_by(col(models.LabelClass.position))
            ).all(),
            REMOVED_ROW,
        ]
        if unknown := [c for c in classes if c not in known]:
            raise BadInput(f"class {', '.join(unknown)}: not a class of job {origin.id} ({', '.join(known)})")
        rejected = rejected.filter(pl.coalesce("class_name", pl.lit(REMOVED_ROW)).is_in(list(classes)))
    return rejected


def _nothing_to_send(
    origin: models.LabelJob, chosen: pl.DataFrame, *, result_ids: Sequence[int] | None, classes: Sequence[str] | None
) -> str:
    which = " of class " + ", ".join(classes) if classes else ""
    among = f" among the {pl.Series(result_ids).n_unique():,} given" if result_ids is not None else ""
    if chosen.height:
        return (
            f"job #{origin.id} {origin.name!r}: its {chosen.height:,} rejected results{which}{among} were sent "
            "back already, to a rework job still being labelled"
        )
    return f"job #{origin.id} {origin.name!r} has no rejected results{which}{among}: nothing to send back"


def _pre_labels(sending: pl.DataFrame) -> pl.DataFrame:
    """The current expert labels of the results sent back (a removed result has none)."""
    return (
        sending.filter(pl.col("class_name").is_not_null())
        .select(
            "file_path",
            "class_name",
            "x",
            "y",
            "w",
            "h",
            pl.lit(None, pl.Float64).alias("score"),
            pl.lit(None, pl.String).alias("where"),
        )
        .cast(pl.Schema(PRE_LABEL_SCHEMA))
    )


def _reject_reasons(session: Session, job_id: int, result_ids: pl.Series) -> pl.DataFrame:
    """result_id, reason: the reason of the last event that moved each result to rejected, which is what put it in
    its current state (the results are rejected now and the job is locked)."""
    events = session.exec(
        models.select_columns(
            models.ReviewEvent.id,
            models.ReviewEvent.result_ids,
            models.ReviewEvent.to_state,
            models.ReviewEvent.to_states,
            models.ReviewEvent.reason,
        )
        .where(models.ReviewEvent.job_id == job_id, col(models.ReviewEvent.rework_job_id).is_(None))
        .where((col(models.ReviewEvent.to_state) == ReviewState.REJECTED) | col(models.ReviewEvent.to_state).is_(None))
    ).all()
    moved = pl.DataFrame(
        [
            (
                event_id,
                ids if to_state == ReviewState.REJECTED else (to_states or {}).get(ReviewState.REJECTED, []),
                reason,
            )
            for event_id, ids, to_state, to_states, reason in events
        ],
        schema={"event_id": pl.Int64, "result_id": pl.List(pl.Int64), "reason": pl.String},
        orient="row",
    )
    return (
        moved.explode("result_id")
        .filter(pl.col("result_id").is_in(result_ids.implode()))
        .sort("event_id")
        .group_by("result_id")
        .agg(pl.col("reason").last())
    )
