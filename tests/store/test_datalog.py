"""Datalog tables: a ResultSet written to a real table of the store's database, names checked against injection and
collisions, replaced in one transaction, listed and previewed. SQLite and PostgreSQL."""

from __future__ import annotations

import polars as pl
import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import SQLModel

from core.domain.errors import BadInput, NotFound
from core.exports import datalog, export_to_table, list_datalog_tables, preview_datalog_table
from core.exports.rows import ROW_COLUMNS, ROW_SCHEMA, export_rows
from core.review.resultsets import create_resultset, resultset_frame
from tests.builders import as_admin, table_counts
from tests.resultset_builders import accept, import_catalog_job, import_fruit_job, result_ids, set_state


@pytest.fixture
def resultset(engine, job, ids):
    accept(engine, ids, reviewer="ann")
    return create_resultset(engine=engine, job_id=job.id, name="all", actor=as_admin("lead"))


def table_rows(engine, name) -> pl.DataFrame:
    """The whole table through plain SQL, not through the code under test."""
    with engine.connect() as conn:
        result = conn.execute(text(f"SELECT {', '.join(ROW_COLUMNS)} FROM {name} ORDER BY result_id"))
        return pl.DataFrame(result.all(), schema=list(ROW_COLUMNS), orient="row", schema_overrides=ROW_SCHEMA)


def test_a_resultset_becomes_a_typed_table_with_the_csv_rows(engine, job, ids, resultset):
    table = export_to_table(engine=engine, resultset_id=resultset.id, table="street_labels", actor=as_admin("lead"))

    assert (table.name, table.job_id, table.resultset_id, table.resultset_name, table.row_count, table.created_by) == (
        "street_labels",
        job.id,
        resultset.id,
        "all",
        7,
        "lead",
    )
    rows = table_rows(engine, "street_labels")
    assert rows.equals(export_rows(resultset_frame(engine=engine, resultset_id=resultset.id)))
    assert rows["result_id"].to_list() == ids
    assert rows.row(5) == (
        ids[5],
        "b.png",
        40,
        40,
        None,
        "dog",
        "removed",
        True,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        0.6,
        "accepted",
        "ann",
    )
    columns = inspect(engine).get_columns("street_labels")
    assert [c["name"] for c in columns] == list(ROW_COLUMNS)
    types = {c["name"]: type(c["type"]).__name__.upper() for c in columns}
    assert types["result_id"] in {"BIGINT", "BIGINTEGER"} and types["class_changed"] == "BOOLEAN"
    assert types["width"] == "INTEGER" and types["file_path"] == "TEXT"
    assert types["x"] in {"DOUBLE", "DOUBLE_PRECISION"}
    assert inspect(engine).get_pk_constraint("street_labels")["constrained_columns"] == ["result_id"]
    assert {c["name"] for c in columns if not c["nullable"]} == {
        "result_id",
        "file_path",
        "width",
        "height",
        "change_kind",
        "class_changed",
        "review_state",
    }


def test_a_classification_resultset_exports_too(engine, tmp_path):
    fruit = import_fruit_job(engine, tmp_path / "fruit")
    accept(engine, result_ids(engine, fruit.id)[:3])
    rs = create_resultset(engine=engine, job_id=fruit.id, name="fruit", actor=as_admin("lead"))
    assert (
        export_to_table(engine=engine, resultset_id=rs.id, table="fruit_labels", actor=as_admin("lead")).row_count == 3
    )
    assert table_rows(engine, "fruit_labels").select("file_path", "class_name", "x").rows() == [
        ("c1.png", "apple", None),
        ("c2.png", "pear", None),
        ("c3.png", "pear", None),
    ]


INJECTIONS = [
    "x; drop table result",
    "x;drop table result",
    "labels' or '1'='1",
    'labels"',
    "labels--",
    "a b",
    "a-b",
    "Labels",
    "LABELS",
    "1labels",
    "_labels",
    "",
    "a" * 64,
    "labels\n",
    "l\u00e4bels",
    "public.labels",
    "x/*",
]


