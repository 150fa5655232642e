"""A version-4 store is upgraded in place to 5: the result table keeps only the index review actions use (its four
filter-column indexes slowed every bulk review on PostgreSQL), and the appuser table appears. Jobs and review
states are kept."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

from core.auth import users
from core.jobs import ingest
from core.review import decisions as review
from core.store import db
from core.store.db import init_db, make_engine, schema_version
from tests.builders import ADMIN, as_reviewer, job_rows, write_detection_job

# On PostgreSQL: a schema without tables, as a new or an old store has it.
pytestmark = pytest.mark.bare_store

FILTER_INDEXES = {
    "ix_result_job_class_changed": "job_id, expert_class_id, class_changed",
    "ix_result_job_change_kind": "job_id, change_kind",
    "ix_result_job_area": "job_id, area_px",
    "ix_result_job_factor": "job_id, adjustment_factor",
}


def result_indexes(engine) -> set[str]:
    return {i["name"] for i in inspect(engine).get_indexes("result")}


def test_a_version_4_store_loses_the_filter_indexes_and_gains_accounts(store_url, tmp_path):
    assert db.SCHEMA_VERSION >= 5
    engine = make_engine(store_url)
    init_db(engine)
    assert result_indexes(engine) == {"ix_result_job", "ix_result_sample_id"}
    files = write_detection_job(tmp_path / "in")
    job = ingest.import_detection(
        actor=ADMIN,
        engine=engine,
        name="old",
        images_dir=files.images_dir,
        pre_path=files.pre_path,
        expert_path=files.expert_path,
    )
    ids = [r[0] for r in job_rows(engine, job.id)["result"]]
    review.accept(engine=engine, job_id=job.id, result_ids=ids[:2], from_state="pending", actor=as_reviewer("ada"))
    before = job_rows(engine, job.id)
    with engine.begin() as conn:  # back to version 4: the filter indexes and no appuser table
        for name, columns in FILTER_INDEXES.items():
            conn.execute(text(f"CREATE INDEX {name} ON result ({columns})"))
        conn.execute(text("DROP TABLE appuser"))
        conn.execute(text("UPDATE schemaversion SET version = 4"))
    engine.dispose()
    assert set(FILTER_INDEXES) <= result_indexes(engine)

    engine = make_engine(store_url)
    init_db(engine)
    assert schema_version(engine) == db.SCHEMA_VERSION
    assert result_indexes(engine) == {"ix_result_job", "ix_result_sample_id"}
    assert job_rows(engine, job.id) == before
    users.add_user(engine=engine, name="ann", role="viewer", password=None, actor=ADMIN)
    assert [u.name for u in users.list_users(engine=engine)] == ["ann"]
    init_db(engine)  # once more: nothing left to do
    assert schema_version(engine) == db.SCHEMA_VERSION
