"""A store that is busy (another writer holds SQLite's lock past the busy timeout) or unreachable (PostgreSQL down)
gives a clear message and a Retry button, not a traceback; the action changed nothing and the reviewer's picks are
kept, so retrying does what was meant."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from streamlit.testing.v1 import AppTest

from core.settings import get_settings
from core.store import db
from core.store.db import get_engine, make_engine, store_unavailable
from tests.app.review_helpers import events, open_visualize, store  # noqa: F401  (store: the fixture)
from tests.app.visualize_helpers import APP, pick, tab_labels, tile_ids
from tests.store_locks import sqlite_write_lock

UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/labeldeck"  # nothing listens on port 1


def test_a_locked_sqlite_store_and_an_unreachable_postgresql_are_told_apart(tmp_path, monkeypatch):
    monkeypatch.setattr(db, "WRITE_LOCK_TIMEOUT_S", 0.2)  # the writer below gives up after 0.2 s, not 30
    path = tmp_path / "s.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA journal_mode=WAL")  # as every LabelDeck store is: the writer below waits for the lock only
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN IMMEDIATE")
    engine = make_engine(f"sqlite:///{path}")
    with (
        pytest.raises(OperationalError) as busy,
        engine.connect().execution_options(**{"labeldeck_write": True}) as conn,
    ):
        conn.execute(text("INSERT INTO t VALUES (1)"))
    assert store_unavailable(busy.value).startswith(
        "The store is busy: another writer (an import, or a large review action) holds it. Nothing was changed"
    )
    holder.execute("ROLLBACK")

    with pytest.raises(OperationalError) as down:
        make_engine(UNREACHABLE).connect()
    assert store_unavailable(down.value).startswith("The store cannot be reached. Nothing was changed")
    assert store_unavailable(ValueError("a bug")) is None  # anything else is not hidden


def test_a_page_over_an_unreachable_store_says_so_with_a_retry_button(monkeypatch):
    monkeypatch.setenv("LABELDECK_DATABASE_URL", UNREACHABLE)
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    assert not at.exception
    assert at.error[0].value.startswith("The store cannot be reached. Nothing was changed; try again once it is back.")
    assert at.button(key="store_retry_True").label == "Retry"


@contextmanager
def write_lock_held(url: str, job_id: int) -> Iterator[None]:
    """Another writer holding what a review action of the job needs: SQLite's write lock (an import), or the
    job's row on PostgreSQL (another review action)."""
    if url.startswith("sqlite"):
        with sqlite_write_lock(url):
            yield
        return
    other = create_engine(url)
    with other.connect() as conn:
        conn.execute(text("SELECT id FROM labeljob WHERE id = :id FOR UPDATE"), {"id": job_id})
        try:
            yield
        finally:
            conn.rollback()
    other.dispose()


def test_a_review_action_on_a_busy_store_changes_nothing_and_keeps_the_picks(store, monkeypatch):  # noqa: F811
    street = store["street-scenes"]
    monkeypatch.setattr(db, "WRITE_LOCK_TIMEOUT_S", 0.2)
    get_engine.cache_clear()  # the page's engine waits 0.2 s for a lock, not 30
    at = open_visualize(street, page_size="12")
    picked = tile_ids(at)[:2]
    for result_id in picked:
        pick(at, result_id)
    assert at.button(key="bulk_accepted").label == "Accept 2 picked"

    with write_lock_held(get_settings().database_url, street):
        at.button(key="bulk_accepted").click().run()
        assert not at.exception
        assert at.error[0].value.startswith("The store is busy")
    assert events(street) == [] and tab_labels(at) == ["Pending Review 43", "Accepted 0", "Rejected 0"]

    at.button(key="store_retry_True").click().run()  # the page again, the picks still ticked
    assert at.button(key="bulk_accepted").label == "Accept 2 picked"
    at.button(key="bulk_accepted").click().run()
    assert [(e.to_state, sorted(e.result_ids)) for e in events(street)] == [("accepted", sorted(picked))]
