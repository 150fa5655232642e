"""Two writers (issue 11, finding 6): every command that writes waits for another writer's lock as a review action
does (up to WRITE_LOCK_TIMEOUT_S) and then does its work; held past that, it fails with the store's "busy"
message and exit 2, having written nothing. In-process CLI, SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from core import cli
from core.jobs.summaries import list_jobs
from core.store import db
from core.store.db import get_engine
from tests.builders import table_counts, write_detection_job
from tests.store.test_datalog import resultset  # noqa: F401  (the fixture: the catalog job's accepted results)
from tests.store_locks import sqlite_write_lock
from tests.unit.test_cli import import_detection_args


def import_auto_args(root: Path, name: str) -> list[str]:
    files = write_detection_job(root)
    return [
        "import-auto",
        "--name",
        name,
        "--images",
        str(files.images_dir),
        "--predictions",
        str(files.expert_path),
        "--quiet",
    ]


IMPORTS = {"import": import_detection_args, "import-auto": import_auto_args}


@contextmanager
def _lock(url: str) -> Iterator[None]:
    """What another writer holds: SQLite's write lock (an import's BEGIN IMMEDIATE), or on PostgreSQL the job
    table in EXCLUSIVE mode (reads go on; inserting a job, locking one or checking a key against one waits)."""
    if url.startswith("sqlite"):
        with sqlite_write_lock(url):
            yield
        return
    other = create_engine(url)
    try:
        with other.connect() as conn:
            conn.execute(text("LOCK TABLE labeljob IN EXCLUSIVE MODE"))
            try:
                yield
            finally:
                conn.rollback()
    finally:
        other.dispose()


class OtherWriter:
    """Holds the store from a thread of its own for `seconds`, or until the with-block ends if that is sooner.
    `released_at` (time.monotonic()) is set just before the lock goes."""

    def __init__(self, url: str, *, seconds: float) -> None:
        self.url, self.seconds = url, seconds
        self.released_at: float | None = None
        self._held, self._stop = threading.Event(), threading.Event()
        self._thread = threading.Thread(target=self._hold, daemon=True)

    def _hold(self) -> None:
        with _lock(self.url):
            self._held.set()
            self._stop.wait(self.seconds)
            self.released_at = time.monotonic()

    def __enter__(self) -> OtherWriter:
        self._thread.start()
        assert self._held.wait(10), "the other writer never got the lock"
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join(10)


@pytest.mark.parametrize("command", list(IMPORTS))
def test_an_import_waits_for_another_writer_and_then_succeeds(engine, store_url, tmp_path, capsys, command):
    args = IMPORTS[command](tmp_path / "in", "waited")
    with OtherWriter(store_url, seconds=2.0) as other:
        rc = cli.main([*args, "--db", store_url])
        finished_at = time.monotonic()
    assert rc == 0, capsys.readouterr().err
    assert other.released_at is not None and finished_at > other.released_at  # it waited, it did not go around
    assert [j.name for j in list_jobs(engine=engine)] == ["waited"]


# Each: (the ResultSet of the `resultset` fixture, a folder for input files) -> the command's arguments.
WRITERS = {
    "import": lambda _rs, root: import_detection_args(root, "refused"),
    "import-auto": lambda _rs, root: import_auto_args(root, "refused"),
    "resultset create": lambda rs, _root: ["resultset", "create", str(rs.job_id), "--name", "second"],
    "export --table": lambda rs, _root: ["export", str(rs.id), "--table", "held_labels"],
}


@pytest.mark.parametrize("command", list(WRITERS))
def test_a_writer_held_up_past_the_timeout_says_the_store_is_busy_exits_2_and_writes_nothing(
    engine,
    store_url,
    resultset,
    tmp_path,
    capsys,
    monkeypatch,
    command,  # noqa: F811
):
    args = WRITERS[command](resultset, tmp_path / "in")
    monkeypatch.setattr(db, "WRITE_LOCK_TIMEOUT_S", 0.5)
    get_engine.cache_clear()  # the CLI's engine: SQLite's busy timeout is set when it connects
    before = table_counts(engine)
    with OtherWriter(store_url, seconds=8.0) as other:
        rc = cli.main([*args, "--db", store_url])
        gave_up_while_held = other.released_at is None
    err = capsys.readouterr().err
    assert rc == 2, err
    assert (
        "error: The store is busy: another writer (an import, or a large review action) holds it. Nothing was "
        "changed; try again in a moment."
    ) in err
    assert gave_up_while_held
    assert table_counts(engine) == before
    assert "held_labels" not in inspect(engine).get_table_names()
