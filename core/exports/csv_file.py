"""The CSV export: a header and one row per ResultSet item, the columns of core/exports/rows.py in that order.
Booleans are `true`/`false`, missing values empty, floats at full precision."""

from __future__ import annotations

from core.exports.rows import export_rows
from core.exports.source import ExportSource


def csv_bytes(source: ExportSource) -> bytes:
    return export_rows(source.items).write_csv().encode()
