"""App servers starting together on one empty store (issue 14: several replicas against one PostgreSQL): each calls
init_db at once; one creates the schema, the others wait and find it done. SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from core.store import db
from core.store.db import init_db, schema_version

# On PostgreSQL: a schema without tables, as a new or an old store has it.
pytestmark = pytest.mark.bare_store


def test_four_servers_initialising_one_empty_store_at_once_all_succeed(store_url):
    _four_servers_start_together(store_url)


def test_four_servers_on_a_new_sqlite_file_never_meet_a_locked_database(tmp_path):
    """Switching a new SQLite file to WAL fails at once, without the busy timeout, while another connection has it
    open: one round in three failed so before the switch waited its turn; ten rounds found it nearly every time."""
    for round_ in range(10):
        _four_servers_start_together(f"sqlite:///{tmp_path / f'round{round_}.db'}")


def _four_servers_start_together(store_url: str) -> None:
    engines = [db.make_engine(store_url) for _ in range(4)]  # separate pools, as separate processes have
    barrier = threading.Barrier(len(engines), timeout=30)
    failures: list[BaseException] = []

    def start(engine) -> None:
        barrier.wait()
        try:
            init_db(engine)
        except BaseException as exc:  # noqa: BLE001 - reported below, with the others
            failures.append(exc)

    threads = [threading.Thread(target=start, args=(engine,)) for engine in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
    assert all(schema_version(engine) == db.SCHEMA_VERSION for engine in engines)
    with engines[0].connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM schemaversion")).scalar() == 1
    for engine in engines:
        engine.dispose()
