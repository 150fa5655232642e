"""Review actions on SQLite and PostgreSQL: every transition, the conditional update, events, undo, validation."""

from __future__ import annotations

from datetime import UTC

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError as SAIntegrityError

from core.jobs import ingest

from core.store import models

from core.review import decisions as review
from core.store.db import transaction
from core.auth.access import Actor, Role
from core.domain.errors import BadInput, Forbidden, NotFound
from core.review.history import move_of, result_history
from tests.builders import ADMIN, as_reviewer, table_counts, write_detection_job
from tests.resultset_builders import STATE_OF, WITH_STATE, stored_states

STATES = ("pending", "accepted", "rejected")
TRANSITIONS = [(a, b) for a in STATES for b in STATES if a != b]


@pytest.fixture
def jobs(engine, tmp_path) -> tuple[int, int]:
    """Two copies of the standard detection job (6 results each)."""
    files = write_detection_job(tmp_path / "in")
    return tuple(
        ingest.import_detection(actor=ADMIN, engine=engine, name=name, images_dir=files.images_dir,
                                pre_path=files.pre_path,
                                expert_path=files.expert_path).id
        for name in ("street", "street-copy")
    )


@pytest.fixture
def job(jobs) -> int:
    return jobs[0]


def result_ids(engine, job_id: int) -> list[int]:
    with engine.connect() as conn:
        return list(conn.execute(text("SELECT id FROM result WHERE job_id = :j ORDER BY id"), {"j": job_id}).scalars())


def states(engine, job_id: int) -> dict[int, str]:
    return stored_states(engine, job_id)


def result_rows(engine, job_id: int) -> dict[int, tuple]:
    with engine.connect() as conn:
        rows = conn.execute(text(f"SELECT r.id, {STATE_OF}, st.reviewed_by, st.reviewed_at FROM result r {WITH_STATE} "
                                 "WHERE r.job_id = :j"), {"j": job_id}).all()
    return {r[0]: tuple(r[1:]) for r in rows}


def revision(engine, job_id: int) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT review_revision FROM labeljob WHERE id = :j"), {"j": job_id}).scalar_one()


def put(engine, job_id: int, ids: list[int], state: str) -> None:
    """Bring results to a state through the service (from pending)."""
    if state != "pending" and ids:
        outcome = review.move(engine=engine, job_id=job_id, result_ids=ids, from_state="pending", to_state=state,
                              actor=as_reviewer("setup"))
        assert outcome.moved == len(ids)


def naive_utc(moment):
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


# ---- transitions and the conditional update ------------------------------------------------------------------------


@pytest.mark.parametrize(("from_state", "to_state"), TRANSITIONS)
def test_every_transition_moves_exactly_the_results_in_the_from_state(engine, job, from_state, to_state):
    ids = result_ids(engine, job)
    chosen, rest = ids[:4], ids[4:]
    put(engine, job, chosen, from_state)
    before = revision(engine, job)

    outcome = review.move(engine=engine, job_id=job, result_ids=chosen, from_state=from_state, to_state=to_state,
                          actor=as_reviewer("ada"), reason="looks right", selection={"classes": ["cat"],
                                                                                     "tab": from_state})

    assert (outcome.requested, outcome.moved, outcome.changed_elsewhere) == (4, 4, 0)
    after = states(engine, job)
    assert {i: after[i] for i in chosen} == dict.fromkeys(chosen, to_state)
    assert {i: after[i] for i in rest} == dict.fromkeys(rest, "pending")
    assert revision(engine, job) == before + 1
    [event] = review.list_events(engine=engine, job_id=job, limit=1)
    assert event.id == outcome.event_id
    assert (event.from_state, event.to_state, event.result_ids, event.result_count) == (from_state, to_state,
                                                                                       chosen, 4)


@pytest.mark.parametrize(("name", "to_state"), [("accept", "accepted"), ("reject", "rejected"),
                                                ("move_to_pending", "pending")])
