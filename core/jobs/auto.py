"""Auto label jobs (LA-OD, LA-CL) from a model's predictions, standing in for running a model in LabelDeck. Their
predictions become the pre-labels of manual label jobs (core/jobs/manual.py, pre-labels ("auto_job", id)).

Detection predictions come in either COCO format. The dataset format carries its images and classes. The results
format (`[{image_id, category_id, bbox, score}]`, what detectors emit) refers to an image list: a COCO file's
`images` (and its `categories`, when it has them), or else the image folder's files sorted by path and numbered
from 1; without categories in the image list, category ids are the positions (from 1) of the given classes.
Classification predictions are a CSV `file_path,label[,score]`, at most one row per image of the folder; the
classes are the given ones, or those the CSV uses in the order they first appear.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
from sqlalchemy import Engine

from core.auth.access import Actor, Permission, require
from core.domain import limits
from core.domain.errors import BadInput
from core.domain.progress import Progress, quiet
from core.domain.vocabulary import JobKind, JobStatus, Task
from core.images.image_files import check_images, folder_images
from core.jobs.draft import JobDraft
from core.jobs.ingest import import_auto_predictions, refuse_bad_class_list, refuse_existing
from core.jobs.saving import save_job
from core.labels.coco import load_image_list, load_pre_labels
from core.labels.label_files import read_json
from core.labels.pre_labels import checked_labels, numbered_classes, numbered_images, read_label_csv, reference_dataset
from core.storage import Root
from core.store import models


def import_auto_job(
    *,
    engine: Engine,
    name: str,
    images_dir: Root,
    predictions_path: Path,
    task: str = Task.DETECTION,
    image_list: Path | None = None,
    classes: list[str] | None = None,
    status: JobStatus = JobStatus.READY,
    replace: bool = False,
    check_image_files: bool = True,
    actor: Actor,
    progress: Progress = quiet,
) -> models.LabelJob:
    """An auto label job of `task` (status READY, or PROCESSING: a job whose model has not finished, no
    predictions stored) from the predictions file."""
    require(actor, Permission.MANAGE, to="import an auto label job")
    refuse_bad_class_list(classes)
    if task == Task.CLASSIFICATION:
        return _import_classification(
            engine=engine,
            name=name,
            images_dir=images_dir,
            csv_path=predictions_path,
            classes=classes,
            status=status,
            replace=replace,
            actor=actor,
            progress=progress,
        )
    if task != Task.DETECTION:
        raise BadInput(f"task {task!r}: detection or classification")
    if isinstance(read_json(predictions_path), dict):
        if image_list is not None or classes:
            raise BadInput(
                f"{predictions_path}: a COCO dataset names its own images and classes; leave out the "
                "image list and the classes"
            )
        return import_auto_predictions(
            engine=engine,
            name=name,
            images_dir=images_dir,
            predictions_path=predictions_path,
            status=status,
            replace=replace,
            check_image_files=check_image_files,
            actor=actor,
            progress=progress,
        )
    refuse_existing(engine, name=name, replace=replace)
    progress("reading the image list", 0.1)
    if image_list is not None:
        images, categories = load_image_list(image_list)
        if check_image_files:
            progress(f"checking {images.height:,} image files", 0.3)
            check_images(root=images_dir, label_file=image_list, images=images)
    else:
        images, categories = numbered_images(folder_images(images_dir).rename({"file_name": "file_path"})), None
    if categories is None:
        if not classes:
            raise BadInput(
                f"{predictions_path}: detections in the COCO results format need their classes: give "
                "the class names in category id order, or an image list with 'categories'"
            )
        categories = numbered_classes(classes)
    elif classes:
        raise BadInput(f"{image_list}: the image list names the classes; leave out the class names")
    progress("reading the predictions", 0.5)
    reference = reference_dataset(path=image_list or images_dir, images=images, categories=categories)
    predictions = load_pre_labels(predictions_path, expert=reference)
    draft = JobDraft(
        name=name,
        kind=JobKind.AUTO,
        task=Task.DETECTION,
        status=status,
        images_dir=images_dir,
        pre_label_source=f"model predictions: {predictions_path.name}",
        classes=categories,
        images=images,
        predictions=predictions.boxes if status == JobStatus.READY else None,
    )
    return save_job(engine=engine, draft=draft, replace=replace, actor=actor, progress=progress)


def _import_classification(
    *,
    engine: Engine,
    name: str,
    images_dir: Root,
    csv_path: Path,
    classes: list[str] | None,
    status: JobStatus,
    replace: bool,
    actor: Actor,
    progress: Progress,
) -> models.LabelJob:
    refuse_existing(engine, name=name, replace=replace)
    progress("reading the images", 0.1)
    samples = folder_images(images_dir).rename({"file_name": "file_path"})
    progress("reading the predictions", 0.4)
    labels = read_label_csv(csv_path, task=Task.CLASSIFICATION)
    if not classes:
        classes = labels["class_name"].unique(maintain_order=True).to_list()
        if too_many := limits.too_many(len(classes), limits.MAX_CLASSES, "distinct classes"):
            raise BadInput(f"{csv_path}: {too_many}")
    labels = checked_labels(labels, task=Task.CLASSIFICATION, samples=samples, classes=classes)
    if len(classes) < 2:
        raise BadInput(f"{csv_path}: a classification spec needs at least 2 classes, got {', '.join(classes)}")
    images, categories = numbered_images(samples), numbered_classes(classes)
    predictions = (
        labels.join(images.select("image_id", pl.col("file_name").alias("file_path")), on="file_path")
        .join(categories.select("category_id", pl.col("name").alias("class_name")), on="class_name")
        .select("image_id", "category_id", "x", "y", "w", "h", "score")
    )
    draft = JobDraft(
        name=name,
        kind=JobKind.AUTO,
        task=Task.CLASSIFICATION,
        status=status,
        images_dir=images_dir,
        pre_label_source=f"model predictions: {csv_path.name}",
        classes=categories,
        images=images,
        predictions=predictions if status == JobStatus.READY else None,
    )
    return save_job(engine=engine, draft=draft, replace=replace, actor=actor, progress=progress)
