"""Engine, schema creation and upgrades. SQLite by default, PostgreSQL when the URL names one."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Connection, Engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, SQLModel, create_engine, select

from core.settings import get_settings
from core.store import models
from core.store.schema_version import SCHEMA_VERSION

# Each step upgrades a store from version N to N+1 inside one transaction; append, never edit, and bump
# SCHEMA_VERSION (core/store/schema_version.py) with it.
# New tables need no step: init_db's create_all makes them before the steps run.
UPGRADES: dict[int, Callable[[Connection], None]] = {}


def _resultset_items_keep_their_reviewer(conn: Connection) -> None:
    """1 → 2 (issue 4): a ResultSet item records who accepted its result; the datalogtable registry is new."""
    conn.execute(text("ALTER TABLE resultsetitem ADD COLUMN reviewed_by VARCHAR"))


UPGRADES[1] = _resultset_items_keep_their_reviewer


def _review_events_record_undo_and_mixed_states(conn: Connection) -> None:
    """2 → 3 (issue 4): an event may name the event it undoes (at most once), and a move that left (or an undo that
    restored) several states keeps each result's state in from_states (to_states), its to_state then NULL."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("ALTER TABLE reviewevent ALTER COLUMN to_state DROP NOT NULL"))
        conn.execute(text("ALTER TABLE reviewevent ADD COLUMN from_states JSON"))
        conn.execute(text("ALTER TABLE reviewevent ADD COLUMN to_states JSON"))
        conn.execute(
            text(
                "ALTER TABLE reviewevent ADD COLUMN undoes_event_id INTEGER "
                "REFERENCES reviewevent (id) ON DELETE CASCADE"
            )
        )
    else:  # SQLite cannot drop a NOT NULL: rebuild the table (no other table references it)
        kept = "id, job_id, reviewer, created_at, from_state, to_state, result_count, result_ids, reason, selection"
        conn.execute(text("ALTER TABLE reviewevent RENAME TO reviewevent_v2"))
        conn.execute(text("DROP INDEX ix_reviewevent_job_id"))
        conn.execute(
            text(
                "CREATE TABLE reviewevent (id INTEGER NOT NULL, job_id INTEGER NOT NULL, reviewer VARCHAR NOT NULL, "
                "created_at DATETIME NOT NULL, from_state VARCHAR, to_state VARCHAR, result_count INTEGER NOT NULL, "
                "result_ids JSON NOT NULL, from_states JSON, to_states JSON, undoes_event_id INTEGER, reason VARCHAR, "
                "selection JSON NOT NULL, PRIMARY KEY (id), "
                "FOREIGN KEY(job_id) REFERENCES labeljob (id) ON DELETE CASCADE, "
                "FOREIGN KEY(undoes_event_id) REFERENCES reviewevent (id) ON DELETE CASCADE)"
            )
        )
        conn.execute(text("CREATE INDEX ix_reviewevent_job_id ON reviewevent (job_id)"))
        conn.execute(text(f"INSERT INTO reviewevent ({kept}) SELECT {kept} FROM reviewevent_v2"))
        conn.execute(text("DROP TABLE reviewevent_v2"))
    conn.execute(text("CREATE UNIQUE INDEX ix_reviewevent_undoes_event_id ON reviewevent (undoes_event_id)"))


UPGRADES[2] = _review_events_record_undo_and_mixed_states


def _samples_carry_their_labelling_status(conn: Connection) -> None:
    """3 → 4 (issue 5): manual jobs are labelled in LabelDeck. A sample records its labelling status (an imported
    job's samples are all labelled) and who labelled it when; a job who submitted it when. The annotation table
    is new. Columns that are already there are left alone."""
    timestamp = "TIMESTAMP WITH TIME ZONE" if conn.dialect.name == "postgresql" else "DATETIME"
    wanted = {
        "sample": [
            ("label_status", "VARCHAR NOT NULL DEFAULT 'labelled'"),
            ("labelled_by", "VARCHAR"),
            ("labelled_at", timestamp),
        ],
        "labeljob": [("submitted_by", "VARCHAR"), ("submitted_at", timestamp)],
    }
    _add_missing_columns(conn, wanted)