def test_the_named_actions_are_moves_to_their_state(engine, job, name, to_state):
    ids = result_ids(engine, job)
    put(engine, job, ids[:2], "rejected" if to_state != "rejected" else "accepted")
    from_state = states(engine, job)[ids[0]]
    outcome = getattr(review, name)(engine=engine, job_id=job, result_ids=ids[:2], from_state=from_state,
                                    actor=as_reviewer("ada"))
    assert outcome.moved == 2
    assert [states(engine, job)[i] for i in ids[:2]] == [to_state, to_state]


def test_results_no_longer_in_the_from_state_are_skipped_and_counted(engine, job):
    ids = result_ids(engine, job)
    put(engine, job, ids[:2], "accepted")  # someone else accepted two while the reviewer looked at Pending
    before = result_rows(engine, job)

    outcome = review.reject(engine=engine, job_id=job, result_ids=ids[:4], from_state="pending",
                            actor=as_reviewer("ada"))

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

    outcome = review.accept(engine=engine, job_id=job, result_ids=ids[:2], from_state="pending",
                            actor=as_reviewer("ada"))

    assert outcome == review.ReviewOutcome(event_id=None, requested=2, moved=0, changed_elsewhere=2)
    assert revision(engine, job) == before
    assert review.list_events(engine=engine, job_id=job) == events
    assert review.accept(engine=engine, job_id=job, result_ids=[], from_state="pending", actor=as_reviewer("ada")) == \
        review.ReviewOutcome(event_id=None, requested=0, moved=0, changed_elsewhere=0)


def test_ids_of_other_jobs_are_never_touched(engine, jobs):
    job, other = jobs
    mine, theirs = result_ids(engine, job), result_ids(engine, other)
    other_before, other_revision = result_rows(engine, other), revision(engine, other)

    outcome = review.accept(engine=engine, job_id=job, result_ids=mine[:3] + theirs, from_state=None,
                            actor=as_reviewer("ada"))

    assert (outcome.requested, outcome.moved, outcome.changed_elsewhere) == (9, 3, 6)
    assert result_rows(engine, other) == other_before
    assert revision(engine, other) == other_revision
    assert review.list_events(engine=engine, job_id=other) == []
    [event] = review.list_events(engine=engine, job_id=job)
    assert event.result_ids == mine[:3]


def test_duplicate_ids_count_once(engine, job):
    ids = result_ids(engine, job)
    outcome = review.accept(engine=engine, job_id=job, result_ids=[ids[1], ids[0], ids[1], ids[0]],
                            from_state="pending", actor=as_reviewer("ada"))
    assert (outcome.requested, outcome.moved) == (2, 2)
    assert review.list_events(engine=engine, job_id=job)[0].result_ids == ids[:2]


def test_the_event_records_who_when_what_why_and_the_selection(engine, job):
    ids = result_ids(engine, job)
    selection = {"tab": "pending", "classes": ["cat", "dog"], "class_changed": "true",
                 "slice": ["class_row:cat", "class_changed:true"], "area_min": 100.0}
    outcome = review.reject(engine=engine, job_id=job, result_ids=ids[:3], from_state="pending",
                            actor=as_reviewer("  ada  "),
                            reason="box too loose", selection=selection)

    [event] = review.list_events(engine=engine, job_id=job)
    assert event.id == outcome.event_id and event.job_id == job
    assert (event.reviewer, event.from_state, event.to_state, event.reason) == ("ada", "pending", "rejected",
                                                                                "box too loose")
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

    outcome = review.move_to_pending(engine=engine, job_id=job, result_ids=ids[:4], from_state=None,
                                     actor=as_reviewer("ada"))

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


# ---- undo --------------------------------------------------------------------------------------------------------


