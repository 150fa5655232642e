"""Datalog tables: a ResultSet exported to a real table in the store's database, one row per item, with the
columns and types of core/exports/rows.py (result_id is the primary key). The same code on SQLite and PostgreSQL.

The table is written by one INSERT ... SELECT in the database: the rows never travel through Python. It holds
the rows of the ResultSet's complete images (core/exports/completeness.py), or every row with `include_partial`.

Names are the user's, so they are checked before they reach SQL: `^[a-z][a-z0-9_]{0,62}$`, not a LabelDeck table,
not a word SQLite or PostgreSQL reserves, no `sqlite_` or `pg_` prefix, and not the name of anything else in the
schema (a table or view that is not a datalog table, an index, a sequence, a type: they share one namespace with
tables). An existing datalog table is refused unless `replace`, which swaps its rows in one transaction: readers
see the old rows or the new ones, never a mix.

Each table has a row in the `datalogtable` registry. The tables are exported data that others may read, so they
outlive their ResultSet and their job: deleting either leaves the table and sets resultset_id / job_id to null in
its registry row (resultset_name still names the source). Nothing here drops a datalog table.
"""

from __future__ import annotations

import re

import polars as pl
from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.dialects.postgresql.base import RESERVED_WORDS as POSTGRESQL_RESERVED
from sqlalchemy.dialects.sqlite.base import SQLiteIdentifierPreparer
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col, select

from core.auth.access import Actor, Permission, require
from core.domain.errors import BadInput, NotFound
from core.domain.plural import plural
from core.domain.vocabulary import ReviewState
from core.exports.completeness import PARTIAL_SAMPLES
from core.exports.rows import ROW_COLUMNS, ROW_SCHEMA, row_table
from core.store import models
from core.store.db import write_transaction
from core.store.models import utcnow

NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,62}")
RESERVED_WORDS = frozenset(POSTGRESQL_RESERVED) | frozenset(SQLiteIdentifierPreparer.reserved_words)
PREVIEW_MAX_ROWS = 1000

_ROWS_SELECT = f"""
    SELECT i.result_id, s.file_path, s.width, s.height, i.class_name, pc.name, r.change_kind, r.class_changed,
           i.x, i.y, i.w, i.h, r.iou, r.area_px, r.area_fraction, r.adjustment_factor, r.pre_confidence,
           '{ReviewState.ACCEPTED}', i.reviewed_by
    FROM resultsetitem i
    JOIN result r ON r.id = i.result_id
    JOIN sample s ON s.id = i.sample_id
    LEFT JOIN labelclass pc ON pc.id = r.pre_class_id
    WHERE i.resultset_id = :resultset_id
"""
_COMPLETE_ONLY = f" AND i.sample_id NOT IN ({PARTIAL_SAMPLES})"


def app_table_names() -> frozenset[str]:
    return frozenset(SQLModel.metadata.tables) | {"alembic_version"}


def check_table_name(name: str) -> str:
    """The name if it may name a datalog table, else BadInput saying why. Existence is checked in the store."""
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        shown = name if isinstance(name, str) and len(name) <= 80 else f"{str(name)[:80]}..."
        raise BadInput(
            f"datalog table name {shown!r}: use 1 to 63 characters, lower-case letters, digits and _, "
            "starting with a letter"
        )
    if name in app_table_names():
        raise BadInput(f"datalog table name {name!r}: LabelDeck's own table has that name")
    if name in RESERVED_WORDS:
        raise BadInput(f"datalog table name {name!r}: a reserved word in SQL; choose another")
    if name.startswith(("sqlite_", "pg_")):
        raise BadInput(f"datalog table name {name!r}: the sqlite_ and pg_ prefixes belong to the database")
    return name


