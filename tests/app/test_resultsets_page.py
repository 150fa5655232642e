"""ResultSets through Streamlit's AppTest: Save as ResultSet on the Visualize page's Accepted tab, and the
ResultSets page, which lists, opens, renames and deletes them, offers the downloads each job kind has (refused
when clicked after a demotion or removal), exports one to a datalog table that the Catalog then lists, and shows a
viewer a ResultSet read-only. In a store of the test's own (the demo jobs drawn small)."""

from __future__ import annotations

import polars as pl
import pytest

from core.auth import users
from core.auth.access import Actor, Role, operator
from core.domain.errors import Forbidden
from core.exports import list_datalog_tables
from core.review import decisions as review
from core.review import resultsets
from dashboard.resultset_panel import download_data
from tests.app.conftest import click_in_dialog, plain
from tests.app.review_helpers import (
    ANA,
    BO,
    IN_PERSON_BICYCLE,
    buttons,
    captions,
    click,
    form_button,
    ids_where,
    keyed_ids,
    open_page,
    open_visualize,
    popovers,
    sign_in,
    store,  # noqa: F401  (the fixture: the demo jobs, drawn small)
    widget_by_label,
)
from tests.app.visualize_helpers import frame_of, store_engine
from tests.builders import as_admin, as_reviewer

# ---- Save as ResultSet -----------------------------------------------------------------------------------------


def test_save_the_accepted_results_as_a_resultset(store):
    street = store["street-scenes"]
    at = sign_in(open_visualize(street, tab="accepted"))
    assert popovers(at) == {
        "Reject 0 shown": True,
        "Save all 0 accepted results of the job as a ResultSet": True,
    }  # nothing accepted yet
    accepted = ids_where(frame_of(street), IN_PERSON_BICYCLE)
    review.accept(
        engine=store_engine(), job_id=street, result_ids=accepted, from_state="pending", actor=as_reviewer(BO)
    )
    at.run()
    assert popovers(at)["Save all 24 accepted results of the job as a ResultSet"] is False

    widget_by_label(at.text_input, "Name").input("people and bikes")
    widget_by_label(at.text_area, "Note (optional)").input("first pass")
    form_button(at, "Save").click().run()
    assert not at.exception, at.exception
    [saved] = resultsets.list_resultsets(engine=store_engine(), job_id=street)
    assert (saved.name, saved.note, saved.item_count, saved.created_by) == ("people and bikes", "first pass", 24, ANA)
    assert resultsets.resultset_frame(engine=store_engine(), resultset_id=saved.id)["result_id"].to_list() == accepted
    assert [s.value for s in at.success] == ["Saved ResultSet 'people and bikes': 24 accepted results."]
    link = at.page_link[-1].proto
    assert (link.label, link.page, link.query_string) == (
        "Open ResultSets",
        "resultsets",
        f"job={street}&resultset={saved.id}",
    )

    widget_by_label(at.text_input, "Name").input("people and bikes")
    form_button(at, "Save").click().run()
    assert [plain(e.value) for e in at.error] == [
        f"ResultSet name 'people and bikes': job {street} already has a ResultSet of that name (id {saved.id})"
    ]
    assert len(resultsets.list_resultsets(engine=store_engine(), job_id=street)) == 1


# ---- the ResultSets page ---------------------------------------------------------------------------------------


def two_resultsets(street: int) -> tuple:
    engine = store_engine()
    frame = frame_of(street)
    review.accept(
        engine=engine,
        job_id=street,
        result_ids=ids_where(frame, pl.col("class_row") == "car"),
        from_state="pending",
        actor=as_reviewer(BO),
    )
    cars = resultsets.create_resultset(engine=engine, job_id=street, name="cars", actor=as_admin(BO))
    review.accept(
        engine=engine,
        job_id=street,
        result_ids=ids_where(frame, pl.col("class_row") == "dog"),
        from_state="pending",
        actor=as_reviewer(BO),
    )
    cars_and_dogs = resultsets.create_resultset(
        engine=engine, job_id=street, name="cars and dogs", note="v2", actor=as_admin(BO)
    )
    return cars, cars_and_dogs