def _add_missing_columns(conn: Connection, wanted: dict[str, list[tuple[str, str]]]) -> None:
    """ALTER TABLE ... ADD COLUMN for each (name, DDL) a table lacks: a step stays safe to run on a store that
    has some of its columns already."""
    inspector = inspect(conn)
    for table, columns in wanted.items():
        present = {c["name"] for c in inspector.get_columns(table)}
        for name, ddl in columns:
            if name not in present:
                conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {name} {ddl}"))


UPGRADES[3] = _samples_carry_their_labelling_status


def _results_keep_only_the_review_state_index(conn: Connection) -> None:
    """4 → 5 (issue 6): the filter-column indexes of result go (no query uses them; each slowed every bulk review
    action); the appuser table is new."""
    for name in (
        "ix_result_job_class_changed",
        "ix_result_job_change_kind",
        "ix_result_job_area",
        "ix_result_job_factor",
    ):
        conn.execute(text(f"DROP INDEX IF EXISTS {name}"))


UPGRADES[4] = _results_keep_only_the_review_state_index


def _rework_jobs_link_to_their_origin(conn: Connection) -> None:
    """5 → 6 (issue 12): a rework job names its origin job, a review event the rework job it sent results to or
    brought them back from; the reworkitem table is new. Columns that are already there are left alone."""
    wanted = {
        "labeljob": [("origin_job_id", "INTEGER REFERENCES labeljob (id) ON DELETE SET NULL")],
        "reviewevent": [("rework_job_id", "INTEGER")],
    }
    _add_missing_columns(conn, wanted)


UPGRADES[5] = _rework_jobs_link_to_their_origin


def _resultsets_count_their_complete_images(conn: Connection) -> None:
    """6 → 7 (issue 12): a ResultSet counts its complete and partial images when saved. The columns only: the
    next step records each ResultSet's images and fills them."""
    _add_missing_columns(conn, {"resultset": [("complete_images", "INTEGER"), ("partial_images", "INTEGER")]})


UPGRADES[6] = _resultsets_count_their_complete_images


def _resultsets_record_their_complete_images(conn: Connection) -> None:
    """7 → 8 (issue 12): a ResultSet records per image whether it was complete when saved (the resultsetimage
    table, new). A ResultSet saved before is recorded now by the same rule, and its counts with it: the same as
    when it was saved, short of a rework since. A datalog table counts the partial images it left out (a column;
    unknown, so null, for tables exported before)."""
    from core.exports.completeness import record_images  # core.exports imports this module

    _add_missing_columns(conn, {"datalogtable": [("left_out_images", "INTEGER")]})
    unrecorded = (
        conn.execute(
            text(
                "SELECT id FROM resultset r WHERE NOT EXISTS (SELECT 1 FROM resultsetimage i WHERE i.resultset_id = r.id)"
            )
        )
        .scalars()
        .all()
    )
    for resultset_id in unrecorded:  # a few per job
        complete, partial = record_images(conn, resultset_id=resultset_id)
        conn.execute(
            text("UPDATE resultset SET complete_images = :c, partial_images = :p WHERE id = :id"),
            {"c": complete, "p": partial, "id": resultset_id},
        )


UPGRADES[7] = _resultsets_record_their_complete_images


