"""Helpers of the review service tests (tests/store/test_review*.py): the review states and their transitions, the
`jobs` and `job` fixtures (two copies of the standard detection job), the results' ids, states, rows and the job's
review revision read straight from the store, and `put`, which brings results to a state through the service."""

from __future__ import annotations

from datetime import UTC

import pytest
from sqlalchemy import text

from core.jobs import ingest
from core.review import decisions as review
from tests.builders import ADMIN, as_reviewer, write_detection_job
from tests.resultset_builders import STATE_OF, WITH_STATE, stored_states

STATES = ("pending", "accepted", "rejected")
TRANSITIONS = [(a, b) for a in STATES for b in STATES if a != b]


@pytest.fixture
def jobs(engine, tmp_path) -> tuple[int, int]:
    """Two copies of the standard detection job (6 results each)."""
    files = write_detection_job(tmp_path / "in")
    return tuple(
        ingest.import_detection(
            actor=ADMIN,
            engine=engine,
            name=name,
            images_dir=files.images_dir,
            pre_path=files.pre_path,
            expert_path=files.expert_path,
        ).id
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
        rows = conn.execute(
            text(
                f"SELECT r.id, {STATE_OF}, st.reviewed_by, st.reviewed_at FROM result r {WITH_STATE} "
                "WHERE r.job_id = :j"
            ),
            {"j": job_id},
        ).all()
    return {r[0]: tuple(r[1:]) for r in rows}


def revision(engine, job_id: int) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT review_revision FROM labeljob WHERE id = :j"), {"j": job_id}).scalar_one()


def put(engine, job_id: int, ids: list[int], state: str) -> None:
    """Bring results to a state through the service (from pending)."""
    if state != "pending" and ids:
        outcome = review.move(
            engine=engine,
            job_id=job_id,
            result_ids=ids,
            from_state="pending",
            to_state=state,
            actor=as_reviewer("setup"),
        )
        assert outcome.moved == len(ids)


def naive_utc(moment):
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment
