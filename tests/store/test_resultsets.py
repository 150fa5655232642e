"""ResultSets: a frozen snapshot of the accepted results, names, listing, rename, delete, and the frame every export
reads. SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

from core.domain.errors import BadInput, NotFound
from core.exports import export_to_table, preview_datalog_table
from core.review.resultsets import (
    FRAME_SCHEMA,
    create_resultset,
    delete_resultset,
    get_resultset,
    list_resultsets,
    rename_resultset,
    resultset_frame,
)
from core.store import db
from core.store.db import init_db, make_engine, schema_version
from tests.builders import ADMIN, as_admin, table_counts
from tests.resultset_builders import FINAL_LABELS, accept, import_catalog_job, import_fruit_job, result_ids, set_state


def items(engine, resultset_id):
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                text(
                    "SELECT result_id, class_name, x, y, w, h, reviewed_by FROM resultsetitem WHERE resultset_id = :id "
                    "ORDER BY result_id"
                ),
                {"id": resultset_id},
            )
        ]


def expected_item(ids, index, reviewer):
    _, class_name, box = FINAL_LABELS[index]
    return (ids[index], class_name, *(box or (None,) * 4), reviewer)


def test_a_resultset_holds_each_accepted_result_with_its_final_label_and_reviewer(engine, job, ids):
    accept(engine, [ids[0], ids[1]], reviewer="ann")
    accept(engine, [ids[3], ids[5]], reviewer="bob")  # bird (added) and the removed box of b.png
    set_state(engine, [ids[4]], "rejected")

    resultset = create_resultset(engine=engine, job_id=job.id, name="first", note="  week 1 ", actor=as_admin("lead"))

    assert (resultset.job_id, resultset.name, resultset.note, resultset.item_count, resultset.created_by) == (
        job.id,
        "first",
        "week 1",
        4,
        "lead",
    )
    assert items(engine, resultset.id) == [
        expected_item(ids, 0, "ann"),
        expected_item(ids, 1, "ann"),
        expected_item(ids, 3, "bob"),
        (ids[5], None, None, None, None, None, "bob"),  # removed: "no box here", no class
    ]
    stored = get_resultset(engine=engine, resultset_id=resultset.id)
    assert (stored.name, stored.item_count) == ("first", 4)


def test_later_reviews_never_change_a_resultset(engine, job, ids):
    accept(engine, ids[:3], reviewer="ann")
    first = create_resultset(engine=engine, job_id=job.id, name="first", actor=as_admin("lead"))
    before_items = items(engine, first.id)
    before_frame = resultset_frame(engine=engine, resultset_id=first.id)

    set_state(engine, ids[:2], "rejected", reviewer="carl")  # two of them rejected now
    accept(engine, ids[3:], reviewer="dora")  # and the rest accepted
    set_state(engine, [ids[2]], "pending")

    assert items(engine, first.id) == before_items
    assert resultset_frame(engine=engine, resultset_id=first.id).equals(before_frame)
    assert get_resultset(engine=engine, resultset_id=first.id).item_count == 3
    second = create_resultset(engine=engine, job_id=job.id, name="second", actor=as_admin("lead"))
    assert second.item_count == 4
    assert [i[0] for i in items(engine, second.id)] == ids[3:]
    assert {i[-1] for i in items(engine, second.id)} == {"dora"}


def test_a_job_without_accepted_results_has_no_resultset(engine, job, ids):
    set_state(engine, ids[:3], "rejected")
    with pytest.raises(BadInput, match="no accepted results"):
        create_resultset(engine=engine, job_id=job.id, name="empty", actor=as_admin("lead"))
    assert list_resultsets(engine=engine, job_id=job.id) == []
    assert table_counts(engine)["resultset"] == 0


def test_an_unknown_job_is_not_found(engine):
    with pytest.raises(NotFound, match="job 999"):
        create_resultset(engine=engine, job_id=999, name="x", actor=as_admin("lead"))


@pytest.mark.parametrize(
    ("name", "problem"),
    [("", "empty"), ("   ", "empty"), ("x" * 101, "101 characters, at most 100"), (" " + "y" * 101, "at most 100")],
)
def test_bad_names_are_refused_naming_the_problem(engine, job, ids, name, problem):
    accept(engine, ids)
    with pytest.raises(BadInput, match=problem):
        create_resultset(engine=engine, job_id=job.id, name=name, actor=as_admin("lead"))
    assert table_counts(engine)["resultset"] == 0


def test_names_are_stripped_and_unique_per_job(engine, job, ids, tmp_path):
    accept(engine, ids)
    longest = create_resultset(engine=engine, job_id=job.id, name=" " + "n" * 100 + " ", actor=as_admin("lead"))
    assert longest.name == "n" * 100
    create_resultset(engine=engine, job_id=job.id, name="golden", actor=as_admin("lead"))
    with pytest.raises(BadInput, match="already has a ResultSet of that name"):
        create_resultset(engine=engine, job_id=job.id, name="  golden\t", actor=as_admin("other"))

    other = import_catalog_job(engine, tmp_path / "other", name="street-2")
    accept(engine, result_ids(engine, other.id)[:1])
    assert create_resultset(engine=engine, job_id=other.id, name="golden", actor=as_admin("lead")).item_count == 1
    assert [r.name for r in list_resultsets(engine=engine, job_id=job.id)] == ["golden", "n" * 100]


def test_list_is_newest_first_and_get_of_a_missing_one_is_none(engine, job, ids):
    accept(engine, ids)
    made = [create_resultset(engine=engine, job_id=job.id, name=f"rs{i}", actor=as_admin("lead")).id for i in range(3)]
    assert [r.id for r in list_resultsets(engine=engine, job_id=job.id)] == made[::-1]
    assert list_resultsets(engine=engine, job_id=job.id + 1) == []
    assert get_resultset(engine=engine, resultset_id=made[-1] + 100) is None


def test_rename(engine, job, ids):
    accept(engine, ids)
    a = create_resultset(engine=engine, job_id=job.id, name="a", actor=as_admin("lead"))
    create_resultset(engine=engine, job_id=job.id, name="b", actor=as_admin("lead"))

    assert rename_resultset(actor=ADMIN, engine=engine, resultset_id=a.id, name="  golden  ").name == "golden"
    assert get_resultset(engine=engine, resultset_id=a.id).name == "golden"
    assert (
        rename_resultset(actor=ADMIN, engine=engine, resultset_id=a.id, name="golden").name == "golden"
    )  # its own name
    with pytest.raises(BadInput, match="already has a ResultSet of that name"):
        rename_resultset(actor=ADMIN, engine=engine, resultset_id=a.id, name="b")
    with pytest.raises(BadInput, match="empty"):
        rename_resultset(actor=ADMIN, engine=engine, resultset_id=a.id, name=" ")
    with pytest.raises(NotFound):
        rename_resultset(actor=ADMIN, engine=engine, resultset_id=a.id + 100, name="c")
    assert sorted(r.name for r in list_resultsets(engine=engine, job_id=job.id)) == ["b", "golden"]


def test_delete_takes_the_items_and_leaves_the_datalog_tables_as_exported_data(engine, job, ids):
    accept(engine, ids)
    keep = create_resultset(engine=engine, job_id=job.id, name="keep", actor=as_admin("lead"))
    gone = create_resultset(engine=engine, job_id=job.id, name="gone", actor=as_admin("lead"))
    export_to_table(engine=engine, resultset_id=gone.id, table="gone_labels", actor=as_admin("lead"))

    delete_resultset(actor=ADMIN, engine=engine, resultset_id=gone.id)

    assert [r.id for r in list_resultsets(engine=engine, job_id=job.id)] == [keep.id]
    assert items(engine, gone.id) == []
    assert len(items(engine, keep.id)) == 7
    with engine.connect() as conn:
        registry = conn.execute(
            text("SELECT job_id, resultset_id, resultset_name, row_count FROM datalogtable WHERE name = 'gone_labels'")
        ).one()
    assert tuple(registry) == (job.id, None, "gone", 7)
    assert preview_datalog_table(engine=engine, name="gone_labels")["result_id"].to_list() == ids
    with pytest.raises(NotFound):
        delete_resultset(actor=ADMIN, engine=engine, resultset_id=gone.id)
    with pytest.raises(NotFound):
        resultset_frame(engine=engine, resultset_id=gone.id)


def test_replacing_the_job_deletes_its_resultsets_but_not_its_datalog_tables(engine, job, ids, tmp_path):
    accept(engine, ids)
    resultset = create_resultset(engine=engine, job_id=job.id, name="rs", actor=as_admin("lead"))
    export_to_table(engine=engine, resultset_id=resultset.id, table="street_labels", actor=as_admin("lead"))

    import_catalog_job(engine, tmp_path / "again", name="street", replace=True)

    counts = table_counts(engine)
    assert (counts["resultset"], counts["resultsetitem"], counts["datalogtable"]) == (0, 0, 1)
    with engine.connect() as conn:
        assert tuple(conn.execute(text("SELECT job_id, resultset_id, resultset_name FROM datalogtable")).one()) == (
            None,
            None,
            "rs",
        )
    assert preview_datalog_table(engine=engine, name="street_labels").height == 7


def test_the_frame_joins_items_with_their_samples_and_metrics(engine, job, ids):
    accept(engine, ids[1:7], reviewer="ann")
    resultset = create_resultset(engine=engine, job_id=job.id, name="rs", actor=as_admin("lead"))

    frame = resultset_frame(engine=engine, resultset_id=resultset.id)

    assert frame.schema == FRAME_SCHEMA
    assert frame["result_id"].to_list() == ids[1:7]
    rows = frame.select(
        "file_path",
        "width",
        "height",
        "class_name",
        "pre_class",
        "change_kind",
        "class_changed",
        "x",
        "y",
        "w",
        "h",
        "iou",
        "area_px",
        "area_fraction",
        "adjustment_factor",
        "pre_confidence",
        "reviewed_by",
    ).rows()
    assert rows == [
        ("a.png", 100, 50, "dog", "cat", "relabeled", True, 50.0, 10.0, 20.0, 20.0, 1.0, 400.0, 0.08, 1.0, 0.8, "ann"),
        ("a.png", 100, 50, "cat", "cat", "adjusted", False, 0.0, 30.0, 20.0, 10.0, 0.5, 200.0, 0.04, 2.0, 0.7, "ann"),
        ("b.png", 40, 40, "bird", None, "added", True, 0.0, 0.0, 10.0, 10.0, None, 100.0, 0.0625, None, None, "ann"),
        ("b.png", 40, 40, "dog", "dog", "adjusted", False, 0.0, 20.0, 10.0, 10.0, 0.5, 100.0, 0.0625, 0.5, 0.5, "ann"),
        ("b.png", 40, 40, None, "dog", "removed", True, None, None, None, None, None, None, None, None, 0.6, "ann"),
        (
            "d.png",
            60,
            40,
            "cat",
            "cat",
            "unchanged",
            False,
            5.0,
            5.0,
            10.0,
            10.0,
            1.0,
            100.0,
            100 / 2400,
            1.0,
            0.95,
            "ann",
        ),
    ]


def test_a_classification_resultset_has_classes_and_no_boxes(engine, tmp_path):
    fruit = import_fruit_job(engine, tmp_path / "fruit")
    ids = result_ids(engine, fruit.id)
    accept(engine, [ids[1], ids[3]])
    resultset = create_resultset(engine=engine, job_id=fruit.id, name="fruit-rs", actor=as_admin("lead"))
    frame = resultset_frame(engine=engine, resultset_id=resultset.id)
    assert frame.select("file_path", "class_name", "pre_class", "change_kind", "x", "w").rows() == [
        ("c2.png", "pear", "apple", "relabeled", None, None),
        ("c4.png", "apple", "plum", "relabeled", None, None),
    ]


def test_a_version_1_store_gains_the_item_reviewer_column_and_keeps_its_items(store_url, tmp_path, monkeypatch):
    engine = make_engine(store_url)
    init_db(engine)
    job = import_catalog_job(engine, tmp_path / "job")
    accept(engine, result_ids(engine, job.id)[:2])
    resultset = create_resultset(engine=engine, job_id=job.id, name="old", actor=as_admin("lead"))
    with engine.begin() as conn:  # resultsetitem as version 1 made it
        conn.execute(text("ALTER TABLE resultsetitem DROP COLUMN reviewed_by"))
        conn.execute(text("UPDATE schemaversion SET version = 1"))
    # only the 1 → 2 step is under test: the later ones find their work done
    for step in set(db.UPGRADES) - {1}:
        monkeypatch.setitem(db.UPGRADES, step, lambda conn: None)

    init_db(engine)

    assert schema_version(engine) == db.SCHEMA_VERSION >= 2
    assert "reviewed_by" in {c["name"] for c in inspect(engine).get_columns("resultsetitem")}
    assert [i[-1] for i in items(engine, resultset.id)] == [None, None]  # kept, reviewer unknown
    engine.dispose()
