"""Submitting a manual label job: every image labelled or skipped, its expert labels are matched and measured against
the pre-labels exactly as the importer does, the results written pending, and the job turns READY (a rework job's
results go back to its origin job in the same transaction: core/jobs/rework_return.py)."""

from __future__ import annotations

import polars as pl
from sqlalchemy import Engine, text, update
from sqlmodel import Session, col

from core.analysis.metrics import results_of_labels
from core.analysis.results_frame import write_cached_results
from core.auth.access import Actor, Permission, require
from core.domain.errors import BadInput
from core.domain.plural import plural
from core.domain.vocabulary import JobStatus
from core.jobs.manual import locked_job_in_progress, sample_rows, spec_class_names
from core.jobs.rework_return import return_to_origin
from core.jobs.saving import store_results
from core.store import models
from core.store.bulk import refresh_statistics
from core.store.db import write_transaction

ANNOTATION_SCHEMA = {
    "sample_id": pl.Int64,
    "source": pl.String,
    "class_id": pl.Int64,
    "x": pl.Float64,
    "y": pl.Float64,
    "w": pl.Float64,
    "h": pl.Float64,
    "score": pl.Float64,
}


def submit_job(*, engine: Engine, job_id: int, actor: Actor, allow_unlabelled: bool = False) -> models.LabelJob:
    """Compute the job's results from its expert labels, with the importer's matching and metrics and the job's IoU
    threshold, and make it READY, in one transaction. Images still unlabelled refuse the submit, listed by name,
    unless `allow_unlabelled`: they are then marked skipped and contribute no results."""
    submitted_by = require(actor, Permission.LABEL, to="submit a manual label job")
    with write_transaction(engine) as session:
        job = locked_job_in_progress(session, job_id, exclusive=True)
        samples = sample_rows(session, job_id)
        unlabelled = samples.filter(pl.col("label_status") == "unlabelled")
        labelled = samples.filter(pl.col("label_status") == "labelled")
        if labelled.is_empty():
            raise BadInput(f"job #{job.id} {job.name!r}: no image has an expert label yet; nothing to submit")
        if unlabelled.height and not allow_unlabelled:
            raise BadInput(
                [
                    f"job #{job.id} {job.name!r}: {unlabelled.height:,} of {plural(samples.height, 'image')} have no expert "
                    "label; label or skip them, or submit allowing unlabelled images (--allow-unlabelled) to leave "
                    "them out"
                ]
                + [f"unlabelled: {p}" for p in unlabelled["file_path"]]
            )
        if unlabelled.height:
            session.exec(
                update(models.Sample)
                .where(col(models.Sample.job_id) == job.id, col(models.Sample.label_status) == "unlabelled")
                .values(label_status="skipped")
            )
        results = _results(session, job, labelled)
        classes = spec_class_names(session, job.spec_id)
        frame = store_results(
            session,
            job=job,
            results=results,
            images=samples.select(
                pl.col("sample_id").alias("image_id"), pl.col("file_path").alias("file_name"), "width", "height"
            ),
            sample_ids=samples.select(pl.col("sample_id").alias("image_id"), "sample_id"),
            class_ids=classes.select(pl.col("class_id").alias("category_id"), "class_id"),
            classes=classes.select(pl.col("class_id").alias("category_id"), "name"),
        )
        if job.origin_job_id is not None:
            return_to_origin(session, rework_job=job, submitted_by=submitted_by)
        job.status = JobStatus.READY
        job.result_count = results.height
        job.data_revision += 1
        job.submitted_by, job.submitted_at = submitted_by, models.utcnow()
        session.add(job)
    refresh_statistics(engine, "result")
    write_cached_results(engine, job, frame)
    return job


def _annotations(session: Session, job_id: int) -> pl.DataFrame:
    """The job's pre and expert labels in the order they were written: the matcher's tie-break order, as the
    order of a label file is for the importer."""
    rows = (
        session.connection()
        .execute(
            text(
                "SELECT sample_id, source, class_id, x, y, w, h, score FROM annotation WHERE job_id = :job_id ORDER BY id"
            ),
            {"job_id": job_id},
        )
        .all()
    )
    return pl.DataFrame(rows, orient="row", schema=ANNOTATION_SCHEMA)


def _results(session: Session, job: models.LabelJob, labelled: pl.DataFrame) -> pl.DataFrame:
    """core.analysis.metrics results of the labelled images, keyed by image_id = sample id and category_id = class id."""
    labels = _annotations(session, models.stored_id(job)).filter(
        pl.col("sample_id").is_in(labelled["sample_id"].implode())
    )
    expert = labels.filter(pl.col("source") == "expert").rename({"sample_id": "image_id", "class_id": "category_id"})
    pre = labels.filter(pl.col("source") == "pre").rename({"sample_id": "image_id", "class_id": "category_id"})
    return results_of_labels(
        task=job.task,
        expert=expert,
        pre=pre,
        iou_threshold=job.iou_threshold,
        images=labelled.select(
            pl.col("sample_id").alias("image_id"), pl.col("file_path").alias("file_name"), "width", "height"
        ),
    )