@pytest.mark.parametrize("name", INJECTIONS)
def test_names_that_are_not_plain_identifiers_are_refused(engine, resultset, name):
    before = table_counts(engine)
    tables_before = set(inspect(engine).get_table_names())
    with pytest.raises(BadInput, match="use 1 to 63 characters, lower-case letters, digits and _"):
        export_to_table(engine=engine, resultset_id=resultset.id, table=name, actor=as_admin("lead"))
    assert table_counts(engine) == before
    assert set(inspect(engine).get_table_names()) == tables_before


def test_the_longest_name_is_63_characters(engine, resultset):
    assert (
        export_to_table(engine=engine, resultset_id=resultset.id, table="a" * 63, actor=as_admin("lead")).row_count == 7
    )


@pytest.mark.parametrize("name", sorted(SQLModel.metadata.tables))
def test_labeldeck_table_names_are_refused(engine, resultset, name):
    before = table_counts(engine)
    with pytest.raises(BadInput, match="LabelDeck's own table"):
        export_to_table(engine=engine, resultset_id=resultset.id, table=name, replace=True, actor=as_admin("lead"))
    assert table_counts(engine) == before


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("select", "reserved word"),
        ("user", "reserved word"),
        ("order", "reserved word"),
        ("table", "reserved word"),
        ("sqlite_master", "prefixes belong to the database"),
        ("pg_class", "prefixes belong to the database"),
    ],
)
def test_reserved_names_are_refused(engine, resultset, name, problem):
    with pytest.raises(BadInput, match=problem):
        export_to_table(engine=engine, resultset_id=resultset.id, table=name, replace=True, actor=as_admin("lead"))


def test_an_existing_table_or_view_that_is_not_a_datalog_table_is_left_alone(engine, resultset):
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE team_notes (id INTEGER PRIMARY KEY, note TEXT)"))
        conn.execute(text("INSERT INTO team_notes VALUES (1, 'keep me')"))
        conn.execute(text("CREATE VIEW team_view AS SELECT note FROM team_notes"))
    for name in ("team_notes", "team_view"):
        for replace in (False, True):
            with pytest.raises(BadInput, match="exists in the database and is not a LabelDeck datalog table"):
                export_to_table(
                    engine=engine, resultset_id=resultset.id, table=name, replace=replace, actor=as_admin("lead")
                )
    with engine.connect() as conn:
        assert conn.execute(text("SELECT note FROM team_view")).all() == [("keep me",)]
    assert table_counts(engine)["datalogtable"] == 0


def test_a_second_export_is_refused_without_replace_and_replaces_cleanly_with_it(engine, job, ids, resultset):
    export_to_table(engine=engine, resultset_id=resultset.id, table="labels", actor=as_admin("lead"))
    set_state(engine, ids[:6], "rejected")  # a.png and b.png rejected whole: the smaller ResultSet is d.png, complete
    smaller = create_resultset(engine=engine, job_id=job.id, name="two", actor=as_admin("lead"))
    assert smaller.item_count == 1

    with pytest.raises(BadInput, match=r"table 'labels' exists \(7 rows from ResultSet 'all'\); pass --replace"):
        export_to_table(engine=engine, resultset_id=smaller.id, table="labels", actor=as_admin("lead"))
    assert table_rows(engine, "labels").height == 7

    replaced = export_to_table(
        engine=engine, resultset_id=smaller.id, table="labels", replace=True, actor=as_admin("bob")
    )

    assert (replaced.resultset_id, replaced.resultset_name, replaced.row_count, replaced.created_by) == (
        smaller.id,
        "two",
        1,
        "bob",
    )
    assert table_rows(engine, "labels")["result_id"].to_list() == ids[6:]
    assert [(t.name, t.row_count) for t in list_datalog_tables(engine=engine, job_id=job.id)] == [("labels", 1)]
    assert table_counts(engine)["datalogtable"] == 1


def test_a_replace_that_fails_leaves_the_old_rows_and_registry(engine, resultset, monkeypatch):
    export_to_table(engine=engine, resultset_id=resultset.id, table="labels", actor=as_admin("lead"))
    before = table_rows(engine, "labels")
    monkeypatch.setattr(datalog, "_ROWS_SELECT", "SELECT no_such_column FROM resultsetitem")
    with pytest.raises(DBAPIError, match="no_such_column"):  # the failure injected, not any other
        export_to_table(engine=engine, resultset_id=resultset.id, table="labels", replace=True, actor=as_admin("bob"))
    assert table_rows(engine, "labels").equals(before)
    [entry] = list_datalog_tables(engine=engine, job_id=resultset.job_id)
    assert (entry.row_count, entry.created_by) == (7, "lead")


def test_replace_rebuilds_a_table_whose_columns_changed(engine, resultset):
    export_to_table(engine=engine, resultset_id=resultset.id, table="labels", actor=as_admin("lead"))
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE labels ADD COLUMN extra INTEGER"))
    export_to_table(engine=engine, resultset_id=resultset.id, table="labels", replace=True, actor=as_admin("lead"))
    assert [c["name"] for c in inspect(engine).get_columns("labels")] == list(ROW_COLUMNS)
    assert table_rows(engine, "labels").height == 7


def test_a_registered_table_dropped_by_hand_is_created_again(engine, resultset):
    export_to_table(engine=engine, resultset_id=resultset.id, table="labels", actor=as_admin("lead"))
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE labels"))
    export_to_table(engine=engine, resultset_id=resultset.id, table="labels", replace=True, actor=as_admin("lead"))
    assert table_rows(engine, "labels").height == 7


def test_list_and_preview(engine, job, ids, resultset, tmp_path):
    for name in ("zeta", "alpha"):
        export_to_table(engine=engine, resultset_id=resultset.id, table=name, actor=as_admin("lead"))
    other = import_catalog_job(engine, tmp_path / "other", name="other")
    accept(engine, result_ids(engine, other.id)[:2])
    other_rs = create_resultset(engine=engine, job_id=other.id, name="o", actor=as_admin("lead"))
    export_to_table(engine=engine, resultset_id=other_rs.id, table="other_labels", actor=as_admin("lead"))

    assert [t.name for t in list_datalog_tables(engine=engine, job_id=job.id)] == ["alpha", "zeta"]
    assert [t.name for t in list_datalog_tables(engine=engine, job_id=other.id)] == ["other_labels"]

    preview = preview_datalog_table(engine=engine, name="alpha", limit=3)
    assert preview.columns == list(ROW_COLUMNS)
    assert preview.schema == ROW_SCHEMA
    assert preview["result_id"].to_list() == ids[:3]
    assert preview_datalog_table(engine=engine, name="alpha").height == 7
    assert preview["class_changed"].to_list() == [False, True, False]


@pytest.mark.parametrize("name", ["result", "labeljob", "nope", "alpha; drop table result", "ALPHA"])
def test_preview_reads_only_registered_tables(engine, resultset, name):
    export_to_table(engine=engine, resultset_id=resultset.id, table="alpha", actor=as_admin("lead"))
    with pytest.raises(NotFound, match="not found"):
        preview_datalog_table(engine=engine, name=name)


def test_preview_limits_and_missing_resultsets(engine, resultset):
    export_to_table(engine=engine, resultset_id=resultset.id, table="alpha", actor=as_admin("lead"))
    for limit in (0, -1, 1001):
        with pytest.raises(BadInput, match="give 1 to 1,000 rows"):
            preview_datalog_table(engine=engine, name="alpha", limit=limit)
    with pytest.raises(NotFound, match="ResultSet"):
        export_to_table(engine=engine, resultset_id=resultset.id + 100, table="beta", actor=as_admin("lead"))
    assert "beta" not in inspect(engine).get_table_names()