def _review_states_move_to_a_table_of_their_own(conn: Connection) -> None:
    """8 → 9 (issue 14): a result's review decision moves from three columns of the wide result row to the narrow
    reviewstate table (new), a row per result that is not pending, so a review action writes a few bytes and two
    small indexes instead of rewriting result rows and their index. The result table keeps an index on job_id.
    On PostgreSQL it loses its foreign keys to sample and labelclass, which slowed every import's COPY (SQLite
    cannot drop a constraint short of rebuilding the table: an older SQLite store keeps them, and is as before)."""
    if conn.dialect.name == "postgresql":
        for key in inspect(conn).get_foreign_keys("result"):
            if key["referred_table"] in ("sample", "labelclass") and key.get("name"):
                conn.execute(text(f'ALTER TABLE result DROP CONSTRAINT "{key["name"]}"'))
    if "review_state" in {c["name"] for c in inspect(conn).get_columns("result")}:
        conn.execute(
            text("""
            INSERT INTO reviewstate (result_id, job_id, state, reviewed_by, reviewed_at)
            SELECT id, job_id, review_state, reviewed_by, reviewed_at FROM result WHERE review_state <> 'pending'
        """)
        )
        conn.execute(text("DROP INDEX IF EXISTS ix_result_job_state"))  # SQLite drops no column an index names
        for column in ("review_state", "reviewed_by", "reviewed_at"):
            conn.execute(text(f"ALTER TABLE result DROP COLUMN {column}"))
    conn.execute(text("CREATE INDEX IF NOT EXISTS ix_result_job ON result (job_id)"))


UPGRADES[8] = _review_states_move_to_a_table_of_their_own


class StoreError(Exception):
    """The store cannot be used as asked (unreachable, newer than this code, ...)."""


# How long a writer waits for another writer's lock (an import holds SQLite's for its whole transaction; a review
# action holds its job's row on PostgreSQL) before it gives up and the page says the store is busy.
WRITE_LOCK_TIMEOUT_S = 30.0

_BUSY = (
    "database is locked",
    "database table is locked",
    "database is busy",
    "lock timeout",
    "could not obtain lock",
    "deadlock detected",
)
_UNREACHABLE = (
    "connection refused",
    "could not connect",
    "connection to server",
    "server closed the connection",
    "terminating connection",
    "unable to open database file",
    "no such host",
    "timeout expired",
    "connection is closed",
    "the database system is",
)


def store_problem(exc: BaseException) -> tuple[str, str] | None:
    """("busy" | "unreachable", the driver's first line) for a store that is locked or cannot be reached, else
    None (anything else is a bug: let it surface)."""
    if not isinstance(exc, DBAPIError):
        return None
    lines = str(exc.orig if exc.orig is not None else exc).strip().splitlines()
    detail, lowered = (lines[0] if lines else ""), str(exc).lower()
    if any(marker in lowered for marker in _BUSY):
        return "busy", detail
    if exc.connection_invalidated or any(marker in lowered for marker in _UNREACHABLE):
        return "unreachable", detail
    return None


def store_unavailable(exc: BaseException) -> str | None:
    """What to tell the user when the store is busy or cannot be reached, else None. Every service writes in one
    transaction, so after either the action changed nothing and can be retried."""
    problem = store_problem(exc)
    if problem is None:
        return None
    kind, detail = problem
    if kind == "busy":
        return (
            "The store is busy: another writer (an import, or a large review action) holds it. Nothing was "
            f"changed; try again in a moment. ({detail})"
        )
    return f"The store cannot be reached. Nothing was changed; try again once it is back. ({detail})"


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": WRITE_LOCK_TIMEOUT_S})
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own transaction handling defers BEGIN; take it over so a transaction covers reads too.
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    # pre-ping: a connection the server dropped (restart, failover) is replaced, not handed to a page.
    return create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 10})


