"""A version-5 store (before rework jobs) is upgraded in place: its jobs and events gain the links, read as "no
origin" and "no rework", and a rework round trip works on it."""

from __future__ import annotations

import pytest
from sqlalchemy import MetaData, Table, inspect, text
from sqlmodel import SQLModel

from core.jobs import ingest
from core.jobs.expert_labels import save_expert_label
from core.jobs.lookup import get_job
from core.jobs.rework import create_rework_job
from core.jobs.submit import submit_job
from core.review import decisions as review
from core.store import db
from core.store.db import init_db, make_engine, schema_version
from tests.builders import ADMIN, as_reviewer, write_detection_job
from tests.manual_builders import sample_ids

# On PostgreSQL: a schema without tables, as a new or an old store has it.
pytestmark = pytest.mark.bare_store

NEW_COLUMNS = {"labeljob": "origin_job_id", "reviewevent": "rework_job_id"}


def version_5_tables() -> MetaData:
    """The tables as version 5 had them (SQLite cannot drop a column with a foreign key, so the old store is built,
    not cut down)."""
    old = MetaData()
    for table in SQLModel.metadata.sorted_tables:
        if table.name != "reworkitem":
            Table(table.name, old, *[c._copy() for c in table.columns if c.name != NEW_COLUMNS.get(table.name)])
    return old


def test_a_version_5_store_gains_the_rework_links(store_url, tmp_path):
    assert db.SCHEMA_VERSION >= 6
    engine = make_engine(store_url)
    version_5_tables().create_all(engine)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO schemaversion (id, version, upgraded_at) VALUES (1, 5, CURRENT_TIMESTAMP)"))
        conn.execute(
            text("INSERT INTO labelspec (name, task, created_at) VALUES ('old', 'detection', CURRENT_TIMESTAMP)")
        )
        conn.execute(
            text(
                "INSERT INTO labeljob (name, kind, task, tag, status, spec_id, image_root, pre_label_source, "
                "iou_threshold, image_count, result_count, data_revision, review_revision, created_by, created_at) "
                "SELECT 'old', 'manual', 'detection', 'M-LA-OD', 'READY', id, '/x', 'none', 0.5, 0, 0, 1, 0, 'me', "
                "CURRENT_TIMESTAMP FROM labelspec"
            )
        )
    assert "origin_job_id" not in {c["name"] for c in inspect(engine).get_columns("labeljob")}

    init_db(engine)

    assert schema_version(engine) == db.SCHEMA_VERSION
    for table, column in NEW_COLUMNS.items():
        assert column in {c["name"] for c in inspect(engine).get_columns(table)}
    assert "reworkitem" in inspect(engine).get_table_names()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT name, origin_job_id FROM labeljob")).all() == [("old", None)]
    # a rework round trip on the upgraded store
    files = write_detection_job(tmp_path / "in")
    job = ingest.import_detection(
        actor=ADMIN,
        engine=engine,
        name="street",
        images_dir=files.images_dir,
        pre_path=files.pre_path,
        expert_path=files.expert_path,
    )
    with engine.connect() as conn:
        added = conn.execute(
            text("SELECT id FROM result WHERE job_id = :j AND change_kind = 'added'"), {"j": job.id}
        ).scalar_one()
    review.reject(engine=engine, job_id=job.id, result_ids=[added], from_state="pending", actor=as_reviewer("rita"))
    rework = create_rework_job(engine=engine, job_id=job.id, name="rework", actor=as_reviewer("rita")).job
    [sample] = sample_ids(engine, rework.id).values()
    save_expert_label(engine=engine, job_id=rework.id, sample_id=sample, actor=as_reviewer("ada"), boxes=[])
    submit_job(engine=engine, job_id=rework.id, actor=as_reviewer("ada"))
    assert get_job(engine, job.id).result_count == 5  # the bird was not there
    with engine.begin() as conn:
        db.UPGRADES[5](conn)  # again, on a store that has the columns: nothing to add, nothing fails
    engine.dispose()
