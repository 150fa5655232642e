"""Operations: `python -m core health` (store answers at this schema version, data folder writable) and `python -m
core backup` (a consistent copy of the SQLite store while it serves)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from core import cli
from core.domain.errors import BadInput
from core.ops.backup import backup_sqlite
from core.ops.health import health
from core.review import decisions as review
from core.settings import load_settings
from core.store.db import SCHEMA_VERSION, get_engine
from tests.builders import as_reviewer, job_rows
from tests.resultset_builders import import_catalog_job, result_ids

UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/labeldeck"


def settings_for(url: str, data_dir) -> object:
    return load_settings({"LABELDECK_DATABASE_URL": url, "LABELDECK_DATA_DIR": str(data_dir)})


def test_a_ready_store_and_folder_are_healthy(store_url, engine, data_dir, capsys):
    checks = health(settings_for(store_url, data_dir))
    assert [(c.name, c.ok) for c in checks] == [("store", True), ("data folder", True)]
    assert checks[0].detail.endswith(f"schema version {SCHEMA_VERSION}")
    assert cli.main(["health", "--db", store_url]) == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True


def test_what_is_wrong_is_named(tmp_path, data_dir, capsys):
    missing = f"sqlite:///{tmp_path / 'nothing.db'}"
    (store,) = [c for c in health(settings_for(missing, data_dir)) if c.name == "store"]
    assert not store.ok and "no store file yet" in store.detail
    assert not (tmp_path / "nothing.db").exists()  # a health check creates nothing

    (store,) = [c for c in health(settings_for(UNREACHABLE, data_dir)) if c.name == "store"]
    assert not store.ok and store.detail.startswith("unreachable: ") and "Connection refused" in store.detail

    old = f"sqlite:///{tmp_path / 'old.db'}"
    get_engine(old)
    with get_engine(old).begin() as conn:
        conn.execute(text("UPDATE schemaversion SET version = 4"))
    (store,) = [c for c in health(settings_for(old, data_dir)) if c.name == "store"]
    assert not store.ok and f"schema version 4, this LabelDeck wants {SCHEMA_VERSION}" in store.detail

    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    (folder,) = [c for c in health(settings_for(old, blocked / "data")) if c.name == "data folder"]
    assert not folder.ok and "is not writable" in folder.detail
    assert cli.main(["health", "--db", UNREACHABLE]) == 1
    assert json.loads(capsys.readouterr().out)["ok"] is False


def test_a_backup_holds_what_was_committed_while_a_writer_is_busy(sqlite_engine, data_dir, tmp_path):
    job = import_catalog_job(sqlite_engine, tmp_path / "job")
    ids = result_ids(sqlite_engine, job.id)
    review.accept(
        engine=sqlite_engine, job_id=job.id, result_ids=ids[:3], from_state="pending", actor=as_reviewer("ann")
    )
    committed = job_rows(sqlite_engine, job.id)
    writer = sqlite3.connect(data_dir / "labeldeck.db", isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # a review action in flight, not committed
    writer.execute("UPDATE reviewstate SET state = 'rejected'")

    out = backup_sqlite(url=str(sqlite_engine.url), out=tmp_path)
    writer.execute("ROLLBACK")
    writer.close()
    assert out == tmp_path / "labeldeck.db" and not list(tmp_path.glob(".*.partial"))
    assert job_rows(get_engine(f"sqlite:///{out}"), job.id) == committed


@pytest.mark.parametrize(
    ("url", "out", "message"),
    [
        (UNREACHABLE, "backup.db", "for PostgreSQL use pg_dump"),
        ("sqlite:///{data}/labeldeck.db", "{data}/labeldeck.db", "that is the store itself"),
        ("sqlite:///{data}/labeldeck.db", "{tmp}/no/such/folder/b.db", "does not exist"),
        ("sqlite:///{tmp}/none.db", "b.db", "no store file to back up"),
    ],
)
def test_a_backup_that_cannot_be_made_is_refused(sqlite_engine, data_dir, tmp_path, url, out, message):
    target = Path(out.format(data=data_dir, tmp=tmp_path)) if "{" in out else tmp_path / out
    with pytest.raises(BadInput, match=message):
        backup_sqlite(url=url.format(data=data_dir, tmp=tmp_path), out=target)
