"""A store whose review events predate undo (schema version 2) is upgraded in place and keeps its events."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from core.jobs import ingest
from core.review import decisions as review
from core.store import db, models
from core.store.db import init_db, make_engine, schema_version, transaction
from tests.builders import ADMIN, as_reviewer, write_detection_job

# On PostgreSQL: a schema without tables, as a new or an old store has it.
pytestmark = pytest.mark.bare_store

# reviewevent as schema version 2 (and 1) created it.
V2_REVIEWEVENT = (
    "CREATE TABLE reviewevent (id {id} NOT NULL, job_id INTEGER NOT NULL, reviewer VARCHAR NOT NULL, "
    "created_at {timestamp} NOT NULL, from_state VARCHAR, to_state VARCHAR NOT NULL, result_count INTEGER NOT NULL, "
    "result_ids JSON NOT NULL, reason VARCHAR, selection JSON NOT NULL, PRIMARY KEY (id), "
    "FOREIGN KEY(job_id) REFERENCES labeljob (id) ON DELETE CASCADE)"
)


def test_a_version_2_store_gets_the_review_event_columns_and_keeps_its_events(store_url, tmp_path):
    assert db.SCHEMA_VERSION >= 3  # this test covers the 2 → 3 step (the later ones find their work done)
    engine = make_engine(store_url)
    init_db(engine)
    files = write_detection_job(tmp_path / "in")
    job = ingest.import_detection(
        actor=ADMIN,
        engine=engine,
        name="old",
        images_dir=files.images_dir,
        pre_path=files.pre_path,
        expert_path=files.expert_path,
    ).id
    postgres = engine.dialect.name == "postgresql"
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE reviewevent"))
        conn.execute(
            text(
                V2_REVIEWEVENT.format(
                    id="SERIAL" if postgres else "INTEGER",
                    timestamp="TIMESTAMP WITH TIME ZONE" if postgres else "DATETIME",
                )
            )
        )
        conn.execute(text("CREATE INDEX ix_reviewevent_job_id ON reviewevent (job_id)"))
        first = min(conn.execute(text("SELECT id FROM result WHERE job_id = :j"), {"j": job}).scalars())
        conn.execute(
            text("INSERT INTO reviewstate (result_id, job_id, state, reviewed_by) VALUES (:r, :j, 'accepted', 'old')"),
            {"r": first, "j": job},
        )
        conn.execute(
            text(
                "INSERT INTO reviewevent (job_id, reviewer, created_at, from_state, to_state, result_count, result_ids, "
                "reason, selection) VALUES (:j, 'old', :t, 'pending', 'accepted', 1, :ids, 'kept', '{}')"
            ),
            {"j": job, "t": models.utcnow(), "ids": f"[{first}]"},
        )
        conn.execute(text("UPDATE schemaversion SET version = 2"))

    init_db(engine)

    assert schema_version(engine) == db.SCHEMA_VERSION
    [kept] = review.list_events(engine=engine, job_id=job)
    assert (kept.reviewer, kept.from_state, kept.to_state, kept.result_ids, kept.reason) == (
        "old",
        "pending",
        "accepted",
        [first],
        "kept",
    )
    assert (kept.from_states, kept.to_states, kept.undoes_event_id) == (None, None, None)
    # the new columns work: a move from any state (from_states) and its undo (to_state NULL, to_states)
    review.reject(engine=engine, job_id=job, result_ids=[first + 1], from_state="pending", actor=as_reviewer("bob"))
    moved = review.move_to_pending(
        engine=engine, job_id=job, result_ids=[first, first + 1], from_state=None, actor=as_reviewer("ada")
    )
    assert review.list_events(engine=engine, job_id=job, limit=1)[0].from_states == {
        "accepted": [first],
        "rejected": [first + 1],
    }
    undo = review.undo_last(engine=engine, job_id=job, actor=as_reviewer("ada"))
    assert undo.moved == 2
    latest = review.list_events(engine=engine, job_id=job, limit=1)[0]
    assert (latest.undoes_event_id, latest.to_state, latest.to_states) == (
        moved.event_id,
        None,
        {"accepted": [first], "rejected": [first + 1]},
    )
    assert (
        review.undo_last(engine=engine, job_id=job, actor=as_reviewer("old")).moved == 1
    )  # the old event is undoable too
    with pytest.raises(IntegrityError), transaction(engine) as session:  # and undone at most once
        session.add(
            models.ReviewEvent(
                job_id=job, actor=as_reviewer("x"), to_state="pending", result_count=0, undoes_event_id=kept.id
            )
        )
    engine.dispose()
