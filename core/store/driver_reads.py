"""What `python -m core jobs` and `stats` read from the store, through the store's own DB-API driver (sqlite3,
psycopg) rather than SQLAlchemy, SQLModel and pydantic, whose imports were most of those commands' time (issue 14).

Only a store that can be read as it is goes this way: an SQLite file, or PostgreSQL through psycopg, at this
LabelDeck's schema version. For any other (no store yet, an older or a newer one, another driver, a URL this module
does not read as SQLAlchemy does) `open_store` yields None and the command goes the usual way, where get_engine
creates, upgrades or refuses the store. The queries are those of core/jobs/summaries.py (list_jobs) and
core/analysis/results_frame.py (get_job, state_counts, the cache path); tests/store/test_driver_reads.py holds the two
ways equal."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from core.analysis import frame_cache
from core.domain.errors import NotFound
from core.domain.vocabulary import REVIEW_STATES, JobStatus, ReviewState
from core.settings import get_settings
from core.store.schema_version import SCHEMA_VERSION
from core.store.urls import StoreUrl, parse_store_url

# As core.store.db's engines: how long a read waits for a writer's lock on SQLite, and for a PostgreSQL server to
# answer.
LOCK_TIMEOUT_S = 30.0
CONNECT_TIMEOUT_S = 10


@dataclass(frozen=True)
class StoreReader:
    url: StoreUrl
    connection: Any  # the driver's own connection
    placeholder: str  # "?" (sqlite3) or "%s" (psycopg)

    def rows(self, query: str, params: Sequence[Any] = ()) -> list[tuple]:
        """`query` with ? placeholders."""
        cursor = self.connection.cursor()
        try:
            cursor.execute(query.replace("?", self.placeholder), tuple(params))
            return cursor.fetchall()
        finally:
            cursor.close()


@dataclass(frozen=True)
class _Driver:
    connect: Callable[[], Any]
    error: type[Exception]  # the driver's base error class
    placeholder: str
    table_exists: str  # a query with one placeholder, the table's name: a row when the table is there


@contextmanager
def open_store(url: str | None = None) -> Iterator[StoreReader | None]:
    """A reader of the store at `url` (default: LABELDECK_DATABASE_URL), or None when the usual way must open it.
    The driver's errors come out as SQLAlchemy's DBAPIError, as from an engine, so the CLI tells a busy or an
    unreachable store the same way (core.store.db.store_problem)."""
    parsed = parse_store_url(url or get_settings().database_url)
    driver = None if parsed is None else _driver(parsed)
    if parsed is None or driver is None:
        yield None
        return
    with _as_sqlalchemy_errors(driver.error):
        connection = driver.connect()
        try:
            reader = StoreReader(url=parsed, connection=connection, placeholder=driver.placeholder)
            current = reader.rows(driver.table_exists, ("schemaversion",)) and reader.rows(
                "SELECT version FROM schemaversion WHERE id = 1"
            ) == [(SCHEMA_VERSION,)]
            yield reader if current else None
        finally:
            connection.close()


def _driver(url: StoreUrl) -> _Driver | None:
    if url.backend == "sqlite" and url.driver == "pysqlite":
        return _sqlite(url)
    if url.backend == "postgresql" and url.driver == "psycopg":
        return _psycopg(url)
    return None


def _sqlite(url: StoreUrl) -> _Driver | None:
    # Only a plain file that is there: a missing one is created by the usual way, URI and driver options are read
    # by SQLAlchemy's dialect, not here.
    if url.query or url.username or url.password or url.host or url.port or url.database in (None, "", ":memory:"):
        return None
    path = os.path.abspath(url.database)
    if not os.path.isfile(path):
        return None
    import sqlite3

    def connect() -> Any:
        connection = sqlite3.connect(path, timeout=LOCK_TIMEOUT_S, isolation_level=None)
        connection.execute("BEGIN")  # one snapshot for every query (closing ends it)
        return connection

    return _Driver(
        connect=connect,
        error=sqlite3.Error,
        placeholder="?",
        table_exists="SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
    )


def _psycopg(url: StoreUrl) -> _Driver | None:
    # SQLAlchemy's psycopg dialect passes the URL's parts and its query as the driver's keywords, then the engine's
    # connect_args (core.store.db.make_engine). Several hosts, or a key given twice, it reads its own way: not here.
    if "host" in url.query or any(isinstance(value, tuple) for value in url.query.values()):
        return None
    parts = {"host": url.host, "dbname": url.database, "user": url.username, "password": url.password, "port": url.port}
    params: dict[str, str | int] = {
        **{key: value for key, value in parts.items() if value},
        **{key: value for key, value in url.query.items() if isinstance(value, str)},  # no tuple: returned above
        "connect_timeout": CONNECT_TIMEOUT_S,
    }
    import psycopg

    def connect() -> Any:
        # libpq keywords go to connect's **kwargs (str | int); mypy also matches a ** dict against connect's own
        # keyword parameters (autocommit, row_factory...), which none of these keys names.
        connection = psycopg.connect(**params)  # type: ignore[arg-type]
        connection.read_only = True
        return connection

    return _Driver(
        connect=connect,
        error=psycopg.Error,
        placeholder="%s",
        table_exists="SELECT 1 WHERE to_regclass(%s) IS NOT NULL",
    )


@contextmanager
def _as_sqlalchemy_errors(driver_error: type[Exception]) -> Iterator[None]:
    try:
        yield
    except driver_error as exc:
        from sqlalchemy.exc import DBAPIError  # only on this rare path

        raise DBAPIError.instance(None, None, exc, driver_error) from exc


@dataclass(frozen=True)
class JobRow:
    """The columns of a label job (models.LabelJob's names) that `jobs` and `stats` show or key a cache by."""

    id: int
    name: str
    tag: str
    kind: str
    task: str
    status: str
    failure_reason: str | None
    image_count: int
    result_count: int
    spec_id: int
    pre_label_source: str
    created_by: str
    created_at: datetime
    data_revision: int


_JOB_COLUMNS = (
    "id, name, tag, kind, task, status, failure_reason, image_count, result_count, spec_id, "
    "pre_label_source, created_by, created_at, data_revision"
)


def _job_row(values: tuple) -> JobRow:
    row = JobRow(*values)
    if isinstance(row.created_at, str):  # SQLite keeps text, which SQLAlchemy reads with fromisoformat too
        row = replace(row, created_at=datetime.fromisoformat(row.created_at))
    return row


def get_job(store: StoreReader, job_id: int) -> JobRow:
    rows = store.rows(f"SELECT {_JOB_COLUMNS} FROM labeljob WHERE id = ?", (job_id,))
    if not rows:
        raise NotFound(f"job {job_id} not found")
    return _job_row(rows[0])


def state_counts(store: StoreReader, jobs: Sequence[JobRow]) -> dict[int, dict[str, int]]:
    """core.analysis.results_frame.state_counts of `jobs`: the decisions counted on the (job_id, state) index,
    pending the rest of each job's results."""
    if not jobs:
        return {}
    marks = ", ".join("?" for _ in jobs)
    decided = store.rows(
        f"SELECT job_id, state, COUNT(*) FROM reviewstate WHERE job_id IN ({marks}) GROUP BY job_id, state",
        [j.id for j in jobs],
    )
    counts = {j.id: {**dict.fromkeys(REVIEW_STATES, 0), ReviewState.PENDING.value: j.result_count} for j in jobs}
    for job_id, state, n in decided:
        if state in REVIEW_STATES:  # reworked results are no longer the job's to review
            counts[job_id][state] = n
            counts[job_id][ReviewState.PENDING] -= n
    return {job_id: c for job_id, c in counts.items() if sum(c.values())}


def job_summaries(store: StoreReader) -> list[dict[str, Any]]:
    """core.jobs.summaries.list_jobs(engine=...) of every job, each as its JobSummary.to_json()."""
    jobs = [
        _job_row(values)
        for values in store.rows(f"SELECT {_JOB_COLUMNS} FROM labeljob ORDER BY created_at DESC, id DESC")
    ]
    classes: dict[int, list[str]] = {}
    for spec_id, name in store.rows(
        "SELECT spec_id, display_name FROM labelclass WHERE spec_id IN "
        "(SELECT spec_id FROM labeljob) ORDER BY spec_id, position"
    ):
        classes.setdefault(spec_id, []).append(name)
    counts = state_counts(store, jobs)
    labelling: dict[int, dict[str, int]] = {}
    for job_id, status, n in store.rows(
        "SELECT job_id, label_status, COUNT(*) FROM sample WHERE job_id IN "
        f"(SELECT id FROM labeljob WHERE status = '{JobStatus.IN_PROGRESS}') GROUP BY job_id, label_status"
    ):
        labelling.setdefault(job_id, dict.fromkeys(("unlabelled", "labelled", "skipped"), 0))[status] = n
    summaries = []
    for j in jobs:
        by_state = counts.get(j.id, dict.fromkeys(REVIEW_STATES, 0))
        summaries.append(
            {
                "id": j.id,
                "name": j.name,
                "tag": j.tag,
                "kind": j.kind,
                "task": j.task,
                "status": j.status,
                "failure_reason": j.failure_reason,
                "images": j.image_count,
                "results": j.result_count,
                "classes": classes.get(j.spec_id, []),
                "pre_label_source": j.pre_label_source,
                "created_by": j.created_by,
                "created_at": j.created_at.isoformat(),
                "by_state": by_state,
                "labelling": _labelling_json(labelling[j.id]) if j.id in labelling else None,
                "reviewed_share": (
                    (by_state[ReviewState.ACCEPTED] + by_state[ReviewState.REJECTED]) / j.result_count
                    if j.result_count
                    else 0.0
                ),
            }
        )
    return summaries


def _labelling_json(counts: dict[str, int]) -> dict[str, int | float]:
    """core.jobs.summaries.LabellingProgress.to_json."""
    total = sum(counts.values())
    return {
        "total": total,
        "labelled": counts["labelled"],
        "skipped": counts["skipped"],
        "unlabelled": counts["unlabelled"],
        "done_share": (counts["labelled"] + counts["skipped"]) / total if total else 0.0,
    }


def results_cache_path(store: StoreReader, job: JobRow) -> Path:
    """Where the job's results frame is cached, as core.analysis.results_frame names it."""
    return frame_cache.results_cache_path(
        store_url=store.url.rendered(), job_id=job.id, created_at=job.created_at, data_revision=job.data_revision
    )