def test_the_resultsets_page_lists_renames_and_deletes(store, monkeypatch):
    street = store["street-scenes"]
    cars, cars_and_dogs = two_resultsets(street)
    at = open_page("resultsets", street)
    listed = at.dataframe[0].value
    assert listed[["ResultSet", "results", "saved by", "note"]].values.tolist() == [
        ["cars and dogs", 15, BO, "v2"],
        ["cars", 7, BO, ""],
    ]
    assert [s.value for s in at.subheader] == ["cars and dogs"]  # the newest is open
    assert at.query_params["resultset"] == str(cars_and_dogs.id)
    assert (
        f"15 accepted results · 0 complete images, 7 partial when saved · saved by {BO} on "
        f"{cars_and_dogs.created_at:%d %b %Y %H:%M} · v2"
    ) in captions(at)
    items = resultsets.resultset_frame(engine=store_engine(), resultset_id=cars_and_dogs.id)["result_id"]
    assert keyed_ids(at, "rs_tile_") == sorted(items.to_list()) and items.len() == 15

    # A link opens another one.
    at = open_page("resultsets", street, resultset=str(cars.id))
    assert [s.value for s in at.subheader] == ["cars"]
    at = open_page("resultsets", street)

    at.text_input(key=f"rename_{cars_and_dogs.id}").input("  pets and cars ")
    click(at, f"rename_save_{cars_and_dogs.id}")
    assert at.dataframe[0].value["ResultSet"].tolist() == ["pets and cars", "cars"]
    assert [s.value for s in at.subheader] == ["pets and cars"]
    at.text_input(key=f"rename_{cars_and_dogs.id}").input("cars")
    click(at, f"rename_save_{cars_and_dogs.id}")
    assert [plain(e.value) for e in at.error] == [
        f"ResultSet name 'cars': job {street} already has a ResultSet of that name (id {cars.id})"
    ]

    click(at, f"delete_{cars_and_dogs.id}")
    [dialog] = at.get("dialog")
    assert dialog.proto.dialog.title == "Delete ResultSet"
    assert any("Delete **pets and cars** (15 results)?" in m.value for m in at.markdown)
    assert len(resultsets.list_resultsets(engine=store_engine(), job_id=street)) == 2  # asked, not done
    click_in_dialog(at, "confirm_delete", monkeypatch)
    assert [r.name for r in resultsets.list_resultsets(engine=store_engine(), job_id=street)] == ["cars"]
    assert at.dataframe[0].value["ResultSet"].tolist() == ["cars"]
    assert [s.value for s in at.subheader] == ["cars"] and at.query_params["resultset"] == str(cars.id)
    assert at.get("dialog") == []


def test_a_job_without_resultsets_points_to_the_visualize_page(store):
    at = open_page("resultsets", store["street-scenes"])
    assert [i.value for i in at.info] == [
        "No ResultSets yet: accept results on the Visualize page, then use Save as ResultSet on its Accepted tab."
    ]


def test_downloads_in_every_format_and_only_the_box_formats_for_detection(store):
    street, fruit = store["street-scenes"], store["fruit-stand"]
    two_resultsets(street)
    at = open_page("resultsets", street)
    assert [(d.key, d.label, d.disabled) for d in at.download_button] == [
        ("download_coco", "COCO JSON", False),
        ("download_yolo", "YOLO (zip)", False),
        ("download_voc", "Pascal VOC (zip)", False),
        ("download_csv", "CSV", False),
    ]

    review.accept(
        engine=store_engine(),
        job_id=fruit,
        result_ids=frame_of(fruit)["result_id"].to_list(),
        from_state="pending",
        actor=as_reviewer(BO),
    )
    resultsets.create_resultset(engine=store_engine(), job_id=fruit, name="fruit", actor=as_admin(BO))
    at = open_page("resultsets", fruit)
    assert [(d.key, d.label) for d in at.download_button] == [("download_coco", "COCO JSON"), ("download_csv", "CSV")]
    assert buttons(at, "download_") == {
        "download_yolo_disabled": ("YOLO (zip)", True),
        "download_voc_disabled": ("Pascal VOC (zip)", True),
    }


