"""Bulk inserts of polars frames inside the caller's transaction: COPY on PostgreSQL, one prepared multi-row
statement over column batches on SQLite; and the ids those rows got.

The ORM's unit of work costs ~50 µs a row; a 1M-result import cannot afford it.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import chain
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine, Table, text
from sqlmodel import Session

from core.domain.plural import plural

COPY_CHUNK_ROWS = 200_000
# Rows turned into Python values at a time for SQLite: bounded memory, and few enough batches not to matter.
SQLITE_BATCH_ROWS = 50_000
# Values bound per execution of SQLite's multi-row INSERT (its limit is 32,766); gains flatten out beyond ~2,000.
SQLITE_VALUES_PER_STATEMENT = 2_000


def refresh_statistics(engine: Engine, *tables: str) -> None:
    """ANALYZE after a bulk write on PostgreSQL. Its planner otherwise guesses the sizes of freshly loaded tables
    (autovacuum may be slow to run, or off), and picks plans for the first review actions on a guess."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect() as connection:
        for table in tables:
            connection.execute(text(f"ANALYZE {table}"))
        connection.commit()


def driver_connection(connection: Connection) -> Any:
    """The DBAPI connection (sqlite3 or psycopg) under an open SQLAlchemy connection: always there while it is open."""
    driver = connection.connection.driver_connection
    if driver is None:
        raise RuntimeError("the database connection is closed")
    return driver


def insert_frame(session: Session, table: Table, frame: pl.DataFrame) -> None:
    if frame.is_empty():
        return
    connection = session.connection()
    quote = connection.dialect.identifier_preparer.quote
    columns = ", ".join(quote(c) for c in frame.columns)
    driver = driver_connection(connection)
    if connection.dialect.name == "postgresql":
        with (
            driver.cursor() as cursor,
            cursor.copy(f"COPY {quote(table.name)} ({columns}) FROM STDIN (FORMAT csv)") as copy,
        ):
            for chunk in frame.iter_slices(COPY_CHUNK_ROWS):
                copy.write(chunk.write_csv(include_header=False, null_value=""))
        return
    _sqlite_insert(driver, quote(table.name), columns, frame)


def _sqlite_insert(driver, table: str, columns: str, frame: pl.DataFrame) -> None:
    """One prepared multi-row INSERT run over the frame, the rows that do not fill one by a single-row INSERT. Many
    rows per statement execution: 1M result rows take a quarter less time than with a row per execution."""
    rows_per = max(1, SQLITE_VALUES_PER_STATEMENT // frame.width)
    row = "(" + ", ".join("?" for _ in frame.columns) + ")"
    full = frame.height - frame.height % rows_per
    cursor = driver.cursor()
    try:
        if full:
            cursor.executemany(
                f"INSERT INTO {table} ({columns}) VALUES {', '.join([row] * rows_per)}",
                _grouped_values(frame.head(full), rows_per),
            )
        if full < frame.height:
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES {row}", _grouped_values(frame.slice(full), 1))
    finally:
        cursor.close()


def _grouped_values(frame: pl.DataFrame, rows_per: int) -> Iterator[tuple]:
    """The values of `rows_per` rows at a time, flat and in row order, built a batch of whole groups at a time with
    each column turned into Python values by one call (no row iterator, no Python loop per value)."""
    batch_rows = rows_per * max(1, SQLITE_BATCH_ROWS // rows_per)
    for batch in frame.iter_slices(batch_rows):
        values = chain.from_iterable(zip(*(column.to_list() for column in batch.iter_columns()), strict=True))
        yield from zip(*[values] * (rows_per * frame.width), strict=True)  # a short last group raises


def inserted_ids(session: Session, table: Table, *, job_id: int, count: int) -> pl.Series:
    """The ids of the `count` rows of `job_id` just inserted into `table` by insert_frame, in the frame's order:
    ids ascend in insertion order within a transaction. When the job's rows hold exactly the ids min..max, that
    range is the answer (one aggregate, no million-row fetch); otherwise (ids interleaved with a concurrent
    writer's on PostgreSQL) every id is read."""
    connection = session.connection()
    name = connection.dialect.identifier_preparer.quote(table.name)
    low, high, rows = connection.execute(
        text(f"SELECT min(id), max(id), count(*) FROM {name} WHERE job_id = :job_id"), {"job_id": job_id}
    ).one()
    if rows != count:
        raise RuntimeError(f"{table.name}: job {job_id} has {plural(rows, 'row')}, {count} were inserted")
    if count and high - low + 1 == count:
        return pl.int_range(low, high + 1, dtype=pl.Int64, eager=True)
    cursor = driver_connection(connection).cursor()
    try:
        placeholder = "%s" if connection.dialect.name == "postgresql" else "?"
        cursor.execute(f"SELECT id FROM {name} WHERE job_id = {placeholder} ORDER BY id", (job_id,))
        return pl.Series([row[0] for row in cursor.fetchall()], dtype=pl.Int64)
    finally:
        cursor.close()
