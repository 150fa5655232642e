"""The id of a stored row, typed: a table model's `id` is `int | None` (None until the row is flushed), and a row
the database holds always has one. No SQLAlchemy here: the CLI's fast path may use it."""

from __future__ import annotations

from typing import Protocol


class _Row(Protocol):
    @property
    def id(self) -> int | None: ...


def stored_id(row: _Row) -> int:
    """The id of a row the database holds (read back, or flushed): set by then. A row never flushed is a bug."""
    if row.id is None:
        raise RuntimeError(f"{type(row).__name__} has no id: it was never flushed")
    return row.id
