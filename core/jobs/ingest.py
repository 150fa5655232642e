"""Importing finished label jobs: validate everything, match and measure, then write it all in one transaction."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from sqlalchemy import Engine
from sqlmodel import Session, select

from core.analysis.metrics import classification_results, detection_results
from core.auth.access import Actor, Permission, require
from core.domain import limits
from core.domain.errors import BadInput
from core.domain.names import refuse_unsafe_name, unsafe_name_problems
from core.domain.progress import Progress, quiet
from core.domain.vocabulary import JobKind, JobStatus, Task
from core.images.image_files import check_images
from core.jobs.draft import JobDraft
from core.jobs.saving import save_job
from core.jobs.summaries import checked_job_name
from core.labels import formats as label_formats
from core.labels.coco import CocoDataset, load_dataset
from core.labels.csv_labels import load_classification_csv
from core.storage import Root
from core.store import models


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
    refuse_existing(engine, name=name, replace=replace)
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
    refuse_existing(engine, name=name, replace=replace)
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
    refuse_existing(engine, name=name, replace=replace)
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


def refuse_existing(engine: Engine, *, name: str, replace: bool) -> None:
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
