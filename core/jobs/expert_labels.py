"""Labelling a manual job in LabelDeck: the samples and their labelling status, what the editor shows for a sample,
saving the expert's label (idempotent), skipping, progress and the next image to label.

The editor is streamlit-image-annotation: `detection(image_path, label_list, bboxes=[[x, y, w, h], ...],
labels=[class index, ...])` returns `[{"bbox": [x, y, w, h], "label_id": int, "label": str}, ...]` in image px;
`classification(image_path, label_list, default_label_index)`. Class indices are positions in the spec's class
list (EditorState.label_list holds their display names in that order).

A sample is `unlabelled` until an expert saves a label (`labelled`, even with no boxes: "nothing here" is a label)
or skips it (`skipped`: no expert label). Expert labels replace the sample's previous ones as a whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
from sqlalchemy import Engine, case, delete, func, text
from sqlmodel import Session, col, select

from core import storage
from core.auth.access import Actor, Permission, require
from core.domain.errors import BadInput, NotFound
from core.domain.vocabulary import Task
from core.files.paths import resolve_under
from core.jobs.expert_label_checks import Label, checked_boxes, checked_class
from core.jobs.manual import NO_PRE_LABELS, locked_job_in_progress
from core.jobs.summaries import LABEL_STATUSES, LabellingProgress, image_root, labelling_counts
from core.storage import Root, cache
from core.store import models
from core.store.db import write_transaction

if TYPE_CHECKING:
    from polars._typing import PolarsDataType


SAMPLE_SCHEMA: dict[str, PolarsDataType] = {
    "sample_id": pl.Int64,
    "file_path": pl.String,
    "width": pl.Int64,
    "height": pl.Int64,
    "label_status": pl.String,
    "labelled_by": pl.String,
    "labelled_at": pl.Datetime(time_zone="UTC"),
    "pre_labels": pl.Int64,
    "expert_labels": pl.Int64,
}


@dataclass(frozen=True)
class EditorState:
    """What the editor shows for one sample: the expert's label once saved, else the pre-labels."""

    job_id: int
    sample_id: int
    task: str
    file_path: str
    image_path: Path  # the file to open
    width: int
    height: int
    label_status: str
    labelled_by: str | None
    labelled_at: datetime | None
    source: str  # "expert", "pre", or "none" (no expert label yet and the job has no pre-labels)
    label_list: list[str]  # display names, in spec order: the component's label_list
    class_names: list[str]  # names, in the same order
    colors: list[str]
    bboxes: list[list[float]] = field(default_factory=list)  # detection: [x, y, w, h] in px
    labels: list[int] = field(default_factory=list)  # detection: class index of each box
    scores: list[float | None] = field(default_factory=list)  # detection: pre-label confidences (None: expert)
    class_index: int | None = None  # classification

    def component_args(self) -> dict[str, Any]:
        """Keyword arguments for streamlit-image-annotation's detection() or classification()."""
        if self.task == Task.DETECTION:
            return {"label_list": self.label_list, "bboxes": self.bboxes, "labels": self.labels}
        return {"label_list": self.label_list, "default_label_index": self.class_index}


@dataclass(frozen=True)
class SavedLabel:
    sample_id: int
    changed: bool  # False: the sample already had exactly this label; nothing was written
    clipped: list[int]  # 1-based numbers of the boxes that reached past the border and were clipped


def list_samples(
    *, engine: Engine, job_id: int, status: str | None = None, offset: int = 0, limit: int | None = None
) -> pl.DataFrame:
    """The job's samples (SAMPLE_SCHEMA) in id order, which is file path order for a job made in LabelDeck, with
    how many pre and expert labels each has; `status` keeps one labelling status."""
    if status is not None and status not in LABEL_STATUSES:
        raise BadInput(f"status {status!r}: one of {', '.join(LABEL_STATUSES)}")
    a = models.Annotation
    counts = (
        select(
            a.sample_id,
            func.sum(case((col(a.source) == "pre", 1), else_=0)).label("pre"),
            func.sum(case((col(a.source) == "expert", 1), else_=0)).label("expert"),
        )
        .where(a.job_id == job_id)
        .group_by(col(a.sample_id))
        .subquery()
    )
    s = models.Sample
    query = (
        models.select_columns(
            s.id,
            s.file_path,
            s.width,
            s.height,
            s.label_status,
            s.labelled_by,
            s.labelled_at,
            func.coalesce(counts.c.pre, 0),
            func.coalesce(counts.c.expert, 0),
        )
        .outerjoin(counts, counts.c.sample_id == col(s.id))
        .where(s.job_id == job_id)
        .order_by(col(s.id))
        .offset(offset)
    )
    if status is not None:
        query = query.where(s.label_status == status)
    if limit is not None:
        query = query.limit(limit)
    with Session(engine) as session:
        rows = session.exec(query).all()
    return pl.DataFrame([(*r[:6], models.as_utc(r[6]), *r[7:]) for r in rows], schema=SAMPLE_SCHEMA, orient="row")


