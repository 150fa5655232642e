"""One label job by its id, for every service and page that starts from a job."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session

from core.domain.errors import NotFound
from core.store import models


def get_job(engine: Engine, job_id: int) -> models.LabelJob:
    with Session(engine) as session:
        job = session.get(models.LabelJob, job_id)
    if job is None:
        raise NotFound(f"job {job_id} not found")
    return job
