"""Another writer holding a SQLite store, for the tests of what waits for it (or gives up)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import make_url


@contextmanager
def sqlite_write_lock(url: str) -> Iterator[None]:
    """SQLite's write lock, held from a connection of its own as an import's BEGIN IMMEDIATE holds it."""
    holder = sqlite3.connect(make_url(url).database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()
