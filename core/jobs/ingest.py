"""Importing finished label jobs: validate everything, match and measure, then write it all in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from core import storage
from core.analysis.metrics import classification_results, detection_results
from core.analysis.results_frame import RESULT_COLUMNS, finish_frame, write_cached_results
from core.auth.access import Actor, Permission, require
from core.domain import limits
from core.domain.errors import BadInput
from core.domain.names import refuse_unsafe_name, unsafe_name_problems
from core.domain.plural import plural
from core.domain.progress import Progress, quiet
from core.domain.vocabulary import JobKind, JobStatus, Task, job_tag
from core.images.image_files import check_images
from core.jobs.summaries import checked_job_name, remove_job
from core.labels import formats as label_formats
from core.labels.coco import CocoDataset, load_dataset
from core.labels.csv_labels import load_classification_csv
from core.settings import get_settings
from core.storage import Root
from core.storage.urls import checked_url
from core.store import models
from core.store.bulk import insert_frame, inserted_ids, refresh_statistics
from core.store.db import write_transaction

# Distinct on light and dark backgrounds; a class keeps its colour by its position in the spec. No reds: red means
# "removed by the expert" in every view (core.images.thumbnails.REMOVED_COLOR).
PALETTE = ("#4C78A8", "#F58518", "#54A24B", "#B279A2", "#72B7B2", "#EECA3B", "#17BECF", "#9D755D", "#6B6ECF", "#BAB0AC")


@dataclass(frozen=True)
class JobDraft:
    """Everything validated and computed for a job, before a single row is written."""

    name: str
    kind: JobKind
    task: Task
    status: JobStatus
    images_dir: Root
    pre_label_source: str
    classes: pl.DataFrame  # category_id, name, display_name
    images: pl.DataFrame  # image_id, file_name, width, height
    results: pl.DataFrame | None = None  # core.analysis.metrics.RESULT_METRIC_COLUMNS
    predictions: pl.DataFrame | None = None  # image_id, category_id, x, y, w, h, score
    iou_threshold: float = 0.5
    source_job_id: int | None = None


def import_detection(
    *, engine: Engine, replace: bool = False, actor: Actor, progress: Progress = quiet, **files
) -> models.LabelJob:
    """A READY M-LA-OD job: draft_detection's draft saved (`files`: its arguments)."""
    draft = draft_detection(engine=engine, replace=replace, actor=actor, progress=progress, **files)
    return save_job(engine=engine, draft=draft, replace=replace, actor=actor, progress=progress)


def draft_detection(
    *,
    engine: Engine,
    name: str,
    images_dir: Path,
    pre_path: Path,
    expert_path: Path,
    iou_threshold: float = 0.5,
    replace: bool = False,
    check_image_files: bool = True,
    actor: Actor,
    progress: Progress = quiet,
    source_job: models.LabelJob | None = None,
    expert_format: str | None = None,
    pre_format: str | None = None,
    classes: list[str] | None = None,
) -> JobDraft:
    """A READY M-LA-OD job, validated and computed, nothing written (save_job writes it); `source_job` names the
    auto label job the pre-labels came from. The label files are in any of core.labels.formats.FORMATS (None: told
    from the files); `classes` names the spec's classes for formats that do not list their own (Pascal VOC, Label
    Studio, CVAT without <meta> labels)."""
    require(actor, Permission.MANAGE, to="import a label job")
    if not 0.0 < iou_threshold <= 1.0:
        raise BadInput(f"--iou {iou_threshold}: the IoU threshold must be in (0, 1]")
    _refuse_existing(engine, name=name, replace=replace)
    refuse_bad_class_list(classes)
    progress("reading expert labels", 0.05)
    loaded = label_formats.load_expert(
        path=expert_path, fmt=expert_format, images_dir=images_dir, check_image_files=check_image_files, classes=classes
    )
    expert = loaded.dataset
    progress("reading pre-labels", 0.2)
    pre = label_formats.load_pre(path=pre_path, expert=expert, fmt=pre_format, classes=classes)
    images = (
        expert.images if loaded.images_checked else _checked_images(expert, images_dir, check_image_files, progress)
    )
    progress("matching boxes and computing metrics", 0.45)
    results = detection_results(expert=expert.boxes, pre=pre.boxes, images=images, iou_threshold=iou_threshold)
    draft = JobDraft(
        name=name,
        kind=JobKind.MANUAL,
        task=Task.DETECTION,
        status=JobStatus.READY,
        images_dir=images_dir,
        pre_label_source=f"auto job #{source_job.id} {source_job.name}" if source_job else f"import: {pre_path.name}",
        source_job_id=source_job.id if source_job else None,
        classes=pre.categories,
        images=images,
        results=results,
        iou_threshold=iou_threshold,
    )
    return draft


