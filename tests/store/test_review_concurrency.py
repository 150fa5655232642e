"""Two reviewers acting at the same moment on overlapping slices, each through a connection of their own (an engine
each, a thread each, released together by a barrier), round after round, on SQLite and PostgreSQL. No decision is
lost or taken twice: replaying the event log in order reproduces every result's state, every move starts from the
state the replay has the result in, and within a round a result moves at most once."""

from __future__ import annotations

import random
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from core.jobs import ingest
from core.review import decisions as review
from core.review.history import move_of
from core.store.db import make_engine, transaction, write_transaction
from tests.builders import ADMIN, as_reviewer, write_csv
from tests.resultset_builders import stored_states

RESULTS = 2000
# (from_state shared by both reviewers, reviewer A's target, reviewer B's target); "undo" undoes A's last action.
ROUNDS = [
    ("pending", "accepted", "rejected"),
    ("pending", "rejected", "accepted"),
    ("accepted", "rejected", "pending"),
    ("rejected", "accepted", "pending"),
    ("accepted", "pending", "pending"),
    (None, "accepted", "rejected"),
    ("pending", "accepted", "accepted"),
    (None, "undo", "pending"),
    ("rejected", "pending", "accepted"),
    (None, "rejected", "accepted"),
]


@pytest.fixture
def big_job(engine, tmp_path) -> int:
    rows = [(f"img_{i:05d}.png", "cat", "dog" if i % 4 == 0 else "cat", "") for i in range(RESULTS)]
    csv_path = write_csv(tmp_path / "labels.csv", rows)
    return ingest.import_classification(
        actor=ADMIN, engine=engine, name="busy", images_dir=tmp_path, csv_path=csv_path, check_image_files=False
    ).id


def states(engine, job_id: int) -> dict[int, str]:
    return stored_states(engine, job_id)


def test_two_reviewers_at_once_never_lose_or_double_a_decision(engine, store_url, big_job):
    ids = sorted(states(engine, big_job))
    rng = random.Random(4)
    engines = {"ada": make_engine(store_url), "bob": make_engine(store_url)}
    barrier = threading.Barrier(2, timeout=60)

    def act(reviewer: str, from_state: str | None, to_state: str, chosen: list[int]):
        barrier.wait()
        if to_state == "undo":
            return review.undo_last(engine=engines[reviewer], job_id=big_job, actor=as_reviewer(reviewer))
        return review.move(
            engine=engines[reviewer],
            job_id=big_job,
            result_ids=chosen,
            from_state=from_state,
            to_state=to_state,
            actor=as_reviewer(reviewer),
            selection={"round": from_state},
        )

    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            for from_state, ada_to, bob_to in ROUNDS:
                before = states(engine, big_job)
                slices = {name: sorted(rng.sample(ids, k=int(RESULTS * 0.6))) for name in engines}
                futures = {
                    name: pool.submit(act, name, from_state, to, slices[name])
                    for name, to in (("ada", ada_to), ("bob", bob_to))
                }
                outcomes = {name: future.result(timeout=120) for name, future in futures.items()}
                if from_state is not None:
                    _check_round(engine, big_job, before, from_state, slices, outcomes)
    finally:
        for e in engines.values():
            e.dispose()

    _check_replay(engine, big_job)


def _check_round(engine, job_id, before, from_state, slices, outcomes) -> None:
    """Both reviewers saw the same tab: each result of either slice that was in it moved exactly once."""
    eligible = {i for i in set(slices["ada"]) | set(slices["bob"]) if before[i] == from_state}
    events = {e.id: e for e in review.list_events(engine=engine, job_id=job_id, limit=2)}
    moved = {name: set(events[o.event_id].result_ids) if o.event_id else set() for name, o in outcomes.items()}
    assert moved["ada"].isdisjoint(moved["bob"])
    assert moved["ada"] | moved["bob"] == eligible
    assert sum(o.moved for o in outcomes.values()) == len(eligible)
    for name, outcome in outcomes.items():
        assert outcome.requested == len(slices[name])
        assert outcome.changed_elsewhere == outcome.requested - outcome.moved
        assert moved[name] <= set(slices[name])
    after = states(engine, job_id)
    assert all(after[i] == before[i] for i in after if i not in eligible)


def _check_replay(engine, job_id) -> None:
    """Replaying every event in id order from all-pending gives the store's states, each move leaving the state
    the replay has the result in, and each result's state is its last event's move."""
    events = list(reversed(review.list_events(engine=engine, job_id=job_id)))
    assert [e.id for e in events] == sorted(e.id for e in events)
    replay = dict.fromkeys(states(engine, job_id), "pending")
    last_event: dict[int, int] = {}
    for event in events:
        assert event.result_count == len(event.result_ids) == len(set(event.result_ids))
        for result_id in event.result_ids:
            left, reached = move_of(event, result_id)
            assert replay[result_id] == left, f"event {event.id} moved result {result_id} from a state it was not in"
            replay[result_id] = reached
            last_event[result_id] = event.id
    assert replay == states(engine, job_id)
    assert sum(e.result_count for e in events) > 0
    with engine.connect() as conn:
        reviewers = dict(
            conn.execute(text("SELECT result_id, reviewed_by FROM reviewstate WHERE job_id = :j"), {"j": job_id}).all()
        )
        revision = conn.execute(text("SELECT review_revision FROM labeljob WHERE id = :j"), {"j": job_id}).scalar()
    by_id = {e.id: e for e in events}
    # a decided result keeps the reviewer of its last event; a pending one keeps no decision and no reviewer
    decided = {i for i in last_event if replay[i] != "pending"}
    assert {i: by_id[last_event[i]].reviewer for i in decided} == reviewers
    assert revision == len(events)


def test_on_sqlite_a_write_transaction_holds_the_write_lock_from_its_start(sqlite_engine):
    path = make_url(str(sqlite_engine.url)).database

    def other_writer_can_start() -> bool:
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            return True
        except sqlite3.OperationalError:
            return False
        finally:
            other.close()

    with transaction(sqlite_engine) as session:
        session.connection().execute(text("SELECT 1"))
        assert other_writer_can_start()  # reads stay deferred: they block no writer
    with write_transaction(sqlite_engine) as session:
        session.connection().execute(text("SELECT 1"))
        assert not other_writer_can_start()
    assert other_writer_can_start()
