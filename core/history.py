"""The review history of one result: the review events whose results include it, oldest first."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from core import models


def result_history(*, engine: Engine, job_id: int, result_id: int) -> list[models.ReviewEvent]:
    # Events keep their result ids as a JSON list, which neither store indexes; a job's events are few
    # (one per action, not per result), so reading them and looking inside is cheap.
    with Session(engine) as session:
        events = session.exec(
            select(models.ReviewEvent).where(models.ReviewEvent.job_id == job_id)
            .order_by(col(models.ReviewEvent.created_at), col(models.ReviewEvent.id))
        ).all()
    return [e for e in events if result_id in e.result_ids]
