"""The Labeling Jobs list: one summary per job, for the job cards and `python -m core jobs`."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, delete, func
from sqlmodel import Session, col, select

from core.analysis.results_frame import state_counts
from core.auth.access import Actor, Permission, require
from core.domain.errors import BadInput, NotFound
from core.domain.vocabulary import REVIEW_STATES, JobKind, JobPredicates, JobStatus, ReviewState, Task
from core.settings import get_settings
from core.storage.urls import is_url
from core.store import models
from core.store.db import write_transaction

LABEL_STATUSES = ("unlabelled", "labelled", "skipped")
# Characters. Far below what PostgreSQL's unique index on job (and import spec) names can hold, ~2,700 bytes.
MAX_JOB_NAME = 200


def checked_job_name(name: str) -> str:
    """The name stripped, if it may name a new job; BadInput otherwise (a name too long for the store would
    otherwise fail in its index with raw SQL text, or not at all on SQLite)."""
    cleaned = (name or "").strip()
    if not cleaned:
        raise BadInput("job name: empty; a job needs a name")
    if len(cleaned) > MAX_JOB_NAME:
        raise BadInput(f"job name: {len(cleaned):,} characters, at most {MAX_JOB_NAME}")
    return cleaned


@dataclass(frozen=True)
class LabellingProgress:
    """How far the experts are with a manual job being labelled in LabelDeck (core/jobs/expert_labels.py)."""

    total: int
    labelled: int
    skipped: int
    unlabelled: int

    @property
    def done(self) -> int:
        return self.labelled + self.skipped

    @property
    def done_share(self) -> float:
        return self.done / self.total if self.total else 0.0

    def to_json(self) -> dict[str, int | float]:
        return {
            "total": self.total,
            "labelled": self.labelled,
            "skipped": self.skipped,
            "unlabelled": self.unlabelled,
            "done_share": self.done_share,
        }


@dataclass(frozen=True)
class JobSummary(JobPredicates):
    id: int
    name: str
    tag: str
    kind: JobKind
    task: Task
    status: JobStatus
    failure_reason: str | None
    images: int
    results: int
    classes: list[str]
    pre_label_source: str
    created_by: str
    created_at: datetime
    by_state: dict[str, int]
    # IN_PROGRESS manual jobs: {total, labelled, skipped, unlabelled, done_share} (core.jobs.expert_labels); else None.
    labelling: dict[str, int | float] | None = None

    @property
    def reviewed_share(self) -> float:
        reviewed = self.by_state[ReviewState.ACCEPTED] + self.by_state[ReviewState.REJECTED]
        return reviewed / self.results if self.results else 0.0

    def to_json(self) -> dict:
        return {**asdict(self), "created_at": self.created_at.isoformat(), "reviewed_share": self.reviewed_share}


def list_jobs(
    *, engine: Engine, name_contains: str = "", statuses: list[str] | None = None, tags: list[str] | None = None
) -> list[JobSummary]:
    query = select(models.LabelJob).order_by(col(models.LabelJob.created_at).desc(), col(models.LabelJob.id).desc())
    if name_contains.strip():
        query = query.where(col(models.LabelJob.name).ilike(f"%{name_contains.strip()}%"))
    if statuses:
        query = query.where(col(models.LabelJob.status).in_(statuses))
    if tags:
        query = query.where(col(models.LabelJob.tag).in_(tags))
    with Session(engine) as session:
        jobs = session.exec(query).all()
        spec_ids = {j.spec_id for j in jobs}
        classes: dict[int, list[str]] = {}
        for spec_id, name in session.exec(
            select(models.LabelClass.spec_id, models.LabelClass.display_name)
            .where(col(models.LabelClass.spec_id).in_(spec_ids))
            .order_by(col(models.LabelClass.spec_id), col(models.LabelClass.position))
        ):
            classes.setdefault(spec_id, []).append(name)
    job_ids = [models.stored_id(j) for j in jobs]
    counts = state_counts(engine, job_ids)
    labelling = labelling_counts(engine=engine, job_ids=[job_id for job_id, j in zip(job_ids, jobs) if j.is_labellable])
    return [
        JobSummary(
            id=job_id,
            name=j.name,
            tag=j.tag,
            kind=j.kind,
            task=j.task,
            status=j.status,
            failure_reason=j.failure_reason,
            images=j.image_count,
            results=j.result_count,
            classes=classes.get(j.spec_id, []),
            pre_label_source=j.pre_label_source,
            created_by=j.created_by,
            created_at=j.created_at,
            by_state=counts.get(job_id, dict.fromkeys(REVIEW_STATES, 0)),
            labelling=labelling[job_id].to_json() if job_id in labelling else None,
        )
        for job_id, j in zip(job_ids, jobs)
    ]


def image_root(job: models.LabelJob) -> Path | str:
    """A job's image folder, or its object-store URL as a str (core/storage); relative roots live under the data
    folder."""
    if is_url(job.image_root):
        return job.image_root
    root = Path(job.image_root)
    return root if root.is_absolute() else get_settings().data_dir / root


def spec_classes(*, engine: Engine, spec_id: int) -> list[models.LabelClass]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(models.LabelClass)
                .where(models.LabelClass.spec_id == spec_id)
                .order_by(col(models.LabelClass.position))
            ).all()
        )


def labelling_counts(*, engine: Engine, job_ids: list[int]) -> dict[int, LabellingProgress]:
    """Labelling progress of each job with samples among `job_ids`, in one query."""
    if not job_ids:
        return {}
    query = (
        select(models.Sample.job_id, models.Sample.label_status, func.count())
        .where(col(models.Sample.job_id).in_(job_ids))
        .group_by(col(models.Sample.job_id), col(models.Sample.label_status))
    )
    counts: dict[int, dict[str, int]] = {}
    with Session(engine) as session:
        for job_id, status, n in session.exec(query):
            counts.setdefault(job_id, dict.fromkeys(LABEL_STATUSES, 0))[status] = n
    return {j: LabellingProgress(total=sum(c.values()), **c) for j, c in counts.items()}


def delete_job(*, engine: Engine, job_id: int, actor: Actor) -> None:
    """The job with everything of it (samples, results, labels, review events, ResultSets); its datalog tables
    stay (exported data) and lose their job id. Its label spec goes too when an import made it and no other job
    uses it (see remove_job)."""
    require(actor, Permission.MANAGE, to="delete a label job")
    with write_transaction(engine) as session:
        remove_job(session, lock_job(session, job_id))


def remove_job(session: Session, job: models.LabelJob) -> None:
    """Inside a transaction: delete the job (the foreign keys cascade). Its label spec goes too when an import
    made it (each import makes its own) and no other job uses it; a job made in LabelDeck (IN_PROGRESS, or
    submitted) was made on a spec someone chose or wrote by hand, which stays."""
    spec_id = job.spec_id
    made_in_app = job.status == JobStatus.IN_PROGRESS or job.submitted_by is not None
    # Review decisions have no foreign key to cascade them (models.ReviewState): deleted first, by their job index.
    session.exec(delete(models.ReviewState).where(col(models.ReviewState.job_id) == job.id))
    session.exec(delete(models.LabelJob).where(col(models.LabelJob.id) == job.id))
    still_used = session.exec(select(func.count()).where(models.LabelJob.spec_id == spec_id)).one()
    if not still_used and not made_in_app:
        session.exec(delete(models.LabelSpec).where(col(models.LabelSpec.id) == spec_id))
    session.expunge_all()


def lock_job(session: Session, job_id: int, *, shared: bool = False) -> models.LabelJob:
    """The job, its row locked until the transaction ends (shared: others may read-lock it too; PostgreSQL only,
    SQLite's write transaction holds the whole store). Raises NotFound for an unknown id."""
    job = session.exec(select(models.LabelJob).where(models.LabelJob.id == job_id).with_for_update(read=shared)).first()
    if job is None:
        raise NotFound(f"job {job_id} not found")
    return job
