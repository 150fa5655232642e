"""A version-3 store (before manual jobs were labelled in LabelDeck) is upgraded in place: its samples count as
labelled, its jobs keep everything, and labelling works on it."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

from core.jobs import ingest
from core.jobs.expert_labels import list_samples
from core.jobs.manual import create_manual_job
from core.jobs.submit import submit_job
from core.store import db
from core.store.db import init_db, make_engine, schema_version
from tests.builders import ADMIN, as_admin, as_reviewer, job_rows, write_detection_job
from tests.manual_builders import animals_spec, label_like_the_expert_file

# On PostgreSQL: a schema without tables, as a new or an old store has it.
pytestmark = pytest.mark.bare_store

NEW_COLUMNS = {"sample": ["labelled_at", "labelled_by", "label_status"], "labeljob": ["submitted_by", "submitted_at"]}


def test_a_version_3_store_gains_labelling_status_and_keeps_its_jobs(store_url, tmp_path):
    assert db.SCHEMA_VERSION >= 4  # this test covers the 3 → 4 step (the later ones find their work done)
    engine = make_engine(store_url)
    init_db(engine)
    files = write_detection_job(tmp_path / "in")
    old = ingest.import_detection(
        actor=ADMIN,
        engine=engine,
        name="old",
        images_dir=files.images_dir,
        pre_path=files.pre_path,
        expert_path=files.expert_path,
    )
    kept = job_rows(engine, old.id)
    with engine.begin() as conn:  # back to version 3: no annotation table, sample and labeljob without the columns
        conn.execute(text("DROP TABLE annotation"))
        for table, columns in NEW_COLUMNS.items():
            for column in columns:
                conn.execute(text(f"ALTER TABLE {table} DROP COLUMN {column}"))
        conn.execute(text("UPDATE schemaversion SET version = 3"))
    assert "label_status" not in {c["name"] for c in inspect(engine).get_columns("sample")}

    init_db(engine)

    assert schema_version(engine) == db.SCHEMA_VERSION
    for table, columns in NEW_COLUMNS.items():
        assert set(columns) <= {c["name"] for c in inspect(engine).get_columns(table)}
    assert "annotation" in inspect(engine).get_table_names()
    assert job_rows(engine, old.id) == kept  # the new columns read as an imported job's: labelled, never submitted
    assert list_samples(engine=engine, job_id=old.id)["label_status"].to_list() == ["labelled", "labelled"]
    # labelling works on the upgraded store, and so do imports
    job = create_manual_job(
        engine=engine,
        name="new",
        spec_id=animals_spec(engine).id,
        images_dir=files.images_dir,
        pre_labels=("coco", files.pre_path),
        actor=as_admin("lead"),
    )
    label_like_the_expert_file(engine, job.id)
    assert submit_job(engine=engine, job_id=job.id, actor=as_reviewer("ada")).result_count == 6
    again = ingest.import_detection(
        actor=ADMIN,
        engine=engine,
        name="again",
        images_dir=files.images_dir,
        pre_path=files.pre_path,
        expert_path=files.expert_path,
    )
    assert list_samples(engine=engine, job_id=again.id)["label_status"].to_list() == ["labelled", "labelled"]
    engine.dispose()


def test_the_step_leaves_columns_that_are_already_there(store_url, tmp_path):
    engine = make_engine(store_url)
    init_db(engine)
    files = write_detection_job(tmp_path / "in")
    job = ingest.import_detection(
        actor=ADMIN,
        engine=engine,
        name="current",
        images_dir=files.images_dir,
        pre_path=files.pre_path,
        expert_path=files.expert_path,
    )

    def layout() -> dict[str, list[tuple[str, str, bool]]]:
        found = inspect(engine)
        return {
            table: [(c["name"], str(c["type"]), c["nullable"]) for c in found.get_columns(table)]
            for table in sorted(found.get_table_names())
        }

    tables, rows = layout(), job_rows(engine, job.id)
    samples = list_samples(engine=engine, job_id=job.id)["label_status"].to_list()
    with engine.begin() as conn:
        db.UPGRADES[3](conn)  # a current store: nothing to add, nothing fails

    assert layout() == tables  # no column added, dropped or changed, no table made or lost
    assert "annotation" in tables and all(set(cols) <= {c[0] for c in tables[t]} for t, cols in NEW_COLUMNS.items())
    assert job_rows(engine, job.id) == rows  # the job's rows as they were
    assert list_samples(engine=engine, job_id=job.id)["label_status"].to_list() == samples == ["labelled"] * 2
    assert schema_version(engine) == db.SCHEMA_VERSION
    engine.dispose()