def test_undo_moves_the_last_action_back_and_says_which_event_it_undoes(engine, job):
    ids = result_ids(engine, job)
    first = review.accept(engine=engine, job_id=job, result_ids=ids[:3], from_state="pending", actor=as_reviewer("ada"))
    put(engine, job, ids[3:4], "rejected")  # someone else's action in between
    second = review.reject(engine=engine, job_id=job, result_ids=ids[:2], from_state="accepted",
                           actor=as_reviewer("ada"))
    before = revision(engine, job)

    undo = review.undo_last(engine=engine, job_id=job, actor=as_reviewer("ada"))

    assert (undo.requested, undo.moved, undo.changed_elsewhere) == (2, 2, 0)
    assert revision(engine, job) == before + 1
    assert [states(engine, job)[i] for i in ids[:4]] == ["accepted", "accepted", "accepted", "rejected"]
    event = review.list_events(engine=engine, job_id=job)[0]
    assert event.id == undo.event_id
    assert (event.undoes_event_id, event.reviewer, event.from_state, event.to_state, event.result_ids) == (
        second.event_id, "ada", "rejected", "accepted", ids[:2])

    again = review.undo_last(engine=engine, job_id=job, actor=as_reviewer("ada"))  # the action before: the first accept
    assert again.moved == 3
    assert review.list_events(engine=engine, job_id=job)[0].undoes_event_id == first.event_id
    assert [states(engine, job)[i] for i in ids[:4]] == ["pending", "pending", "pending", "rejected"]

    assert review.undo_last(engine=engine, job_id=job,
                            actor=as_reviewer("ada")) is None  # nothing of ada's left to undo


def test_an_undo_is_never_undone_the_next_undo_goes_further_back(engine, job):
    ids = result_ids(engine, job)
    first = review.accept(engine=engine, job_id=job, result_ids=ids[:2], from_state="pending", actor=as_reviewer("ada"))
    second = review.reject(engine=engine, job_id=job, result_ids=ids[2:4], from_state="pending",
                           actor=as_reviewer("ada"))
    review.undo_last(engine=engine, job_id=job, actor=as_reviewer("ada"))  # undoes second
    third = review.accept(engine=engine, job_id=job, result_ids=ids[4:5], from_state="pending",
                          actor=as_reviewer("ada"))

    undone = [review.undo_last(engine=engine, job_id=job, actor=as_reviewer("ada")) for _ in range(3)]

    assert undone[2] is None
    events = {e.id: e for e in review.list_events(engine=engine, job_id=job)}
    assert [events[u.event_id].undoes_event_id for u in undone[:2]] == [third.event_id, first.event_id]
    assert sorted(e.undoes_event_id for e in events.values() if e.undoes_event_id) == sorted(
        [first.event_id, second.event_id, third.event_id])
    assert set(states(engine, job).values()) == {"pending"}


def test_the_store_refuses_a_second_undo_of_the_same_event(engine, job):
    ids = result_ids(engine, job)
    done = review.accept(engine=engine, job_id=job, result_ids=ids[:1], from_state="pending", actor=as_reviewer("ada"))
    undo = review.undo_last(engine=engine, job_id=job, actor=as_reviewer("ada"))
    with pytest.raises(SAIntegrityError), transaction(engine) as session:
        session.add(models.ReviewEvent(job_id=job, actor=as_reviewer("ada"), from_state="pending", to_state="accepted",
                                       result_count=0, undoes_event_id=done.event_id))
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
    second = review.accept(engine=engine, job_id=job, result_ids=ids[1:2], from_state="pending",
                           actor=as_reviewer("ada"))
    review.reject(engine=engine, job_id=job, result_ids=ids[1:2], from_state="accepted", actor=as_reviewer("bob"))

    undo = review.undo_last(engine=engine, job_id=job, actor=as_reviewer("ada"))
    assert (undo.requested, undo.moved, undo.changed_elsewhere) == (1, 0, 1)
    event = review.list_events(engine=engine, job_id=job)[0]
    assert (event.undoes_event_id, event.result_ids, event.from_state, event.to_state) == (
        second.event_id, [], "accepted", "pending")

    assert review.undo_last(engine=engine, job_id=job, actor=as_reviewer("ada")).moved == 1  # then the first action
    assert review.list_events(engine=engine, job_id=job)[0].undoes_event_id == first.event_id


