"""Schema version and the step-by-step upgrade path, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from core.store import db
from core.store.db import StoreError, init_db, make_engine, schema_version

# On PostgreSQL: a schema without tables, as a new or an old store has it.
pytestmark = pytest.mark.bare_store


def test_a_new_store_is_at_the_current_version(store_url):
    engine = make_engine(store_url)
    init_db(engine)
    init_db(engine)  # idempotent
    assert schema_version(engine) == db.SCHEMA_VERSION
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM schemaversion")).scalar_one() == 1
    engine.dispose()


def test_an_older_store_is_upgraded_step_by_step(store_url, monkeypatch):
    engine = make_engine(store_url)
    init_db(engine)
    ran: list[int] = []

    def add_note_column(conn):
        ran.append(1)
        conn.execute(text("ALTER TABLE labeljob ADD COLUMN upgrade_note VARCHAR"))

    monkeypatch.setattr(db, "SCHEMA_VERSION", db.SCHEMA_VERSION + 1)
    monkeypatch.setitem(db.UPGRADES, db.SCHEMA_VERSION - 1, add_note_column)
    init_db(engine)
    init_db(engine)
    assert ran == [1]
    assert schema_version(engine) == db.SCHEMA_VERSION
    with engine.connect() as conn:
        conn.execute(text("SELECT upgrade_note FROM labeljob"))
    engine.dispose()


def test_a_store_newer_than_the_code_is_refused(store_url):
    engine = make_engine(store_url)
    init_db(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE schemaversion SET version = :v"), {"v": db.SCHEMA_VERSION + 5})
    with pytest.raises(StoreError, match="newer than this LabelDeck"):
        init_db(engine)
    engine.dispose()


def test_sqlite_runs_in_wal_mode_with_foreign_keys(data_dir):
    engine = make_engine(f"sqlite:///{data_dir / 'wal.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
    engine.dispose()