def import_classification(
    *, engine: Engine, replace: bool = False, actor: Actor, progress: Progress = quiet, **files
) -> models.LabelJob:
    """A READY M-LA-CL job: draft_classification's draft saved (`files`: its arguments)."""
    draft = draft_classification(engine=engine, replace=replace, actor=actor, progress=progress, **files)
    return save_job(engine=engine, draft=draft, replace=replace, actor=actor, progress=progress)


def draft_classification(
    *,
    engine: Engine,
    name: str,
    images_dir: Path,
    csv_path: Path | None = None,
    classes: list[str] | None = None,
    replace: bool = False,
    check_image_files: bool = True,
    actor: Actor,
    progress: Progress = quiet,
    expert_path: Path | None = None,
    pre_path: Path | None = None,
    expert_format: str | None = None,
    pre_format: str | None = None,
) -> JobDraft:
    """A READY M-LA-CL job, validated and computed, nothing written (save_job writes it): from a CSV (`csv_path`),
    or from the expert's and the pre-labels' classes of each image in CVAT tags or Label Studio choices
    (`expert_path`, `pre_path`)."""
    require(actor, Permission.MANAGE, to="import a label job")
    _refuse_existing(engine, name=name, replace=replace)
    refuse_bad_class_list(classes)
    progress("reading labels", 0.05)
    if csv_path is not None:
        rows = load_classification_csv(csv_path, classes=classes)
        label_file, record, stated = csv_path, "line", []
        pre_file = csv_path
    elif expert_path is not None and pre_path is not None:
        rows = label_formats.load_classification(
            expert_path=expert_path,
            pre_path=pre_path,
            expert_format=expert_format,
            pre_format=pre_format,
            images_dir=images_dir,
            classes=classes,
        )
        label_file, record, stated = expert_path, "image", ["width", "height"]
        pre_file = pre_path
    else:
        raise BadInput("a classification import needs a CSV, or expert labels and pre-labels")
    names = classes or sorted(set(rows["expert_label"]) | set(rows["pre_label"]))
    categories = pl.DataFrame(
        {"category_id": range(1, len(names) + 1), "name": names, "display_name": names},
        schema={"category_id": pl.Int64, "name": pl.String, "display_name": pl.String},
    )
    listed = rows.select(pl.col("line").alias("image_id"), pl.col("file_path").alias("file_name"), *stated)
    if check_image_files:
        progress("checking image files", 0.2)
        images = listed.select("image_id", "file_name").join(
            check_images(root=images_dir, label_file=label_file, images=listed, record=record), on="image_id"
        )
    else:
        images = listed.select(
            "image_id", "file_name", pl.lit(0, pl.Int64).alias("width"), pl.lit(0, pl.Int64).alias("height")
        )
    class_id = {n: i for i, n in zip(categories["category_id"], categories["name"])}
    labels = rows.select(
        pl.col("line").alias("image_id"),
        pl.col("expert_label").replace_strict(class_id, return_dtype=pl.Int64).alias("expert_category_id"),
        pl.col("pre_label").replace_strict(class_id, return_dtype=pl.Int64).alias("pre_category_id"),
        pl.col("confidence").alias("pre_confidence"),
    )
    draft = JobDraft(
        name=name,
        kind=JobKind.MANUAL,
        task=Task.CLASSIFICATION,
        status=JobStatus.READY,
        images_dir=images_dir,
        pre_label_source=f"import: {pre_file.name}",
        classes=categories,
        images=images,
        results=classification_results(labels),
    )
    return draft


