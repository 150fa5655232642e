"""The store keeps its schema version and its integrity on SQLite and PostgreSQL: the version is recorded and
init_db is idempotent, a store newer than the code is refused, deleting a job cascades to its samples and results,
foreign keys are enforced, and a file path is unique within a job."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from core.jobs.lookup import get_job
from core.store.db import SCHEMA_VERSION, StoreError, init_db, schema_version
from tests.builders import job_rows, table_counts
from tests.store.import_store_helpers import import_fruit, import_standard

# ---- schema and integrity --------------------------------------------------------------------------------------


def test_schema_version_is_recorded_and_init_db_is_idempotent(engine, tmp_path):
    assert schema_version(engine) == SCHEMA_VERSION
    job = import_standard(engine, tmp_path / "in")
    before = table_counts(engine)
    init_db(engine)
    init_db(engine)
    assert schema_version(engine) == SCHEMA_VERSION
    assert table_counts(engine) == before and before["schemaversion"] == 1
    assert get_job(engine, job.id).name == "street"


def test_a_store_newer_than_the_code_is_refused(engine):
    with engine.begin() as conn:
        conn.execute(text("UPDATE schemaversion SET version = :v"), {"v": SCHEMA_VERSION + 1})
    with pytest.raises(StoreError, match="newer than this LabelDeck"):
        init_db(engine)


def test_deleting_a_job_cascades_to_its_samples_and_results(engine, tmp_path):
    street = import_standard(engine, tmp_path / "street")
    fruit = import_fruit(engine, tmp_path / "fruit")
    fruit_rows = job_rows(engine, fruit.id)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM labeljob WHERE id = :id"), {"id": street.id})
    assert job_rows(engine, street.id) == {"labeljob": [], "sample": [], "result": [], "reviewstate": []}
    assert job_rows(engine, fruit.id) == fruit_rows
    counts = table_counts(engine)
    assert (counts["sample"], counts["result"]) == (4, 4)


def test_foreign_keys_are_enforced(engine, tmp_path):
    job = import_standard(engine, tmp_path / "in")
    with pytest.raises(IntegrityError):
        with engine.begin() as conn:
            conn.execute(
                text(  # a result's job is a foreign key (its sample and classes are not: models.Result)
                    "INSERT INTO result (job_id, sample_id, class_changed, change_kind) "
                    "VALUES (999999, :sample, false, 'added')"
                ),
                {"sample": conn.execute(text("SELECT MIN(id) FROM sample WHERE job_id = :j"), {"j": job.id}).scalar()},
            )
    with pytest.raises(IntegrityError):
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO sample (job_id, file_path, width, height) VALUES (999999, 'x.png', 1, 1)"))
    assert table_counts(engine)["result"] == 6


def test_a_file_path_is_unique_within_a_job(engine, tmp_path):
    job = import_standard(engine, tmp_path / "in")
    with pytest.raises(IntegrityError):
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO sample (job_id, file_path, width, height) VALUES (:j, 'a.png', 1, 1)"), {"j": job.id}
            )
