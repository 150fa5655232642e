"""Review actions refused before any write, on SQLite and PostgreSQL: a bad move or undo (wrong state, unknown
result, a viewer, another job) changes nothing, jobs that are not READY manual jobs are refused, and a failure
inside the transaction rolls everything back."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from core.auth.access import Actor, Role
from core.domain.errors import BadInput, Forbidden, NotFound
from core.jobs import ingest
from core.review import decisions as review
from tests.builders import ADMIN, as_reviewer, table_counts, write_detection_job
from tests.store.review_helpers import job, jobs, result_ids, result_rows, revision, states  # noqa: F401  (the fixtures: two copies of the standard job)

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
    arguments = (
        dict(
            engine=engine,
            job_id=job,
            result_ids=ids,
            from_state="pending",
            to_state="rejected",
            actor=as_reviewer("ada"),
        )
        | change
    )
    with pytest.raises(error, match=message):
        review.move(**arguments)
    assert (table_counts(engine), result_rows(engine, job), revision(engine, job)) == before


@pytest.mark.parametrize(
    ("job_offset", "actor", "error"),
    [
        (0, Actor(name="vic", role=Role.VIEWER), Forbidden),
        (0, "ada", TypeError),
        (10_000, as_reviewer("ada"), NotFound),
    ],
)
def test_a_refused_undo_changes_nothing(engine, job, job_offset, actor, error):
    review.accept(
        engine=engine, job_id=job, result_ids=result_ids(engine, job), from_state=None, actor=as_reviewer("ada")
    )
    before = (table_counts(engine), result_rows(engine, job), revision(engine, job))
    with pytest.raises(error):
        review.undo_last(engine=engine, job_id=job + job_offset, actor=actor)
    assert (table_counts(engine), result_rows(engine, job), revision(engine, job)) == before


def test_jobs_that_are_not_ready_manual_jobs_are_refused(engine, job, tmp_path):
    files = write_detection_job(tmp_path / "auto")
    auto = ingest.import_auto_predictions(
        actor=ADMIN,
        engine=engine,
        name="auto",
        images_dir=files.images_dir,
        predictions_path=files.expert_path,
        status="PROCESSING",
    )
    with pytest.raises(BadInput, match="only READY manual label jobs"):
        review.accept(engine=engine, job_id=auto.id, result_ids=[1], from_state="pending", actor=as_reviewer("ada"))
    with engine.begin() as conn:
        conn.execute(text("UPDATE labeljob SET status = 'IN_PROGRESS' WHERE id = :j"), {"j": job})
    with pytest.raises(BadInput, match="IN_PROGRESS"):
        review.accept(
            engine=engine,
            job_id=job,
            result_ids=result_ids(engine, job),
            from_state="pending",
            actor=as_reviewer("ada"),
        )
    assert set(states(engine, job).values()) == {"pending"}


def test_a_failure_inside_the_transaction_rolls_everything_back(engine, job, monkeypatch):
    ids = result_ids(engine, job)
    before = (table_counts(engine), result_rows(engine, job), revision(engine, job))

    def broken(*_args, **_kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(review, "record_event", broken)  # after the UPDATE, before the event
    with pytest.raises(RuntimeError, match="disk full"):
        review.accept(engine=engine, job_id=job, result_ids=ids, from_state="pending", actor=as_reviewer("ada"))
    assert (table_counts(engine), result_rows(engine, job), revision(engine, job)) == before
    monkeypatch.undo()
    assert (
        review.accept(engine=engine, job_id=job, result_ids=ids, from_state="pending", actor=as_reviewer("ada")).moved
        == 6
    )