def test_a_download_drawn_before_a_demotion_or_removal_is_refused_when_clicked(store):
    """The download is built when clicked, maybe long after the page run that drew its button: the role is read
    again then (a fragment or dialog rerun re-reads it the same way, through still_signed_in)."""
    _, cars_and_dogs = two_resultsets(store["street-scenes"])
    at = open_page("resultsets", store["street-scenes"], user="lee")
    assert at.download_button  # drawn for lee, a reviewer
    drawn_for = Actor(name="lee", role=Role.REVIEWER)
    assert (
        download_data(resultset_id=cars_and_dogs.id, format="csv", user=drawn_for, include_partial=True).count(b"\n")
        == 16
    )
    users.set_role(engine=store_engine(), name="lee", role="viewer", actor=operator())
    with pytest.raises(Forbidden, match="viewer"):
        download_data(resultset_id=cars_and_dogs.id, format="csv", user=drawn_for)
    users.remove_user(engine=store_engine(), name="lee", actor=operator())
    with pytest.raises(Forbidden, match="lee no longer has a LabelDeck role"):
        download_data(resultset_id=cars_and_dogs.id, format="csv", user=drawn_for)


def test_export_to_a_datalog_table_then_the_catalog_lists_it(store):
    street = store["street-scenes"]
    _, cars_and_dogs = two_resultsets(street)
    at = sign_in(open_page("resultsets", street))
    at.checkbox(key=f"include_partial_{cars_and_dogs.id}").check().run()  # its images are all partial
    widget_by_label(at.text_input, "Table name").input("Cars And Dogs")
    form_button(at, "Export").click().run()
    assert [plain(e.value) for e in at.error] == [
        "datalog table name 'Cars And Dogs': use 1 to 63 characters, lower-case letters, digits and _, starting with a "
        "letter"
    ]
    widget_by_label(at.text_input, "Table name").input("result")  # a LabelDeck table
    form_button(at, "Export").click().run()
    assert len(at.error) == 1 and "result" in at.error[0].value
    assert list_datalog_tables(engine=store_engine(), job_id=street) == []

    widget_by_label(at.text_input, "Table name").input("cars_and_dogs")
    form_button(at, "Export").click().run()
    assert [s.value for s in at.success] == [
        "Exported 15 rows to the datalog table cars_and_dogs; the Catalog lists it."
    ]
    [table] = list_datalog_tables(engine=store_engine(), job_id=street)
    assert (table.name, table.row_count, table.resultset_name, table.created_by) == (
        "cars_and_dogs",
        15,
        "cars and dogs",
        ANA,
    )

    at = open_page("catalog", street)
    frames = {tuple(d.value.columns)[:2]: d.value for d in at.dataframe}
    assert frames[("table", "rows")].values.tolist() == [["cars_and_dogs", 15, 0, "cars and dogs"]]
    assert at.selectbox(key="catalog_table").value == "cars_and_dogs"
    preview = frames[("result_id", "file_path")]
    expected = resultsets.resultset_frame(engine=store_engine(), resultset_id=cars_and_dogs.id)
    assert sorted(preview["result_id"].tolist()) == sorted(expected["result_id"].to_list())
    assert set(preview["class_name"]) == {"car", "dog"} and set(preview["reviewer"]) == {BO}
    assert frames[("ResultSet", "results")].values.tolist() == [["cars and dogs", 15, BO], ["cars", 7, BO]]


def test_a_viewer_sees_a_resultset_but_cannot_download_rename_delete_or_export_it(store):
    street = store["street-scenes"]
    _, cars_and_dogs = two_resultsets(street)
    at = open_page("resultsets", street, user="lee")
    users.set_role(engine=store_engine(), name="lee", role="viewer", actor=operator())
    at.run()
    assert [s.value for s in at.subheader] == ["cars and dogs"]
    assert keyed_ids(at, "rs_tile_") and not at.download_button
    assert not [b for b in at.button if b.key and b.key.startswith(("delete_", "rename_"))]
    assert not [e for e in at.expander if e.label == "Export to a datalog table"]
    assert (
        "Read-only: you are signed in as a viewer; downloading, renaming or exporting a ResultSet needs the "
        "reviewer role."
    ) in [c.value.removeprefix(":material/visibility: ") for c in at.caption]
