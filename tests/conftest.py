"""Shared fixtures: an isolated data folder per test, and stores on SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

import functools
import os
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import SQLModel

from core.auth import users
from core.store.db import get_engine
from core.store.schema_version import SCHEMA_VERSION

PG_URL_ENV = "LABELDECK_TEST_PG_URL"


@pytest.fixture(autouse=True, scope="session")
def components_scanned_once() -> Iterator[None]:
    """Streamlit looks for installed components (reading every installed package's metadata) each time an AppTest
    starts its runtime: ~0.5 s a page test, as much as the page's run. The packages do not change during a session,
    so the first scan's answer serves the others; the servers the e2e tests start scan as make run does."""
    from streamlit.components.v2 import manifest_scanner

    scan = manifest_scanner.scan_component_manifests
    manifest_scanner.scan_component_manifests = functools.cache(scan)
    yield
    manifest_scanner.scan_component_manifests = scan


@pytest.fixture(autouse=True, scope="session")
def cheap_password_hashes() -> Iterator[None]:
    """argon2id at its lowest cost in this process: the product's 64 MiB hash takes ~0.2 s, and the suite hashes
    and checks passwords a few hundred times (the account, page and role tests). Hashes stay argon2id; the servers
    the e2e tests start hash at full cost, and rehash these on sign-in as they would an old hash."""
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    saved = users._HASHER, users._DUMMY_HASH
    users._HASHER, users._DUMMY_HASH = cheap, cheap.hash("labeldeck: no such user")
    yield
    users._HASHER, users._DUMMY_HASH = saved


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own data folder and, unless it picks another, its own SQLite store."""
    folder = tmp_path / "data"
    monkeypatch.setenv("LABELDECK_DATA_DIR", str(folder))
    monkeypatch.setenv("LABELDECK_DATABASE_URL", f"sqlite:///{folder / 'labeldeck.db'}")
    for setting in (
        "LABELDECK_AUTH",
        "LABELDECK_AUTH_HEADER",
        "LABELDECK_ADMINS",
        "LABELDECK_REVIEWERS",
        "LABELDECK_DEFAULT_ROLE",
    ):  # sign-in as make run has it, whatever the shell says
        monkeypatch.delenv(setting, raising=False)
    return folder


def _pg_schema_url(base_url: str) -> Iterator[str]:
    """A fresh schema in the test database, so concurrent runs and earlier runs never meet."""
    schema = f"ld_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in base_url else "?"
    try:
        yield f"{base_url}{sep}options=-csearch_path%3D{schema}"
    finally:
        get_engine.cache_clear()
        with admin.connect() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


class RecycledSchemas:
    """PostgreSQL schemas of this process that hold a new store's tables, lent to one test at a time and emptied
    when it is over, their engine (and its open connections) kept: making a store's tables took ~65 ms a test, and
    each new connection costs the server a process; emptying takes ~20 ms. A schema whose tables a test changed (a
    column, an index, the schema version) is dropped, not lent again; tables a test added (datalog exports) are
    dropped before the next test. Caches keyed by the store's URL must not outlive a test (tests/app/conftest.py
    clears Streamlit's)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.free: list[str] = []
        self.made: dict[str, Iterator[str]] = {}
        self.shape: tuple[int, int] | None = None  # (columns, indexes) of a new store's tables

    def lend(self) -> Iterator[str]:
        url = self.free.pop() if self.free else self._new()
        yield url
        if self._emptied(url):
            self.free.append(url)
        else:
            get_engine(url).dispose()
            next(self.made.pop(url), None)  # drops the schema

    def drop_all(self) -> None:
        get_engine.cache_clear()
        for schema in self.made.values():
            next(schema, None)
        self.made.clear()

    def _new(self) -> str:
        schema = _pg_schema_url(self.base_url)
        url = next(schema)
        self.made[url] = schema
        with get_engine(url).connect() as conn:
            self.shape = self.shape or _shape(conn)
        return url

    def _emptied(self, url: str) -> bool:
        try:
            with get_engine(url).begin() as conn:
                conn.execute(text("SET LOCAL lock_timeout = '5s'"))
                ours = [t.name for t in reversed(SQLModel.metadata.sorted_tables)]
                present = set(conn.execute(text(_TABLES)).scalars())
                for extra in sorted(present - set(ours)):
                    conn.execute(text(f'DROP TABLE "{extra}" CASCADE'))
                version = conn.execute(text("SELECT version FROM schemaversion")).scalars().all()
                if present < set(ours) or version != [SCHEMA_VERSION] or _shape(conn) != self.shape:
                    return False
                # One round trip: every table emptied, every sequence back at 1.
                deletes = "".join(f'DELETE FROM "{table}";' for table in ours if table != "schemaversion")
                conn.exec_driver_sql(deletes + _RESTART_SEQUENCES)
            return True
        except DBAPIError:
            return False


# pg_catalog, not information_schema: its views check privileges row by row, ~30 ms a query in a busy test database.
_IN_SCHEMA = "relnamespace = current_schema()::regnamespace"
_TABLES = f"SELECT relname FROM pg_class WHERE {_IN_SCHEMA} AND relkind = 'r'"
_RESTART_SEQUENCES = f"SELECT setval(oid, 1, false) FROM pg_class WHERE {_IN_SCHEMA} AND relkind = 'S'"
_SHAPE = f"""SELECT
  (SELECT count(*) FROM pg_attribute a JOIN pg_class c ON a.attrelid = c.oid
   WHERE c.{_IN_SCHEMA} AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped),
  (SELECT count(*) FROM pg_index i JOIN pg_class c ON i.indrelid = c.oid WHERE c.{_IN_SCHEMA})"""


def _shape(conn) -> tuple[int, int]:
    """(columns, indexes) of the schema's tables."""
    columns, indexes = conn.execute(text(_SHAPE)).one()
    return columns, indexes


@pytest.fixture(scope="session")
def recycled_schemas() -> Iterator[RecycledSchemas]:
    schemas = RecycledSchemas(os.environ[PG_URL_ENV])
    yield schemas
    schemas.drop_all()


def copy_demo_folder(template: Path, data_dir: Path) -> None:
    """A seeded demo's data folder (its images) into `data_dir`, without its store (copied by the caller, as the
    store's kind asks) and its caches (keyed by the template's store URL)."""
    shutil.copytree(
        template, data_dir, dirs_exist_ok=True, ignore=shutil.ignore_patterns("labeldeck.db", "labeldeck.db-*", "cache")
    )


def copy_sqlite_store(template_url: str, url: str) -> None:
    """The template's store, page by page (SQLite's backup API: whole, even if the target is open already)."""
    source = sqlite3.connect(make_url(template_url).database)
    target = sqlite3.connect(make_url(url).database)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, data_dir: Path) -> Iterator[str]:
    """Where a test's store is: a new SQLite file, or a PostgreSQL schema that holds a new store's tables (empty,
    its ids starting at 1). A test marked bare_store gets a schema without tables (creation and upgrade tests)."""
    if request.param == "sqlite":
        yield f"sqlite:///{data_dir / 'store.db'}"
        return
    base = os.environ.get(PG_URL_ENV)
    if not base:
        pytest.skip(f"{PG_URL_ENV} is not set (.ci/run sets it)")
    if request.node.get_closest_marker("bare_store"):
        yield from _pg_schema_url(base)
    else:
        yield from request.getfixturevalue("recycled_schemas").lend()


@pytest.fixture
def engine(store_url: str) -> Engine:
    return get_engine(store_url)


@pytest.fixture
def sqlite_engine(data_dir: Path) -> Engine:
    return get_engine(f"sqlite:///{data_dir / 'labeldeck.db'}")


def _e2e(nodeid: str) -> bool:
    return nodeid.startswith("tests/e2e/")


@pytest.hookimpl(optionalhook=True, tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """make test (pytest -n auto --dist loadgroup): each e2e module is one unit of work that one worker runs, so
    that its module-scoped LabelDeck server is started once; every other test is a unit of its own, spread over
    the workers as --dist load spreads them. (xdist's own loadgroup renames each marked test's node id, which
    pytest 9.2's read-only node ids ignore in xdist 3.8: the units are made here, from the path.)"""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class E2EModulesAsUnits(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return nodeid.split("::", 1)[0] if _e2e(nodeid) else nodeid

    return E2EModulesAsUnits(config, log)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On an xdist worker of make test: the e2e tests first (each worker collects in this same order), so that the
    longest units, the e2e modules, are handed out round robin at the start rather than last, which would leave one
    worker running them alone at the end."""
    if getattr(config.option, "loadgroup", False):
        items.sort(key=lambda item: not _e2e(item.nodeid))