def _sqlite_begin(conn: Connection) -> None:
    # A writer that starts with a read holds a snapshot: when another writer commits first, upgrading its lock fails
    # at once with SQLITE_BUSY (the busy timeout cannot help). IMMEDIATE takes the write lock up front, so writers
    # queue on the timeout instead (see write_transaction).
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITE_OPTION) else "BEGIN")


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    _enter_wal_mode(cursor)
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _enter_wal_mode(cursor: sqlite3.Cursor) -> None:
    """WAL is a property of the file, set by the first connection. Switching a new file to it needs the file to
    itself, and SQLite answers "database is locked" at once, without its busy timeout, when another connection
    (a second server starting on the same empty store) has it open: wait and try again, as the timeout would."""
    deadline = time.monotonic() + WRITE_LOCK_TIMEOUT_S
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def init_db(engine: Engine) -> None:
    """Create a new store at the current version, or upgrade an older one step by step. Replicas starting together
    on one PostgreSQL store take turns (an advisory lock): one creates or upgrades, the others find it done."""
    if _stored_version(engine) == SCHEMA_VERSION:  # every command and page starts here: only a store that needs
        SQLModel.metadata.create_all(engine)  # writing waits (create_all only checks that each table is there)
        return
    with write_connection(engine) as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK_KEY})
        SQLModel.metadata.create_all(conn)
        version = conn.execute(text("SELECT version FROM schemaversion WHERE id = 1")).scalar()
        if version is not None and version > SCHEMA_VERSION:
            raise StoreError(f"the store is at schema version {version}, newer than this LabelDeck ({SCHEMA_VERSION})")
        if version is None:
            conn.execute(
                models.table_of(models.SchemaVersion)
                .insert()
                .values(id=1, version=SCHEMA_VERSION, upgraded_at=models.utcnow())
            )
            return
        while version < SCHEMA_VERSION:
            UPGRADES[version](conn)
            version += 1
            conn.execute(text("UPDATE schemaversion SET version = :v WHERE id = 1"), {"v": version})


# Any fixed number: the advisory lock that schema creation and upgrades take on PostgreSQL.
_SCHEMA_LOCK_KEY = 0x1ABE1DEC


def _stored_version(engine: Engine) -> int | None:
    """The store's schema version, None for a store without one yet. StoreError for a newer one."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("schemaversion"):
            return None
        version = conn.execute(text("SELECT version FROM schemaversion WHERE id = 1")).scalar()
    if version is not None and version > SCHEMA_VERSION:
        raise StoreError(f"the store is at schema version {version}, newer than this LabelDeck ({SCHEMA_VERSION})")
    return version


def schema_version(engine: Engine) -> int:
    with Session(engine) as session:
        return session.exec(select(models.SchemaVersion.version)).one()


@lru_cache(maxsize=8)
def get_engine(url: str | None = None) -> Engine:
    """One engine per URL per process, with the schema ready."""
    engine = make_engine(url or get_settings().database_url)
    init_db(engine)
    return engine


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """A session whose work commits together at the end, or not at all."""
    with Session(engine, expire_on_commit=False) as session:
        with session.begin():
            yield session


_WRITE_OPTION = "labeldeck_write"


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Session]:
    """`transaction` for work that writes (every service that changes the store): on SQLite it holds the write lock
    from its first statement; PostgreSQL begins as usual (the service locks what it needs), waiting at most
    WRITE_LOCK_TIMEOUT_S for a lock, as SQLite's busy timeout does, rather than forever. Past that the driver's
    error is a busy store (store_problem)."""
    with transaction(_writer(engine)) as session:
        _bound_lock_waits(engine, session)
        yield session


@contextmanager
def write_connection(engine: Engine) -> Iterator[Connection]:
    """write_transaction on a bare connection, for SQL outside the ORM (schema upgrades)."""
    with _writer(engine).begin() as conn:
        _bound_lock_waits(engine, conn)
        yield conn


def _writer(engine: Engine) -> Engine:
    return engine.execution_options(**{_WRITE_OPTION: True})


def _bound_lock_waits(engine: Engine, executor: Session | Connection) -> None:
    if engine.dialect.name == "postgresql":
        executor.execute(text(f"SET LOCAL lock_timeout = '{int(WRITE_LOCK_TIMEOUT_S * 1000)}ms'"))
