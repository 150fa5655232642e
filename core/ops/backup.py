"""A consistent copy of a SQLite store while the app keeps serving it, through SQLite's online backup API (a plain
file copy of a WAL database can miss committed pages). PostgreSQL stores are backed up with pg_dump."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

from core.domain.errors import BadInput
from core.files.output_files import output_path, replacing


def backup_sqlite(*, url: str, out: Path) -> Path:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        raise BadInput(
            f"{parsed.render_as_string(hide_password=True)}: backup copies a SQLite store file; for "
            "PostgreSQL use pg_dump (see docs/operations.md)"
        )
    source_path = Path(parsed.database)
    if not source_path.is_file():
        raise BadInput(f"{source_path}: no store file to back up")
    out = output_path(out, file_name=source_path.name)
    if out.resolve() == source_path.resolve():
        raise BadInput(f"--out {out}: that is the store itself")
    with replacing(out) as partial:  # a failed backup leaves no half file under the wanted name
        source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
        target = sqlite3.connect(partial)
        try:
            source.backup(target, pages=4096)  # in steps, so the app's writers are not held up for the whole copy
        finally:
            target.close()
            source.close()
    return out
