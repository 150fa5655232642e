"""A result's review history and the job's list of review events on SQLite and PostgreSQL: each move of a result,
and the events newest first with their filters."""

from __future__ import annotations

import pytest

from core.domain.errors import BadInput, NotFound
from core.review import decisions as review
from core.review.history import move_of, result_history
from tests.builders import as_reviewer
from tests.store.review_helpers import job, jobs, put, result_ids  # noqa: F401  (the fixtures: two copies of the standard job)

# ---- history and listing -------------------------------------------------------------------------------------------


def test_result_history_shows_each_move_of_the_result(engine, job):
    ids = result_ids(engine, job)
    put(engine, job, ids[:1], "rejected")
    review.accept(engine=engine, job_id=job, result_ids=ids[:2], from_state=None, actor=as_reviewer("ada"))
    review.undo_last(engine=engine, job_id=job, actor=as_reviewer("ada"))

    history = result_history(engine=engine, job_id=job, result_id=ids[0])
    assert [move_of(e, ids[0]) for e in history] == [
        ("pending", "rejected"),
        ("rejected", "accepted"),
        ("accepted", "rejected"),
    ]
    history = result_history(engine=engine, job_id=job, result_id=ids[1])
    assert [move_of(e, ids[1]) for e in history] == [("pending", "accepted"), ("accepted", "pending")]
    assert result_history(engine=engine, job_id=job, result_id=ids[2]) == []
    with pytest.raises(KeyError):
        move_of(history[0], ids[2])


def test_list_events_newest_first_with_filters(engine, job):
    ids = result_ids(engine, job)
    a = review.accept(engine=engine, job_id=job, result_ids=ids[:1], from_state="pending", actor=as_reviewer("ada"))
    b = review.reject(engine=engine, job_id=job, result_ids=ids[1:2], from_state="pending", actor=as_reviewer("bob"))
    c = review.accept(engine=engine, job_id=job, result_ids=ids[2:3], from_state="pending", actor=as_reviewer("bob"))

    def listed(**kwargs):
        return [e.id for e in review.list_events(engine=engine, job_id=job, **kwargs)]

    assert listed() == [c.event_id, b.event_id, a.event_id]
    assert listed(reviewer="bob") == [c.event_id, b.event_id]
    assert listed(to_state="accepted") == [c.event_id, a.event_id]
    assert listed(reviewer="bob", to_state="rejected") == [b.event_id]
    assert listed(limit=2) == [c.event_id, b.event_id]
    with pytest.raises(NotFound):
        review.list_events(engine=engine, job_id=job + 1000)
    with pytest.raises(BadInput):
        review.list_events(engine=engine, job_id=job, to_state="done")