def editor_state(*, engine: Engine, job_id: int, sample_id: int) -> EditorState:
    with Session(engine) as session:
        job = session.get(models.LabelJob, job_id)
        sample = session.get(models.Sample, sample_id)
        if job is None or sample is None or sample.job_id != job_id:
            raise NotFound(f"sample {sample_id} of job {job_id} not found")
        classes = _spec_classes(session, job.spec_id)
        source = (
            "expert"
            if sample.label_status == "labelled"
            else ("none" if job.pre_label_source == NO_PRE_LABELS else "pre")
        )
        rows = session.exec(
            select(models.Annotation)
            .where(
                models.Annotation.sample_id == sample_id,
                models.Annotation.source == ("pre" if source == "none" else source),
            )
            .order_by(col(models.Annotation.id))
        ).all()
    index = {c.id: i for i, c in enumerate(classes)}
    state = EditorState(
        job_id=job_id,
        sample_id=sample_id,
        task=job.task,
        file_path=sample.file_path,
        image_path=editor_file(image_root(job), sample.file_path),
        width=sample.width,
        height=sample.height,
        label_status=sample.label_status,
        labelled_by=sample.labelled_by,
        labelled_at=models.as_utc(sample.labelled_at),
        source=source,
        label_list=[c.display_name for c in classes],
        class_names=[c.name for c in classes],
        colors=[c.color for c in classes],
    )
    if job.task == Task.DETECTION:
        return replace(
            state,
            bboxes=[_bbox(r) for r in rows],
            labels=[index[r.class_id] for r in rows],
            scores=[r.score if source == "pre" else None for r in rows],
        )
    return replace(state, class_index=index[rows[0].class_id] if rows else None)


def _bbox(annotation: models.Annotation) -> list[float]:
    """[x, y, w, h] of a detection job's annotation (only a classification's has none)."""
    x, y, w, h = annotation.x, annotation.y, annotation.w, annotation.h
    if x is None or y is None or w is None or h is None:
        raise RuntimeError(f"annotation {annotation.id} of a detection job has no box")
    return [x, y, w, h]


def editor_file(root: Root, relative: str) -> Path:
    """The file the editor opens: a local image where it is, a remote one's cached copy (fetched now). One that
    cannot be fetched gets the path its copy would have, which the editor reports as missing, as it does a missing
    local file."""
    if not storage.is_remote(root):
        return resolve_under(Path(root), relative)
    try:
        return storage.local_file(root, relative)
    except (FileNotFoundError, storage.StorageError):
        return cache.object_file(root, relative)


def save_expert_label(
    *,
    engine: Engine,
    job_id: int,
    sample_id: int,
    actor: Actor,
    boxes: list[dict[str, Any]] | None = None,
    class_name: str | None = None,
) -> SavedLabel:
    """Save the expert's label of one sample: `boxes` for detection (the editor's output: each {"bbox": [x, y, w,
    h], "label_id": class index} or {"bbox": ..., "label": class name}; [] means "nothing here"), `class_name` for
    classification. Replaces the sample's expert label; saving the same label again changes nothing.

    Refused (BadInput naming the box): a box with zero or negative size, not four finite numbers, entirely outside
    the image, or of a class the spec does not have. A box reaching past the border is clipped to the image."""
    labelled_by = require(actor, Permission.LABEL, to="label images")
    with write_transaction(engine) as session:
        job = locked_job_in_progress(session, job_id, exclusive=False)
        sample = _locked_sample(session, job, sample_id)
        classes = _spec_classes(session, job.spec_id)
        if job.task == Task.DETECTION:
            if boxes is None or class_name is not None:
                raise BadInput(f"job #{job.id} is a detection job: save boxes, not a class")
            wanted, clipped = checked_boxes(boxes, sample, classes)
        else:
            if class_name is None or boxes is not None:
                raise BadInput(f"job #{job.id} is a classification job: save a class name, not boxes")
            wanted, clipped = checked_class(class_name, classes), []
        if sample.label_status == "labelled" and _expert_label(session, sample_id) == sorted(wanted):
            return SavedLabel(sample_id=sample_id, changed=False, clipped=clipped)
        _replace_expert_label(session, job, sample, wanted)
        _set_status(session, sample, "labelled", labelled_by)
    return SavedLabel(sample_id=sample_id, changed=True, clipped=clipped)