def import_auto_predictions(
    *,
    engine: Engine,
    name: str,
    images_dir: Root,
    predictions_path: Path,
    status: JobStatus = JobStatus.READY,
    replace: bool = False,
    check_image_files: bool = True,
    actor: Actor,
    progress: Progress = quiet,
) -> models.LabelJob:
    """An auto label job (LA-OD) from predictions in the COCO dataset format (annotations may carry a score).
    Until a model can run here, this stands in for running one."""
    require(actor, Permission.MANAGE, to="import a label job")
    _refuse_existing(engine, name=name, replace=replace)
    dataset = load_dataset(predictions_path)
    images = _checked_images(dataset, images_dir, check_image_files, progress)
    draft = JobDraft(
        name=name,
        kind=JobKind.AUTO,
        task=Task.DETECTION,
        status=status,
        images_dir=images_dir,
        pre_label_source=f"model predictions: {predictions_path.name}",
        classes=dataset.categories,
        images=images,
        predictions=dataset.boxes if status == JobStatus.READY else None,
    )
    return save_job(engine=engine, draft=draft, replace=replace, actor=actor, progress=progress)


def _checked_images(
    dataset: CocoDataset, images_dir: Root, check_image_files: bool, progress: Progress
) -> pl.DataFrame:
    if not check_image_files:
        return dataset.images
    progress(f"checking {dataset.images.height:,} image files", 0.3)
    check_images(
        root=images_dir,
        label_file=dataset.path,
        images=dataset.images,
        progress=lambda done, total: progress(f"checked {done:,} of {total:,} image files", 0.3 + 0.15 * done / total),
    )
    return dataset.images


def _refuse_existing(engine: Engine, *, name: str, replace: bool) -> None:
    if not name.strip():
        raise BadInput("--name: a job needs a name")
    checked_job_name(name)
    refuse_unsafe_name(name.strip(), what="job name")
    if replace:
        return
    with Session(engine) as session:
        existing = session.exec(select(models.LabelJob).where(models.LabelJob.name == name)).first()
    if existing is not None:
        raise BadInput(f"a job named {name!r} already exists (id {existing.id}); pass --replace to replace it")


def refuse_bad_class_list(classes: list[str] | None) -> None:
    """Classes given by name (the command line's --classes): at most MAX_CLASSES, each one a name."""
    too_many = limits.too_many(len(classes or ()), limits.MAX_CLASSES, "classes")
    problems = [f"the given classes: {too_many}"] if too_many else []
    problems += unsafe_name_problems(classes or (), what="class")
    if problems:
        raise BadInput(problems)


def stored_image_root(images_dir: Path | str) -> str:
    """Relative to the data folder when inside it, so a moved data folder keeps working; a bucket prefix as its URL
    (core/storage; one with credentials in it refused)."""
    if storage.is_remote(images_dir):
        return checked_url(images_dir)
    images_dir = Path(images_dir).resolve()
    data_dir = get_settings().data_dir
    return str(images_dir.relative_to(data_dir)) if images_dir.is_relative_to(data_dir) else str(images_dir)


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
            "sample_id",
            "expert_class_id",
            "pre_class_id",
            "class_changed",
            "change_kind",
            "expert_x",
            "expert_y",
            "expert_w",
            "expert_h",
            "pre_x",
            "pre_y",
            "pre_w",
            "pre_h",
            "area_px",
            "area_fraction",
            "adjustment_factor",
            "iou",
            "pre_confidence",
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
