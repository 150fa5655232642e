"""Writing a validated job draft (core/jobs/draft.py) to the store in one transaction: its label spec and classes,
samples, results (pending) and predictions, then its cached results frame; a replaced job's rows go first."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from core import storage
from core.analysis.results_frame import RESULT_COLUMNS, finish_frame, write_cached_results
from core.auth.access import Actor, Permission, require
from core.domain.errors import BadInput
from core.domain.plural import plural
from core.domain.progress import Progress, quiet
from core.domain.vocabulary import job_tag
from core.jobs.draft import JobDraft
from core.jobs.summaries import remove_job
from core.settings import get_settings
from core.storage.urls import checked_url
from core.store import models
from core.store.bulk import insert_frame, inserted_ids, refresh_statistics
from core.store.db import write_transaction

# Distinct on light and dark backgrounds; a class keeps its colour by its position in the spec. No reds: red means
# "removed by the expert" in every view (core.images.thumbnails.REMOVED_COLOR).
PALETTE = ("#4C78A8", "#F58518", "#54A24B", "#B279A2", "#72B7B2", "#EECA3B", "#17BECF", "#9D755D", "#6B6ECF", "#BAB0AC")


def save_job(
    *, engine: Engine, draft: JobDraft, replace: bool, actor: Actor, progress: Progress = quiet
) -> models.LabelJob:
    """One transaction: the old job (when replacing), spec, classes, job, samples, results, predictions."""
    created_by = require(actor, Permission.MANAGE, to="import a label job")
    progress("writing to the store", 0.7)
    try:
        job, frame = _save_draft(engine, draft=draft, replace=replace, created_by=created_by, progress=progress)
    except IntegrityError as exc:  # another import or a manual job took the name between our check and our insert
        raise BadInput(
            f"job {draft.name!r}: a job or label spec of that name was created at the same moment; "
            "nothing was written, try again"
        ) from exc
    refresh_statistics(engine, "sample", "result", "prediction")
    if frame is not None:
        # Written once the job is committed: the first Visualize or stats call then reads parquet, not the store.
        progress("caching the results frame", 0.95)
        write_cached_results(engine, job, frame)
    progress("done", 1.0)
    return job


def existing_job(session: Session, name: str) -> models.LabelJob | None:
    return session.exec(select(models.LabelJob).where(models.LabelJob.name == name)).first()


def _save_draft(
    engine: Engine, *, draft: JobDraft, replace: bool, created_by: str, progress: Progress
) -> tuple[models.LabelJob, pl.DataFrame | None]:
    # The write lock from the start: a deferred SQLite transaction that has read cannot wait for a busy store.
    with write_transaction(engine) as session:
        old = existing_job(session, draft.name)
        if old is not None:
            if not replace:
                raise BadInput(f"a job named {draft.name!r} already exists (id {old.id}); pass --replace to replace it")
            remove_job(session, old)
        spec = models.LabelSpec(name=_free_spec_name(session, draft.name), task=draft.task)
        session.add(spec)
        session.flush()
        spec_id = models.stored_id(spec)
        class_ids = _add_classes(session, spec_id=spec_id, classes=draft.classes)
        job = models.LabelJob(
            name=draft.name,
            kind=draft.kind,
            task=draft.task,
            tag=job_tag(draft.kind, draft.task),
            status=draft.status,
            spec_id=spec_id,
            image_root=stored_image_root(draft.images_dir),
            pre_label_source=draft.pre_label_source,
            source_job_id=draft.source_job_id,
            iou_threshold=draft.iou_threshold,
            image_count=draft.images.height,
            result_count=0 if draft.results is None else draft.results.height,
            created_by=created_by,
            data_revision=(old.data_revision + 1) if old is not None else 1,
        )
        session.add(job)
        session.flush()
        job_id = models.stored_id(job)
        sample_ids = _add_samples(session, job_id=job_id, images=draft.images)
        progress(f"writing {plural(job.result_count, 'result')}", 0.8)
        frame = None
        if draft.results is not None:
            frame = store_results(
                session,
                job=job,
                results=draft.results,
                images=draft.images,
                sample_ids=sample_ids,
                class_ids=class_ids,
                classes=draft.classes,
            )
        if draft.predictions is not None:
            insert_frame(
                session,
                models.table_of(models.Prediction),
                _prediction_rows(draft.predictions, job_id, sample_ids, class_ids),
            )
    return job, frame


def store_results(
    session: Session,
    *,
    job: models.LabelJob,
    results: pl.DataFrame,
    images: pl.DataFrame,
    sample_ids: pl.DataFrame,
    class_ids: pl.DataFrame,
    classes: pl.DataFrame,
) -> pl.DataFrame:
    """Insert a job's results (core.analysis.metrics.RESULT_METRIC_COLUMNS, keyed by image_id and category ids) in the
    caller's transaction and return the job's results frame, for write_cached_results once it commits.
    images: image_id, file_name, width, height; sample_ids: image_id, sample_id; class_ids: category_id,
    class_id; classes: category_id, name. The importer and a submitted manual job both come through here."""
    rows = insert_results(
        session, job_id=models.stored_id(job), results=results, sample_ids=sample_ids, class_ids=class_ids
    )
    return _results_frame(session, job, rows, images, sample_ids, class_ids, classes)


def insert_results(
    session: Session, *, job_id: int, results: pl.DataFrame, sample_ids: pl.DataFrame, class_ids: pl.DataFrame
) -> pl.DataFrame:
    """Insert results (as store_results takes them) pending, in the caller's transaction; returns the rows."""
    rows = _result_rows(results, job_id, sample_ids, class_ids)
    insert_frame(session, models.table_of(models.Result), rows)
    return rows


