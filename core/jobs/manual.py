"""Manual label jobs made in LabelDeck: created IN_PROGRESS over a folder (or an uploaded zip) of images, with
pre-labels from an auto label job, a COCO file, a CSV or none; labelled by experts (core/jobs/expert_labels.py);
submitted, which turns the expert labels into results exactly as the importer would and the job READY.

Submitting with images nobody labelled (allowed only when asked for) leaves those images out: they are marked
`skipped`, contribute no results (their pre boxes do not become `removed`) and are not exported as "no boxes". An
image the expert skipped is treated the same way: nothing unreviewed pretends to be an expert decision.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Literal, TypeGuard

import polars as pl
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core import storage
from core.analysis.results_frame import job_samples
from core.auth.access import Actor, Permission, require
from core.domain.errors import BadInput, NotFound
from core.domain.names import refuse_unsafe_name
from core.domain.progress import Progress, quiet
from core.domain.vocabulary import JobKind, JobStatus, job_tag
from core.files.paths import resolve_under
from core.files.uploads import UploadLimits, discard_upload, extract_image_zip, uploads_dir
from core.images.image_files import folder_images, image_folders
from core.jobs.saving import stored_image_root
from core.jobs.summaries import checked_job_name, lock_job
from core.labels.pre_labels import PRE_LABEL_SCHEMA, PreLabelSource, auto_job_for_pre_labels, read_pre_labels
from core.settings import get_settings
from core.store import models
from core.store.bulk import insert_frame
from core.store.db import write_transaction

NO_PRE_LABELS = "none"


def create_manual_job(
    *,
    engine: Engine,
    name: str,
    spec_id: int | None = None,
    images_dir: Path | str | None = None,
    images_zip: Path | BinaryIO | None = None,
    pre_labels: PreLabelSource | None = None,
    iou_threshold: float = 0.5,
    actor: Actor,
    upload_limits: UploadLimits = UploadLimits(),
    progress: Progress = quiet,
) -> models.LabelJob:
    """A new IN_PROGRESS manual label job (M-LA-OD or M-LA-CL by the spec's task), every image unlabelled.

    Images: every image file under `images_dir`, or in `images_zip` (extracted safely under data/uploads/, removed
    again if the job cannot be made), or, with pre-labels from an auto label job and neither given, the auto job's
    images. The spec defaults to the auto job's. Pre-labels: ("auto_job", job_id), ("coco", path), ("csv", path)
    or None (see core/labels/pre_labels.py); every one must name an image of the job and a class of the spec."""
    created_by = require(actor, Permission.MANAGE, to="create a label job")
    name = checked_job_name(name)
    refuse_unsafe_name(name, what="job name")
    if not 0.0 < iou_threshold <= 1.0:
        raise BadInput(f"IoU threshold {iou_threshold}: must be in (0, 1]")
    if images_dir is not None and images_zip is not None:
        raise BadInput("give the images as a folder or as a zip, not both")
    # A folder, or a bucket prefix (s3://bucket/prefix: core/storage), refused with credentials in it.
    images_dir = storage.root_from(images_dir) if images_dir is not None else None
    if pre_labels is not None and pre_labels[0] not in ("auto_job", "coco", "csv"):
        raise BadInput(f"pre-labels from {pre_labels[0]!r}: expected 'auto_job', 'coco' or 'csv'")
    auto = auto_job_for_pre_labels(engine=engine, job_id=int(pre_labels[1])) if _from_auto(pre_labels) else None
    if spec_id is None:
        if auto is None:
            raise BadInput("a manual label job needs a label spec")
        spec_id = auto.spec_id
    spec, classes = _spec(engine, spec_id)
    if auto is not None and auto.task != spec.task:
        raise BadInput(
            f"auto label job #{auto.id} {auto.name!r} is a {auto.task} job; spec {spec.name!r} is for {spec.task}"
        )
    _refuse_taken_name(engine, name)
    if images_dir is None and images_zip is None and auto is None:
        raise BadInput("a manual label job needs images: a folder or a zip of them")
    uploaded = None
    try:
        if images_zip is not None:
            progress("extracting the zip", 0.05)
            images_dir = uploaded = extract_image_zip(images_zip, limits=upload_limits)
        progress("reading the images", 0.2)
        if images_dir is not None:
            samples = folder_images(
                images_dir,
                progress=lambda done, total: progress(
                    f"reading the images ({done:,} of {total:,})", 0.2 + 0.3 * done / total
                ),
            ).rename({"file_name": "file_path"})
            image_root = images_dir if storage.is_remote(images_dir) else stored_image_root(images_dir)
        elif auto is not None:
            samples = (
                job_samples(engine, models.stored_id(auto)).select("file_path", "width", "height").sort("file_path")
            )
            image_root = auto.image_root
        else:  # refused above: no folder, no zip, no auto job
            raise BadInput("a manual label job needs images: a folder or a zip of them")
        progress("reading the pre-labels", 0.5)
        pre = (
            read_pre_labels(pre_labels, engine=engine, task=spec.task, samples=samples, classes=classes)
            if pre_labels is not None
            else pl.DataFrame(schema=PRE_LABEL_SCHEMA)
        )
        progress("writing to the store", 0.8)
        with refusing_a_name_taken_meanwhile(name), write_transaction(engine) as session:
            job = add_manual_job(
                session,
                name=name,
                spec=spec,
                image_root=image_root,
                samples=samples,
                pre=pre,
                pre_label_source=_describe(pre_labels, auto),
                source_job_id=auto.id if auto else None,
                iou_threshold=iou_threshold,
                created_by=created_by,
            )
    except BaseException:
        if uploaded is not None:
            discard_upload(uploaded)
        raise
    progress("done", 1.0)
    return job


def image_folders_in_data_dir() -> list[Path]:
    """Folders under the data folder that hold images, by path (uploads and LabelDeck's own caches left out): the
    folders a page offers for a new job's images."""
    settings = get_settings()
    own = {p.name for p in (settings.cache_dir, settings.thumbnail_dir, uploads_dir())}
    return [settings.data_dir / folder for folder in image_folders(settings.data_dir, skip=frozenset(own))]


def data_folder(relative: str) -> Path:
    """A folder named relative to the data folder (a page's text input), refused if it would lead out of it."""
    try:
        folder = resolve_under(get_settings().data_dir, (relative or "").strip())
    except ValueError as exc:
        raise BadInput(f"folder {exc}; images must be under the data folder") from None
    if not folder.is_dir():
        raise BadInput(f"folder {relative!r} not found under the data folder")
    return folder


def locked_job_in_progress(session: Session, job_id: int, *, exclusive: bool) -> models.LabelJob:
    """The job, locked for the transaction (shared: labelling; exclusive: submitting, which must not interleave
    with a save), and refused unless it is a manual job still being labelled."""
    job = lock_job(session, job_id, shared=not exclusive)
    if not job.is_labellable:
        raise BadInput(
            f"job #{job.id} {job.name!r} is a {job.status} {job.tag} job: labels change only while a "
            "manual label job is IN_PROGRESS"
        )
    return job


def _from_auto(pre_labels: PreLabelSource | None) -> TypeGuard[tuple[Literal["auto_job"], int]]:
    return pre_labels is not None and pre_labels[0] == "auto_job"


def _describe(pre_labels: PreLabelSource | None, auto: models.LabelJob | None) -> str:
    if auto is not None:
        return f"auto job #{auto.id} {auto.name}"
    if pre_labels is None:
        return NO_PRE_LABELS
    return f"import: {Path(str(pre_labels[1])).name}"  # a file: ("auto_job", id) has its auto job


def _spec(engine: Engine, spec_id: int) -> tuple[models.LabelSpec, list[str]]:
    with Session(engine) as session:
        spec = session.get(models.LabelSpec, spec_id)
        if spec is None:
            raise NotFound(f"label spec {spec_id} not found")
        classes = session.exec(
            select(models.LabelClass.name)
            .where(models.LabelClass.spec_id == spec_id)
            .order_by(col(models.LabelClass.position))
        ).all()
    return spec, list(classes)


def _refuse_taken_name(engine: Engine, name: str) -> None:
    with Session(engine) as session:
        _refuse_taken_name_in(session, name)


@contextmanager
def refusing_a_name_taken_meanwhile(name: str) -> Iterator[None]:
    """Around the transaction that adds a job: another job that took the name between the check and the insert is
    a BadInput, not a crash."""
    try:
        yield
    except IntegrityError as exc:
        raise BadInput(
            f"a job named {name!r} was created by someone else at the same moment; nothing was "
            "written, choose another name"
        ) from exc


def add_manual_job(
    session: Session,
    *,
    name: str,
    spec: models.LabelSpec,
    image_root: str,
    samples: pl.DataFrame,
    pre: pl.DataFrame,
    pre_label_source: str,
    source_job_id: int | None,
    iou_threshold: float,
    created_by: str,
    origin_job_id: int | None = None,
) -> models.LabelJob:
    """In the caller's write transaction: a new IN_PROGRESS job with its samples (file_path, width, height) and
    pre-labels (PRE_LABEL_SCHEMA), every sample unlabelled. A job made concurrently under the same name makes the
    commit fail with an IntegrityError."""
    # Shared lock on the spec: a concurrent edit cannot remove a class the pre-labels were checked against.
    if (
        session.exec(
            select(models.LabelSpec.id).where(models.LabelSpec.id == spec.id).with_for_update(read=True)
        ).first()
        is None
    ):
        raise NotFound(f"label spec {spec.id} not found")
    _refuse_taken_name_in(session, name)
    job = models.LabelJob(
        name=name,
        kind=JobKind.MANUAL,
        task=spec.task,
        tag=job_tag(JobKind.MANUAL, spec.task),
        status=JobStatus.IN_PROGRESS,
        spec_id=models.stored_id(spec),
        image_root=image_root,
        pre_label_source=pre_label_source,
        source_job_id=source_job_id,
        iou_threshold=iou_threshold,
        image_count=samples.height,
        result_count=0,
        created_by=created_by,
        origin_job_id=origin_job_id,
    )
    session.add(job)
    session.flush()
    insert_frame(
        session,
        models.table_of(models.Sample),
        samples.select(
            pl.lit(job.id).alias("job_id"), "file_path", "width", "height", pl.lit("unlabelled").alias("label_status")
        ),
    )
    sample_ids = sample_rows(session, models.stored_id(job)).select("sample_id", "file_path")
    class_ids = spec_class_names(session, models.stored_id(spec)).rename({"name": "class_name"})
    rows = pre.join(sample_ids, on="file_path", maintain_order="left").join(
        class_ids, on="class_name", maintain_order="left"
    )
    if rows.height != pre.height:
        raise BadInput(f"label spec {spec.name!r} lost a class while the job was being created; try again")
    insert_frame(
        session,
        models.table_of(models.Annotation),
        rows.select(
            pl.lit(job.id).alias("job_id"),
            "sample_id",
            pl.lit("pre").alias("source"),
            "class_id",
            "x",
            "y",
            "w",
            "h",
            "score",
        ),
    )
    return job


def _refuse_taken_name_in(session: Session, name: str) -> None:
    taken = session.exec(select(models.LabelJob.id).where(models.LabelJob.name == name)).first()
    if taken is not None:
        raise BadInput(f"a job named {name!r} already exists (id {taken})")


def sample_rows(session: Session, job_id: int) -> pl.DataFrame:
    rows = (
        session.connection()
        .execute(
            text("SELECT id, file_path, width, height, label_status FROM sample WHERE job_id = :job_id ORDER BY id"),
            {"job_id": job_id},
        )
        .all()
    )
    return pl.DataFrame(
        rows,
        orient="row",
        schema={
            "sample_id": pl.Int64,
            "file_path": pl.String,
            "width": pl.Int64,
            "height": pl.Int64,
            "label_status": pl.String,
        },
    )


def spec_class_names(session: Session, spec_id: int) -> pl.DataFrame:
    rows = (
        session.connection()
        .execute(
            text("SELECT id, name FROM labelclass WHERE spec_id = :spec_id ORDER BY position"), {"spec_id": spec_id}
        )
        .all()
    )
    return pl.DataFrame(rows, orient="row", schema={"class_id": pl.Int64, "name": pl.String})