def export_to_table(
    *, engine: Engine, resultset_id: int, table: str, replace: bool = False, include_partial: bool = False, actor: Actor
) -> models.DatalogTable:
    """Write the ResultSet's rows to the datalog table `table` (new, or replaced when `replace`): those of its
    complete images, or all of them with `include_partial`. The registry row counts the images left out."""
    created_by = require(actor, Permission.EXPORT, to="export to a datalog table")
    name = check_table_name(table)
    try:
        with write_transaction(engine) as session:
            resultset = session.get(models.ResultSet, resultset_id)
            if resultset is None:
                raise NotFound(f"ResultSet {resultset_id} not found")
            registered = session.exec(select(models.DatalogTable).where(models.DatalogTable.name == name)).first()
            conn = session.connection()
            kind = _relation_kind(conn, name)
            exists = registered is not None and kind == "a table"
            if kind is not None and not exists:
                raise BadInput(
                    f"datalog table name {name!r}: {kind} of that name exists in the database and is "
                    "not a LabelDeck datalog table"
                )
            if registered is not None and not replace:
                raise BadInput(
                    f"datalog table {name!r} exists ({plural(registered.row_count, 'row')} from ResultSet "
                    f"{registered.resultset_name!r}); pass --replace (replace=True) to replace its rows"
                )
            _fresh_table(conn, name, exists=exists)
            quoted = conn.dialect.identifier_preparer.quote(name)
            rows = conn.execute(
                text(
                    f"INSERT INTO {quoted} ({', '.join(ROW_COLUMNS)}) {_ROWS_SELECT}"
                    f"{'' if include_partial else _COMPLETE_ONLY}"
                ),
                {"resultset_id": resultset_id},
            ).rowcount
            entry = registered or models.DatalogTable(
                name=name, resultset_name=resultset.name, row_count=0, created_by=created_by
            )
            entry.job_id, entry.resultset_id, entry.resultset_name = resultset.job_id, resultset.id, resultset.name
            entry.row_count, entry.created_by, entry.created_at = rows, created_by, utcnow()
            entry.left_out_images = (
                0
                if include_partial
                else conn.execute(
                    text(f"SELECT COUNT(*) FROM ({PARTIAL_SAMPLES}) p"), {"resultset_id": resultset_id}
                ).scalar()
            )
            session.add(entry)
    except IntegrityError as exc:  # another export created the same name between our check and our write
        raise BadInput(f"datalog table {name!r} was just created by another export; try again") from exc
    return entry


# What else may hold a table's name in its schema: CREATE TABLE would fail on any of these with raw SQL text.
_RELATION_KIND_SQL = {
    "postgresql": text("""
        WITH here AS (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
        SELECT relkind::text FROM pg_class WHERE relname = :name AND relnamespace = (SELECT oid FROM here)
        UNION ALL
        SELECT 'type' FROM pg_type WHERE typname = :name AND typnamespace = (SELECT oid FROM here) AND typrelid = 0
    """),
    "sqlite": text("SELECT type FROM sqlite_master WHERE lower(name) = :name AND type IN ('table', 'view', 'index')"),
}
_KIND_WORDS = {
    "r": "a table",
    "table": "a table",
    "v": "a view",
    "view": "a view",
    "m": "a materialized view",
    "i": "an index",
    "I": "an index",
    "index": "an index",
    "S": "a sequence",
    "c": "a type",
    "type": "a type",
    "f": "a foreign table",
    "p": "a partitioned table",
}


def _relation_kind(conn: Connection, name: str) -> str | None:
    """What holds `name` in the store's schema ("a table", "an index", "a sequence", ...), or None."""
    kind = conn.execute(_RELATION_KIND_SQL[conn.dialect.name], {"name": name}).scalar()
    return None if kind is None else _KIND_WORDS.get(kind, "a relation")


def _fresh_table(conn: Connection, name: str, *, exists: bool) -> None:
    """An empty datalog table of the current columns. An existing one of those columns keeps its identity (views
    and grants on it survive): its rows are deleted, in this transaction."""
    table = row_table(name)
    if exists:
        stored = [c["name"] for c in inspect(conn).get_columns(name)]
        if stored == list(ROW_COLUMNS):
            conn.execute(table.delete())
            return
        table.drop(conn)
    table.create(conn)


def list_datalog_tables(*, engine: Engine, job_id: int) -> list[models.DatalogTable]:
    """The job's datalog tables by name."""
    with Session(engine) as session:
        return list(
            session.exec(
                select(models.DatalogTable)
                .where(models.DatalogTable.job_id == job_id)
                .order_by(col(models.DatalogTable.name))
            ).all()
        )


def preview_datalog_table(*, engine: Engine, name: str, limit: int = 20) -> pl.DataFrame:
    """The first `limit` rows by result_id. Only a name in the registry reaches SQL."""
    if not 1 <= limit <= PREVIEW_MAX_ROWS:
        raise BadInput(f"preview limit {limit}: give 1 to {plural(PREVIEW_MAX_ROWS, 'row')}")
    with Session(engine) as session:
        registered = session.exec(select(models.DatalogTable.name).where(models.DatalogTable.name == name)).first()
    if registered is None:
        raise NotFound(f"datalog table {name!r} not found")
    with engine.connect() as conn:
        quoted = conn.dialect.identifier_preparer.quote(registered)
        result = conn.execute(text(f"SELECT * FROM {quoted} ORDER BY result_id LIMIT :limit"), {"limit": limit})
        columns, rows = list(result.keys()), result.all()
    return pl.DataFrame(
        rows, schema=columns, orient="row", schema_overrides={c: ROW_SCHEMA[c] for c in columns if c in ROW_SCHEMA}
    )
