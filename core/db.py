"""Engine, schema creation and upgrades. SQLite by default, PostgreSQL when the URL names one."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel, create_engine, select

from core import models
from core.settings import get_settings

SCHEMA_VERSION = 1

# Each step upgrades a store from version N to N+1 inside one transaction; append, never edit.
UPGRADES: dict[int, Callable[[Connection], None]] = {}


class StoreError(Exception):
    """The store cannot be used as asked (unreachable, newer than this code, ...)."""


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own transaction handling defers BEGIN; take it over so a transaction covers reads too.
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN"))
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def init_db(engine: Engine) -> None:
    """Create a new store at the current version, or upgrade an older one step by step."""
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        row = session.get(models.SchemaVersion, 1)
        if row is None:
            session.add(models.SchemaVersion(version=SCHEMA_VERSION))
            session.commit()
            return
        if row.version > SCHEMA_VERSION:
            raise StoreError(
                f"the store is at schema version {row.version}, newer than this LabelDeck ({SCHEMA_VERSION})"
            )
    with engine.begin() as conn:
        version = conn.execute(text("SELECT version FROM schemaversion WHERE id = 1")).scalar_one()
        while version < SCHEMA_VERSION:
            UPGRADES[version](conn)
            version += 1
            conn.execute(text("UPDATE schemaversion SET version = :v WHERE id = 1"), {"v": version})


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