def test_undo_of_a_move_from_any_state_restores_each_results_own_state(engine, job):
    ids = result_ids(engine, job)
    put(engine, job, ids[:2], "accepted")
    put(engine, job, ids[2:4], "rejected")
    before = states(engine, job)
    review.move_to_pending(engine=engine, job_id=job, result_ids=ids, from_state=None, actor=as_reviewer("ada"))
    review.accept(engine=engine, job_id=job, result_ids=ids[0:1], from_state="pending",
                  actor=as_reviewer("bob"))  # since

    undo = review.undo_last(engine=engine, job_id=job, actor=as_reviewer("ada"))

    assert (undo.requested, undo.moved, undo.changed_elsewhere) == (4, 3, 1)
    assert states(engine, job) == before  # ids[0] is accepted again, by bob
    event = review.list_events(engine=engine, job_id=job)[0]
    assert (event.from_state, event.to_state) == ("pending", None)
    assert event.to_states == {"accepted": ids[1:2], "rejected": ids[2:4]}


def test_undo_on_another_job_or_by_another_reviewer_finds_nothing(engine, jobs):
    job, other = jobs
    review.accept(engine=engine, job_id=job, result_ids=result_ids(engine, job), from_state=None,
                  actor=as_reviewer("ada"))
    assert review.undo_last(engine=engine, job_id=other, actor=as_reviewer("ada")) is None
    assert review.undo_last(engine=engine, job_id=job, actor=as_reviewer("bob")) is None
    assert set(states(engine, job).values()) == {"accepted"}


# ---- history and listing -------------------------------------------------------------------------------------------


def test_result_history_shows_each_move_of_the_result(engine, job):
    ids = result_ids(engine, job)
    put(engine, job, ids[:1], "rejected")
    review.accept(engine=engine, job_id=job, result_ids=ids[:2], from_state=None, actor=as_reviewer("ada"))
    review.undo_last(engine=engine, job_id=job, actor=as_reviewer("ada"))

    history = result_history(engine=engine, job_id=job, result_id=ids[0])
    assert [move_of(e, ids[0]) for e in history] == [("pending", "rejected"), ("rejected", "accepted"),
                                                     ("accepted", "rejected")]
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


# ---- validation: refused before any write ------------------------------------------------------------------------


BAD_MOVES = [
    ({"to_state": "done"}, BadInput, "to_state 'done'"),
    ({"from_state": "reviewed"}, BadInput, "from_state 'reviewed'"),
    ({"from_state": "accepted", "to_state": "accepted"}, BadInput, "both 'accepted'"),
    ({"actor": Actor(name="vic", role=Role.VIEWER)}, Forbidden, "vic is a viewer and may not move results"),
    ({"actor": "ada"}, TypeError, "actor must be an Actor"),
    ({"result_ids": ["1", "x"]}, BadInput, "result_ids"),
    ({"result_ids": [1, None]}, BadInput, "result_ids"),
    ({"selection": {"when": object()}}, BadInput, "selection"),
    ({"job_id": 10_000}, NotFound, "job 10000"),
]


@pytest.mark.parametrize(("change", "error", "message"), BAD_MOVES, ids=[m for _, _, m in BAD_MOVES])
def test_a_refused_action_changes_nothing(engine, job, change, error, message):
    ids = result_ids(engine, job)
    review.accept(engine=engine, job_id=job, result_ids=ids[:1], from_state="pending", actor=as_reviewer("ada"))
    before = (table_counts(engine), result_rows(engine, job), revision(engine, job))
    arguments = dict(engine=engine, job_id=job, result_ids=ids, from_state="pending", to_state="rejected",
                     actor=as_reviewer("ada")) | change
    with pytest.raises(error, match=message):
        review.move(**arguments)
    assert (table_counts(engine), result_rows(engine, job), revision(engine, job)) == before


