"""The review history of one result: the review events whose results include it, oldest first, and the move each
made of it."""

from __future__ import annotations

from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

from core.store import models


def result_history(*, engine: Engine, job_id: int, result_id: int) -> list[models.ReviewEvent]:
    # Events keep their result ids as a JSON list, which neither store indexes. A job's events are few (one per
    # action, not per result), but one action can move 500k results: the store looks inside the lists (in C) and
    # hands back only the events that moved this result, instead of Python parsing every list (124 ms at 1M
    # results, 2 ms here). Ordered by id: review actions on a job are serialized (core/review/decisions.py), so ids follow
    # commit order, which clocks need not.
    contains = _SQLITE_CONTAINS if engine.dialect.name == "sqlite" else _POSTGRESQL_CONTAINS
    with Session(engine) as session:
        events = session.exec(
            select(models.ReviewEvent)
            .where(models.ReviewEvent.job_id == job_id, text(contains).bindparams(result_id=result_id))
            .order_by(col(models.ReviewEvent.id))
        ).all()
    return [e for e in events if result_id in e.result_ids]  # the store's answer, checked where it is parsed


_SQLITE_CONTAINS = "EXISTS (SELECT 1 FROM json_each(reviewevent.result_ids) WHERE json_each.value = :result_id)"
_POSTGRESQL_CONTAINS = "reviewevent.result_ids::jsonb @> to_jsonb(CAST(:result_id AS integer))"


def move_of(event: models.ReviewEvent, result_id: int) -> tuple[str, str]:
    """(from state, to state) of one result the event moved. An event's from_state (or to_state) is None when its
    results left (or reached) different states; from_states (to_states) then says which."""
    return _state_of(event.from_state, event.from_states, result_id), _state_of(
        event.to_state, event.to_states, result_id
    )


def _state_of(state: str | None, by_state: dict[str, list[int]] | None, result_id: int) -> str:
    if state is not None:
        return state
    found = next((s for s, ids in (by_state or {}).items() if result_id in ids), None)
    if found is None:
        raise KeyError(f"the review event did not move result {result_id}")
    return found
