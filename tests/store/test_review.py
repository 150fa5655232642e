"""Review actions on SQLite and PostgreSQL: every transition moves exactly the results in its from-state through
the conditional update, results moved elsewhere are skipped and counted, other jobs are never touched, the event
records who, when, what and why, moves from any state, and a large action through the bulk path."""

from __future__ import annotations

import pytest

from core.jobs import ingest
from core.review import decisions as review
from tests.builders import ADMIN, as_reviewer
from tests.store.review_helpers import TRANSITIONS, job, jobs, naive_utc, put, result_ids, result_rows, revision, states  # noqa: F401  (the fixtures: two copies of the standard job)

# ---- transitions and the conditional update ------------------------------------------------------------------------


@pytest.mark.parametrize(("from_state", "to_state"), TRANSITIONS)
def test_every_transition_moves_exactly_the_results_in_the_from_state(engine, job, from_state, to_state):
    ids = result_ids(engine, job)
    chosen, rest = ids[:4], ids[4:]
    put(engine, job, chosen, from_state)
    before = revision(engine, job)

    outcome = review.move(
        engine=engine,
        job_id=job,
        result_ids=chosen,
        from_state=from_state,
        to_state=to_state,
        actor=as_reviewer("ada"),
        reason="looks right",
        selection={"classes": ["cat"], "tab": from_state},
    )

    assert (outcome.requested, outcome.moved, outcome.changed_elsewhere) == (4, 4, 0)
    after = states(engine, job)
    assert {i: after[i] for i in chosen} == dict.fromkeys(chosen, to_state)
    assert {i: after[i] for i in rest} == dict.fromkeys(rest, "pending")
    assert revision(engine, job) == before + 1
    [event] = review.list_events(engine=engine, job_id=job, limit=1)
    assert event.id == outcome.event_id
    assert (event.from_state, event.to_state, event.result_ids, event.result_count) == (from_state, to_state, chosen, 4)


@pytest.mark.parametrize(
    ("name", "to_state"), [("accept", "accepted"), ("reject", "rejected"), ("move_to_pending", "pending")]
)
def test_the_named_actions_are_moves_to_their_state(engine, job, name, to_state):
    ids = result_ids(engine, job)
    put(engine, job, ids[:2], "rejected" if to_state != "rejected" else "accepted")
    from_state = states(engine, job)[ids[0]]
    outcome = getattr(review, name)(
        engine=engine, job_id=job, result_ids=ids[:2], from_state=from_state, actor=as_reviewer("ada")
    )
    assert outcome.moved == 2
    assert [states(engine, job)[i] for i in ids[:2]] == [to_state, to_state]


def test_results_no_longer_in_the_from_state_are_skipped_and_counted(engine, job):
    ids = result_ids(engine, job)
    put(engine, job, ids[:2], "accepted")  # someone else accepted two while the reviewer looked at Pending
    before = result_rows(engine, job)

    outcome = review.reject(
        engine=engine, job_id=job, result_ids=ids[:4], from_state="pending", actor=as_reviewer("ada")
    )

    assert (outcome.requested, outcome.moved, outcome.changed_elsewhere) == (4, 2, 2)
    after = result_rows(engine, job)
    assert {i: after[i] for i in ids[:2]} == {i: before[i] for i in ids[:2]}  # untouched: state, who, when
    assert [after[i][0] for i in ids[2:4]] == ["rejected", "rejected"]
    [event] = review.list_events(engine=engine, job_id=job, reviewer="ada")
    assert event.result_ids == ids[2:4] and event.result_count == 2


def test_nothing_moved_records_no_event_and_keeps_the_revision(engine, job):
    ids = result_ids(engine, job)
    put(engine, job, ids[:2], "accepted")
    before, events = revision(engine, job), review.list_events(engine=engine, job_id=job)

    outcome = review.accept(
        engine=engine, job_id=job, result_ids=ids[:2], from_state="pending", actor=as_reviewer("ada")
    )

    assert outcome == review.ReviewOutcome(event_id=None, requested=2, moved=0, changed_elsewhere=2)
    assert revision(engine, job) == before
    assert review.list_events(engine=engine, job_id=job) == events
    assert review.accept(
        engine=engine, job_id=job, result_ids=[], from_state="pending", actor=as_reviewer("ada")
    ) == review.ReviewOutcome(event_id=None, requested=0, moved=0, changed_elsewhere=0)


def test_ids_of_other_jobs_are_never_touched(engine, jobs):
    job, other = jobs
    mine, theirs = result_ids(engine, job), result_ids(engine, other)
    other_before, other_revision = result_rows(engine, other), revision(engine, other)

    outcome = review.accept(
        engine=engine, job_id=job, result_ids=mine[:3] + theirs, from_state=None, actor=as_reviewer("ada")
    )

    assert (outcome.requested, outcome.moved, outcome.changed_elsewhere) == (9, 3, 6)
    assert result_rows(engine, other) == other_before
    assert revision(engine, other) == other_revision
    assert review.list_events(engine=engine, job_id=other) == []
    [event] = review.list_events(engine=engine, job_id=job)
    assert event.result_ids == mine[:3]