def skip_sample(*, engine: Engine, job_id: int, sample_id: int, actor: Actor) -> bool:
    """Skip the sample: it has no expert label (any saved one is dropped) and will contribute no results.
    False when it was skipped already."""
    labelled_by = require(actor, Permission.LABEL, to="skip images")
    return _set_without_label(engine, job_id, sample_id, "skipped", labelled_by)


def reset_sample(*, engine: Engine, job_id: int, sample_id: int, actor: Actor) -> bool:
    """Back to unlabelled, any saved label dropped (the editor shows the pre-labels again). False when it was
    unlabelled already."""
    require(actor, Permission.LABEL, to="reset an image's label")
    return _set_without_label(engine, job_id, sample_id, "unlabelled", None)


def labelling_progress(*, engine: Engine, job_id: int) -> LabellingProgress:
    return labelling_counts(engine=engine, job_ids=[job_id]).get(job_id, LabellingProgress(0, 0, 0, 0))


def next_unlabelled(*, engine: Engine, job_id: int, after_sample_id: int | None = None) -> int | None:
    """The next unlabelled sample after `after_sample_id` in list_samples' order, wrapping around to the first; None
    when every sample is labelled or skipped."""
    query = "SELECT id FROM sample WHERE job_id = :job_id AND label_status = 'unlabelled' {} ORDER BY id LIMIT 1"
    with engine.connect() as conn:
        found = None
        if after_sample_id is not None:
            found = conn.execute(
                text(query.format("AND id > :after")), {"job_id": job_id, "after": after_sample_id}
            ).scalar()
        if found is None:
            found = conn.execute(text(query.format("")), {"job_id": job_id}).scalar()
    return found


def _spec_classes(session: Session, spec_id: int) -> list[models.LabelClass]:
    return list(
        session.exec(
            select(models.LabelClass)
            .where(models.LabelClass.spec_id == spec_id)
            .order_by(col(models.LabelClass.position))
        ).all()
    )


def _locked_sample(session: Session, job: models.LabelJob, sample_id: int) -> models.Sample:
    sample = session.exec(select(models.Sample).where(models.Sample.id == sample_id).with_for_update()).first()
    if sample is None or sample.job_id != job.id:
        raise NotFound(f"sample {sample_id} of job {job.id} not found")
    return sample


def _expert_label(session: Session, sample_id: int) -> list[Label]:
    rows = session.exec(
        models.select_columns(
            models.Annotation.class_id,
            models.Annotation.x,
            models.Annotation.y,
            models.Annotation.w,
            models.Annotation.h,
        ).where(models.Annotation.sample_id == sample_id, models.Annotation.source == "expert")
    ).all()
    return sorted(tuple(r) for r in rows)


def _replace_expert_label(session: Session, job: models.LabelJob, sample: models.Sample, label: list[Label]) -> None:
    session.exec(
        delete(models.Annotation).where(
            col(models.Annotation.sample_id) == sample.id, col(models.Annotation.source) == "expert"
        )
    )
    job_id, sample_id = models.stored_id(job), models.stored_id(sample)
    session.add_all(
        models.Annotation(job_id=job_id, sample_id=sample_id, source="expert", class_id=class_id, x=x, y=y, w=w, h=h)
        for class_id, x, y, w, h in label
    )


def _set_status(session: Session, sample: models.Sample, status: str, who: str | None) -> None:
    sample.label_status = status
    sample.labelled_by, sample.labelled_at = (who, models.utcnow()) if status != "unlabelled" else (None, None)
    session.add(sample)


def _set_without_label(engine: Engine, job_id: int, sample_id: int, status: str, who: str | None) -> bool:
    with write_transaction(engine) as session:
        job = locked_job_in_progress(session, job_id, exclusive=False)
        sample = _locked_sample(session, job, sample_id)
        if sample.label_status == status:
            return False
        _replace_expert_label(session, job, sample, [])
        _set_status(session, sample, status, who)
    return True
