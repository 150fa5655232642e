"""The pre-label quality of every READY manual label job, a row each, for the Overview: its headline figures and the
series its trend is drawn in (the jobs made from the same auto label job, or else with the same label spec), so a
team lead sees whether the pre-labels get better from one job to the next."""

from __future__ import annotations

from collections.abc import Callable

import polars as pl
from sqlalchemy import Engine, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from core.analysis.quality.service import job_quality
from core.domain.vocabulary import JobKind, JobStatus, Task
from core.store import models

QUALITY_BY_JOB_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "job_id": pl.Int64,
    "job": pl.String,
    "tag": pl.String,
    "task": pl.String,
    "created_at": pl.Datetime("us", "UTC"),
    "series": pl.String,  # "auto label job NAME" or "label spec NAME": the jobs one trend line joins
    "headline": pl.Float64,  # AP for detection, accuracy for classification: the trend's figure
    "ap": pl.Float64,
    "ap50": pl.Float64,
    "accuracy": pl.Float64,
    "precision": pl.Float64,
    "recall": pl.Float64,
    "f1": pl.Float64,
    "best_threshold": pl.Float64,
    "edits": pl.Int64,  # every pre-label kept: the edits the expert made
    "best_edits": pl.Int64,  # at the best threshold
}


def quality_by_job(*, engine: Engine, progress: Callable[[int, int], None] | None = None) -> pl.DataFrame:
    """QUALITY_BY_JOB_SCHEMA, one row per READY manual label job, the newest first. Figures computed before are read
    from their cache files; the others are computed (job_quality) and cached, progress(done, of) told before each."""
    jobs = _jobs(engine)
    rows = []
    for index, (job, spec, source) in enumerate(jobs):
        if progress is not None:
            progress(index, len(jobs))
        quality = job_quality(engine=engine, job_id=models.stored_id(job))
        rows.append(
            {
                "job_id": job.id,
                "job": job.name,
                "tag": job.tag,
                "task": job.task,
                "created_at": job.created_at,
                "series": f"auto label job {source}" if source is not None else f"label spec {spec}",
                "headline": quality.ap if job.task == Task.DETECTION else quality.accuracy,
                "ap": quality.ap,
                "ap50": quality.ap50,
                "accuracy": quality.accuracy,
                "precision": quality.precision,
                "recall": quality.recall,
                "f1": quality.f1,
                "best_threshold": quality.best_threshold,
                "edits": quality.as_labelled.edits,
                "best_edits": None if quality.best is None else quality.best.edits,
            }
        )
    return pl.DataFrame(rows, schema=QUALITY_BY_JOB_SCHEMA, orient="row")


def _jobs(engine: Engine) -> list[tuple[models.LabelJob, str, str | None]]:
    """(job, its label spec's name, the name of the auto label job its pre-labels came from or None)."""
    source = aliased(models.LabelJob)
    query = (
        select(models.LabelJob, col(models.LabelSpec.name), col(source.name))
        .join(models.LabelSpec, col(models.LabelSpec.id) == col(models.LabelJob.spec_id))
        .outerjoin(source, col(source.id) == col(models.LabelJob.source_job_id))
        .where(col(models.LabelJob.kind) == JobKind.MANUAL, col(models.LabelJob.status) == JobStatus.READY)
        .order_by(col(models.LabelJob.created_at).desc(), col(models.LabelJob.id).desc())
    )
    with Session(engine) as session:
        return [(job, spec, source_name) for job, spec, source_name in session.execute(query).all()]
