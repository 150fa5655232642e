"""The review history of one result: the review events whose results include it, oldest first, and the move each
made of it."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from core import models


def result_history(*, engine: Engine, job_id: int, result_id: int) -> list[models.ReviewEvent]:
    # Events keep their result ids as a JSON list, which neither store indexes; a job's events are few
    # (one per action, not per result), so reading them and looking inside is cheap. Ordered by id: review actions
    # on a job are serialized (core/review.py), so ids follow commit order, which clocks need not.
    with Session(engine) as session:
        events = session.exec(
            select(models.ReviewEvent).where(models.ReviewEvent.job_id == job_id).order_by(col(models.ReviewEvent.id))
        ).all()
    return [e for e in events if result_id in e.result_ids]


def move_of(event: models.ReviewEvent, result_id: int) -> tuple[str, str]:
    """(from state, to state) of one result the event moved. An event's from_state (or to_state) is None when its
    results left (or reached) different states; from_states (to_states) then says which."""
    return _state_of(event.from_state, event.from_states, result_id), _state_of(event.to_state, event.to_states,
                                                                                 result_id)


def _state_of(state: str | None, by_state: dict[str, list[int]] | None, result_id: int) -> str:
    if state is not None:
        return state
    found = next((s for s, ids in (by_state or {}).items() if result_id in ids), None)
    if found is None:
        raise KeyError(f"the review event did not move result {result_id}")
    return found
