"""Bulk inserts of polars frames inside the caller's transaction: COPY on PostgreSQL, executemany on SQLite.

The ORM's unit of work costs ~50 µs a row; a 1M-result import cannot afford it.
"""

from __future__ import annotations

import polars as pl
from sqlalchemy import Engine, Table, text
from sqlmodel import Session

COPY_CHUNK_ROWS = 200_000


def refresh_statistics(engine: Engine, *tables: str) -> None:
    """ANALYZE after a bulk write on PostgreSQL. Its planner otherwise guesses the sizes of freshly loaded tables
    (autovacuum may be slow to run, or off), and picks plans for the first review actions on a guess."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect() as connection:
        for table in tables:
            connection.execute(text(f"ANALYZE {table}"))
        connection.commit()


def insert_frame(session: Session, table: Table, frame: pl.DataFrame) -> None:
    if frame.is_empty():
        return
    connection = session.connection()
    quote = connection.dialect.identifier_preparer.quote
    columns = ", ".join(quote(c) for c in frame.columns)
    driver = connection.connection.driver_connection
    if connection.dialect.name == "postgresql":
        with driver.cursor() as cursor, cursor.copy(
            f"COPY {quote(table.name)} ({columns}) FROM STDIN (FORMAT csv)"
        ) as copy:
            for chunk in frame.iter_slices(COPY_CHUNK_ROWS):
                copy.write(chunk.write_csv(include_header=False, null_value=""))
        return
    placeholders = ", ".join("?" for _ in frame.columns)
    cursor = driver.cursor()
    try:
        cursor.executemany(f"INSERT INTO {quote(table.name)} ({columns}) VALUES ({placeholders})", frame.iter_rows())
    finally:
        cursor.close()
