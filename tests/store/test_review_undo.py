"""Undo of review actions on SQLite and PostgreSQL: it moves the reviewer's last action back and names the event
it undoes, is never itself undone, is refused twice for one event by the store, leaves what someone else moved
since, restores each result's own state after a move from any state, and finds nothing on another job or of
another reviewer."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError as SAIntegrityError

from core.review import decisions as review
from core.store import models
from core.store.db import transaction
from tests.builders import as_reviewer
from tests.store.review_helpers import job, jobs, put, result_ids, revision, states  # noqa: F401  (the fixtures: two copies of the standard job)

# ---- undo --------------------------------------------------------------------------------------------------------


def test_undo_moves_the_last_action_back_and_says_which_event_it_undoes(engine, job):
    ids = result_ids(engine, job)
    first = review.accept(engine=engine, job_id=job, result_ids=ids[:3], from_state="pending", actor=as_reviewer("ada"))
    put(engine, job, ids[3:4], "rejected")  # someone else's action in between
    second = review.reject(
        engine=engine, job_id=job, result_ids=ids[:2], from_state="accepted", actor=as_reviewer("ada")
    )
    before = revision(engine, job)

    undo = review.undo_last(engine=engine, job_id=job, actor=as_reviewer("ada"))

    assert (undo.requested, undo.moved, undo.changed_elsewhere) == (2, 2, 0)
    assert revision(engine, job) == before + 1
    assert [states(engine, job)[i] for i in ids[:4]] == ["accepted", "accepted", "accepted", "rejected"]
    event = review.list_events(engine=engine, job_id=job)[0]
    assert event.id == undo.event_id
    assert (event.undoes_event_id, event.reviewer, event.from_state, event.to_state, event.result_ids) == (
        second.event_id,
        "ada",
        "rejected",
        "accepted",
        ids[:2],
    )

    again = review.undo_last(engine=engine, job_id=job, actor=as_reviewer("ada"))  # the action before: the first accept
    assert again.moved == 3
    assert review.list_events(engine=engine, job_id=job)[0].undoes_event_id == first.event_id
    assert [states(engine, job)[i] for i in ids[:4]] == ["pending", "pending", "pending", "rejected"]

    assert (
        review.undo_last(engine=engine, job_id=job, actor=as_reviewer("ada")) is None
    )  # nothing of ada's left to undo


def test_an_undo_is_never_undone_the_next_undo_goes_further_back(engine, job):
    ids = result_ids(engine, job)
    first = review.accept(engine=engine, job_id=job, result_ids=ids[:2], from_state="pending", actor=as_reviewer("ada"))
    second = review.reject(
        engine=engine, job_id=job, result_ids=ids[2:4], from_state="pending", actor=as_reviewer("ada")
    )
    review.undo_last(engine=engine, job_id=job, actor=as_reviewer("ada"))  # undoes second
    third = review.accept(
        engine=engine, job_id=job, result_ids=ids[4:5], from_state="pending", actor=as_reviewer("ada")
    )

    undone = [review.undo_last(engine=engine, job_id=job, actor=as_reviewer("ada")) for _ in range(3)]

    assert undone[2] is None
    events = {e.id: e for e in review.list_events(engine=engine, job_id=job)}
    assert [events[u.event_id].undoes_event_id for u in undone[:2]] == [third.event_id, first.event_id]
    assert sorted(e.undoes_event_id for e in events.values() if e.undoes_event_id) == sorted(
        [first.event_id, second.event_id, third.event_id]
    )
    assert set(states(engine, job).values()) == {"pending"}


def test_the_store_refuses_a_second_undo_of_the_same_event(engine, job):
    ids = result_ids(engine, job)
    done = review.accept(engine=engine, job_id=job, result_ids=ids[:1], from_state="pending", actor=as_reviewer("ada"))
    undo = review.undo_last(engine=engine, job_id=job, actor=as_reviewer("ada"))
    with pytest.raises(SAIntegrityError), transaction(engine) as session:
        session.add(
            models.ReviewEvent(
                job_id=job,
                actor=as_reviewer("ada"),
                from_state="pending",
                to_state="accepted",
                result_count=0,
                undoes_event_id=done.event_id,
            )
        )
    assert review.list_events(engine=engine, job_id=job)[0].id == undo.event_id


def test_a_partial_undo_leaves_what_someone_else_moved_since(engine, job):
    ids = result_ids(engine, job)
    mine = review.accept(engine=engine, job_id=job, result_ids=ids[:4], from_state="pending", actor=as_reviewer("ada"))
    review.reject(engine=engine, job_id=job, result_ids=ids[:2], from_state="accepted", actor=as_reviewer("bob"))

    undo = review.undo_last(engine=engine, job_id=job, actor=as_reviewer("ada"))

    assert (undo.requested, undo.moved, undo.changed_elsewhere) == (4, 2, 2)
    assert [states(engine, job)[i] for i in ids[:4]] == ["rejected", "rejected", "pending", "pending"]
    event = review.list_events(engine=engine, job_id=job)[0]
    assert (event.undoes_event_id, event.result_ids) == (mine.event_id, ids[2:4])
    # bob's action is his own to undo, and is still whole
    assert review.undo_last(engine=engine, job_id=job, actor=as_reviewer("bob")).moved == 2
    assert [states(engine, job)[i] for i in ids[:4]] == ["accepted", "accepted", "pending", "pending"]


def test_an_undo_that_finds_nothing_left_still_marks_the_action_undone(engine, job):
    ids = result_ids(engine, job)
    first = review.accept(engine=engine, job_id=job, result_ids=ids[:1], from_state="pending", actor=as_reviewer("ada"))
    second = review.accept(
        engine=engine, job_id=job, result_ids=ids[1:2], from_state="pending", actor=as_reviewer("ada")
    )
    review.reject(engine=engine, job_id=job, result_ids=ids[1:2], from_state="accepted", actor=as_reviewer("bob"))

    undo = review.undo_last(engine=engine, job_id=job, actor=as_reviewer("ada"))
    assert (undo.requested, undo.moved, undo.changed_elsewhere) == (1, 0, 1)
    event = review.list_events(engine=engine, job_id=job)[0]
    assert (event.undoes_event_id, event.result_ids, event.from_state, event.to_state) == (
        second.event_id,
        [],
        "accepted",
        "pending",
    )

    assert review.undo_last(engine=engine, job_id=job, actor=as_reviewer("ada")).moved == 1  # then the first action
    assert review.list_events(engine=engine, job_id=job)[0].undoes_event_id == first.event_id


def test_undo_of_a_move_from_any_state_restores_each_results_own_state(engine, job):
    ids = result_ids(engine, job)
    put(engine, job, ids[:2], "accepted")
    put(engine, job, ids[2:4], "rejected")
    before = states(engine, job)
    review.move_to_pending(engine=engine, job_id=job, result_ids=ids, from_state=None, actor=as_reviewer("ada"))
    review.accept(
        engine=engine, job_id=job, result_ids=ids[0:1], from_state="pending", actor=as_reviewer("bob")
    )  # since

    undo = review.undo_last(engine=engine, job_id=job, actor=as_reviewer("ada"))

    assert (undo.requested, undo.moved, undo.changed_elsewhere) == (4, 3, 1)
    assert states(engine, job) == before  # ids[0] is accepted again, by bob
    event = review.list_events(engine=engine, job_id=job)[0]
    assert (event.from_state, event.to_state) == ("pending", None)
    assert event.to_states == {"accepted": ids[1:2], "rejected": ids[2:4]}


def test_undo_on_another_job_or_by_another_reviewer_finds_nothing(engine, jobs):
    job, other = jobs
    review.accept(
        engine=engine, job_id=job, result_ids=result_ids(engine, job), from_state=None, actor=as_reviewer("ada")
    )
    assert review.undo_last(engine=engine, job_id=other, actor=as_reviewer("ada")) is None
    assert review.undo_last(engine=engine, job_id=job, actor=as_reviewer("bob")) is None
    assert set(states(engine, job).values()) == {"accepted"}