def _results_frame(
    session: Session,
    job: models.LabelJob,
    rows: pl.DataFrame,
    images: pl.DataFrame,
    sample_ids: pl.DataFrame,
    class_ids: pl.DataFrame,
    classes: pl.DataFrame,
) -> pl.DataFrame:
    """The job's results frame from what was just inserted; ids ascend in insertion order within a transaction."""
    ids = inserted_ids(session, models.table_of(models.Result), job_id=models.stored_id(job), count=rows.height)
    results = rows.with_columns(ids.alias("result_id")).select(list(RESULT_COLUMNS))
    samples = sample_ids.join(images, on="image_id").select(
        "sample_id", pl.col("file_name").alias("file_path"), "width", "height"
    )
    names = class_ids.join(classes.select("category_id", "name"), on="category_id").select("class_id", "name")
    return finish_frame(results, samples, names)


def _free_spec_name(session: Session, wanted: str) -> str:
    taken = set(session.exec(select(models.LabelSpec.name).where(models.LabelSpec.name.startswith(wanted))).all())
    return next(n for n in [wanted, *(f"{wanted} ({i})" for i in range(2, len(taken) + 3))] if n not in taken)


def _add_classes(session: Session, *, spec_id: int, classes: pl.DataFrame) -> pl.DataFrame:
    rows = [
        models.LabelClass(spec_id=spec_id, name=name, display_name=display, color=PALETTE[i % len(PALETTE)], position=i)
        for i, (name, display) in enumerate(classes.select("name", "display_name").iter_rows())
    ]
    session.add_all(rows)
    session.flush()
    return classes.select("category_id").with_columns(pl.Series("class_id", [r.id for r in rows], dtype=pl.Int64))


def _add_samples(session: Session, *, job_id: int, images: pl.DataFrame) -> pl.DataFrame:
    insert_frame(
        session,
        models.table_of(models.Sample),
        images.select(pl.lit(job_id).alias("job_id"), pl.col("file_name").alias("file_path"), "width", "height"),
    )
    ids = inserted_ids(session, models.table_of(models.Sample), job_id=job_id, count=images.height)
    return images.select("image_id", ids.alias("sample_id"))


def _result_rows(results: pl.DataFrame, job_id: int, sample_ids: pl.DataFrame, class_ids: pl.DataFrame) -> pl.DataFrame:
    return (
        results.join(sample_ids, on="image_id", how="left")
        .join(
            class_ids.rename({"category_id": "expert_category_id", "class_id": "expert_class_id"}),
            on="expert_category_id",
            how="left",
        )
        .join(
            class_ids.rename({"category_id": "pre_category_id", "class_id": "pre_class_id"}),
            on="pre_category_id",
            how="left",
        )
        .select(
            pl.lit(job_id).alias("job_id"),
            *list(RESULT_COLUMNS)[1:],  # a result row's columns, its id aside
        )
    )


def _prediction_rows(
    predictions: pl.DataFrame, job_id: int, sample_ids: pl.DataFrame, class_ids: pl.DataFrame
) -> pl.DataFrame:
    return (
        predictions.join(sample_ids, on="image_id")
        .join(class_ids, on="category_id")
        .select(pl.lit(job_id).alias("job_id"), "sample_id", "class_id", "x", "y", "w", "h", pl.col("score"))
    )


def stored_image_root(images_dir: Path | str) -> str:
    """Relative to the data folder when inside it, so a moved data folder keeps working; a bucket prefix as its URL
    (core/storage; one with credentials in it refused)."""
    if storage.is_remote(images_dir):
        return checked_url(images_dir)
    images_dir = Path(images_dir).resolve()
    data_dir = get_settings().data_dir
    return str(images_dir.relative_to(data_dir)) if images_dir.is_relative_to(data_dir) else str(images_dir)