def test_duplicate_ids_count_once(engine, job):
    ids = result_ids(engine, job)
    outcome = review.accept(
        engine=engine,
        job_id=job,
        result_ids=[ids[1], ids[0], ids[1], ids[0]],
        from_state="pending",
        actor=as_reviewer("ada"),
    )
    assert (outcome.requested, outcome.moved) == (2, 2)
    assert review.list_events(engine=engine, job_id=job)[0].result_ids == ids[:2]


def test_the_event_records_who_when_what_why_and_the_selection(engine, job):
    ids = result_ids(engine, job)
    selection = {
        "tab": "pending",
        "classes": ["cat", "dog"],
        "class_changed": "true",
        "slice": ["class_row:cat", "class_changed:true"],
        "area_min": 100.0,
    }
    outcome = review.reject(
        engine=engine,
        job_id=job,
        result_ids=ids[:3],
        from_state="pending",
        actor=as_reviewer("  ada  "),
        reason="box too loose",
        selection=selection,
    )

    [event] = review.list_events(engine=engine, job_id=job)
    assert event.id == outcome.event_id and event.job_id == job
    assert (event.reviewer, event.from_state, event.to_state, event.reason) == (
        "ada",
        "pending",
        "rejected",
        "box too loose",
    )
    assert (event.result_ids, event.result_count, event.selection) == (ids[:3], 3, selection)
    assert (event.from_states, event.to_states, event.undoes_event_id) == (None, None, None)
    rows = result_rows(engine, job)
    for i in ids[:3]:
        state, who, when = rows[i]
        assert (state, who) == ("rejected", "ada")
        assert naive_utc(_as_datetime(when)) == naive_utc(event.created_at)  # one moment for the action
    assert all(rows[i][1:] == (None, None) for i in ids[3:])


def _as_datetime(value):
    if isinstance(value, str):  # SQLite through a text() query
        from datetime import datetime

        return datetime.fromisoformat(value)
    return value


def test_review_revision_counts_the_events(engine, job):
    ids = result_ids(engine, job)
    start = revision(engine, job)
    review.accept(engine=engine, job_id=job, result_ids=ids[:2], from_state="pending", actor=as_reviewer("ada"))
    review.reject(engine=engine, job_id=job, result_ids=ids, from_state=None, actor=as_reviewer("bob"))
    review.undo_last(engine=engine, job_id=job, actor=as_reviewer("bob"))
    assert revision(engine, job) == start + 3 == start + len(review.list_events(engine=engine, job_id=job))


def test_a_move_from_any_state_records_the_state_each_result_left(engine, job):
    ids = result_ids(engine, job)
    put(engine, job, ids[:2], "accepted")
    put(engine, job, ids[2:3], "rejected")

    outcome = review.move_to_pending(
        engine=engine, job_id=job, result_ids=ids[:4], from_state=None, actor=as_reviewer("ada")
    )

    assert (outcome.requested, outcome.moved, outcome.changed_elsewhere) == (4, 3, 1)  # ids[3] was pending already
    event = review.list_events(engine=engine, job_id=job)[0]
    assert (event.from_state, event.to_state) == (None, "pending")
    assert event.from_states == {"accepted": ids[:2], "rejected": ids[2:3]}
    assert event.result_ids == ids[:3]
    assert set(states(engine, job).values()) == {"pending"}


def test_a_move_from_any_state_that_left_one_state_names_it(engine, job):
    ids = result_ids(engine, job)
    review.accept(engine=engine, job_id=job, result_ids=ids, from_state=None, actor=as_reviewer("ada"))
    event = review.list_events(engine=engine, job_id=job)[0]
    assert (event.from_state, event.from_states, event.result_ids) == ("pending", None, ids)


def test_a_large_action_goes_through_the_bulk_path(engine, tmp_path):
    """Thousands of ids (COPY on PostgreSQL, executemany on SQLite), a slice of them already moved."""
    from tests.builders import write_csv

    rows = [(f"img_{i:05d}.png", "cat", "cat" if i % 3 else "dog", "") for i in range(5000)]
    csv_path = write_csv(tmp_path / "big.csv", rows)
    big = ingest.import_classification(
        actor=ADMIN, engine=engine, name="big", images_dir=tmp_path, csv_path=csv_path, check_image_files=False
    ).id
    ids = result_ids(engine, big)
    review.reject(engine=engine, job_id=big, result_ids=ids[::10], from_state="pending", actor=as_reviewer("bob"))
    outcome = review.accept(engine=engine, job_id=big, result_ids=ids, from_state="pending", actor=as_reviewer("ada"))
    assert (outcome.requested, outcome.moved, outcome.changed_elsewhere) == (5000, 4500, 500)
    counts = {}
    for state in states(engine, big).values():
        counts[state] = counts.get(state, 0) + 1
    assert counts == {"accepted": 4500, "rejected": 500}