@pytest.mark.parametrize(("job_offset", "actor", "error"), [(0, Actor(name="vic", role=Role.VIEWER), Forbidden),
                                                            (0, "ada", TypeError),
                                                            (10_000, as_reviewer("ada"), NotFound)])
def test_a_refused_undo_changes_nothing(engine, job, job_offset, actor, error):
    review.accept(engine=engine, job_id=job, result_ids=result_ids(engine, job), from_state=None,
                  actor=as_reviewer("ada"))
    before = (table_counts(engine), result_rows(engine, job), revision(engine, job))
    with pytest.raises(error):
        review.undo_last(engine=engine, job_id=job + job_offset, actor=actor)
    assert (table_counts(engine), result_rows(engine, job), revision(engine, job)) == before


def test_jobs_that_are_not_ready_manual_jobs_are_refused(engine, job, tmp_path):
    files = write_detection_job(tmp_path / "auto")
    auto = ingest.import_auto_predictions(actor=ADMIN, engine=engine, name="auto", images_dir=files.images_dir,
                                          predictions_path=files.expert_path, status="PROCESSING")
    with pytest.raises(BadInput, match="only READY manual label jobs"):
        review.accept(engine=engine, job_id=auto.id, result_ids=[1], from_state="pending", actor=as_reviewer("ada"))
    with engine.begin() as conn:
        conn.execute(text("UPDATE labeljob SET status = 'IN_PROGRESS' WHERE id = :j"), {"j": job})
    with pytest.raises(BadInput, match="IN_PROGRESS"):
        review.accept(engine=engine, job_id=job, result_ids=result_ids(engine, job), from_state="pending",
                      actor=as_reviewer("ada"))
    assert set(states(engine, job).values()) == {"pending"}


def test_a_failure_inside_the_transaction_rolls_everything_back(engine, job, monkeypatch):
    ids = result_ids(engine, job)
    before = (table_counts(engine), result_rows(engine, job), revision(engine, job))

    def broken(*_args, **_kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(review, "_record", broken)  # after the UPDATE, before the event
    with pytest.raises(RuntimeError, match="disk full"):
        review.accept(engine=engine, job_id=job, result_ids=ids, from_state="pending", actor=as_reviewer("ada"))
    assert (table_counts(engine), result_rows(engine, job), revision(engine, job)) == before
    monkeypatch.undo()
    assert review.accept(engine=engine, job_id=job, result_ids=ids, from_state="pending",
                         actor=as_reviewer("ada")).moved == 6


def test_a_large_action_goes_through_the_bulk_path(engine, tmp_path):
    """Thousands of ids (COPY on PostgreSQL, executemany on SQLite), a slice of them already moved."""
    from tests.builders import write_csv

    rows = [(f"img_{i:05d}.png", "cat", "cat" if i % 3 else "dog", "") for i in range(5000)]
    csv_path = write_csv(tmp_path / "big.csv", rows)
    big = ingest.import_classification(actor=ADMIN, engine=engine, name="big", images_dir=tmp_path, csv_path=csv_path,
                                       check_image_files=False).id
    ids = result_ids(engine, big)
    review.reject(engine=engine, job_id=big, result_ids=ids[::10], from_state="pending", actor=as_reviewer("bob"))
    outcome = review.accept(engine=engine, job_id=big, result_ids=ids, from_state="pending", actor=as_reviewer("ada"))
    assert (outcome.requested, outcome.moved, outcome.changed_elsewhere) == (5000, 4500, 500)
    counts = {}
    for state in states(engine, big).values():
        counts[state] = counts.get(state, 0) + 1
    assert counts == {"accepted": 4500, "rejected": 500}
