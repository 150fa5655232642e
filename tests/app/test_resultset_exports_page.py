"""The ResultSets page says what its exports hold before the downloads: how many complete images, how many partial
ones it leaves out and why, and offers to include them (off by default, with the warning beside it); the downloads
and the datalog export follow that choice (issue 12). Through Streamlit's AppTest, in the demo store drawn small."""

from __future__ import annotations

import io
import json
import zipfile

import polars as pl

from core.exports import export_summary, list_datalog_tables, parse_split
from core.review import decisions as review
from core.review import resultsets
from dashboard.resultset_panel import PARTIAL_WARNING, download_data
from tests.app.review_helpers import ANA, BO, captions, form_button, open_page, sign_in, store, widget_by_label  # noqa: F401  (store is a fixture)
from tests.app.visualize_helpers import frame_of, store_engine
from tests.builders import as_admin, as_reviewer

REVIEWER = as_reviewer(BO)
AT_THE_PAGE = as_reviewer(ANA)  # signed in by sign_in: download_data reads the role of an account


def some_complete_images(street: int):
    """Every result of the job's first two images accepted, and the cars elsewhere: partial images beside them."""
    frame = frame_of(street)
    first_two = frame["sample_id"].unique().sort().head(2)
    accepted = frame.filter(pl.col("sample_id").is_in(first_two.implode()) | (pl.col("class_row") == "car"))
    review.accept(
        engine=store_engine(),
        job_id=street,
        result_ids=accepted["result_id"].to_list(),
        from_state="pending",
        actor=REVIEWER,
    )
    resultset = resultsets.create_resultset(engine=store_engine(), job_id=street, name="mixed", actor=as_admin(BO))
    return resultset, frame.filter(pl.col("sample_id").is_in(first_two.implode()))


def test_the_page_names_what_the_exports_leave_out_and_includes_it_when_asked(store):
    street = store["street-scenes"]
    resultset, complete = some_complete_images(street)
    summary = export_summary(engine=store_engine(), resultset_id=resultset.id)
    # the demo's other cars share their images with pending results
    assert (summary.complete_images, summary.partial_images.counts(), complete.height, resultset.item_count) == (
        2,
        {"pending": 3, "rejected": 0, "accepted_since_saved": 0},
        16,
        20,
    )

    at = sign_in(open_page("resultsets", street))
    assert "Exports hold 2 complete images; 3 images still have pending results." in captions(at)
    box = at.checkbox(key=f"include_partial_{resultset.id}")
    assert (box.label, box.value) == ("Include partially reviewed images", False)
    assert PARTIAL_WARNING in captions(at) and not at.warning

    default = download_data(resultset_id=resultset.id, format="csv", user=AT_THE_PAGE)
    assert default.count(b"\n") - 1 == complete.height  # the complete images' results only
    widget_by_label(at.text_input, "Table name").input("complete_only")
    form_button(at, "Export").click().run()
    assert [(t.row_count, t.left_out_images) for t in list_datalog_tables(engine=store_engine(), job_id=street)] == [
        (complete.height, 3)
    ]
    assert at.success[0].value.endswith("lists it. 3 partially reviewed images left out.")

    box.check().run()
    assert [w.value for w in at.warning] == [PARTIAL_WARNING]
    everything = download_data(resultset_id=resultset.id, format="csv", user=AT_THE_PAGE, include_partial=True)
    assert everything.count(b"\n") - 1 == resultset.item_count
    widget_by_label(at.text_input, "Table name").input("everything")
    form_button(at, "Export").click().run()
    assert {
        t.name: (t.row_count, t.left_out_images) for t in list_datalog_tables(engine=store_engine(), job_id=street)
    } == {"complete_only": (complete.height, 3), "everything": (resultset.item_count, 0)}


def test_a_resultset_of_complete_images_only_offers_no_choice(store):
    fruit = store["fruit-stand"]
    review.accept(
        engine=store_engine(),
        job_id=fruit,
        result_ids=frame_of(fruit)["result_id"].to_list(),
        from_state="pending",
        actor=REVIEWER,
    )
    resultsets.create_resultset(engine=store_engine(), job_id=fruit, name="fruit", actor=as_admin(BO))
    at = sign_in(open_page("resultsets", fruit))
    assert "Exports hold 6 complete images: every image of this ResultSet is complete." in captions(at)
    assert [c.key for c in at.checkbox if c.key and c.key.startswith("include_partial_")] == []


def test_the_downloads_can_be_split_by_image_and_refuse_shares_that_miss_100(store):
    street = store["street-scenes"]
    resultset, _ = some_complete_images(street)
    at = sign_in(open_page("resultsets", street))
    downloads = len(at.get("download_button"))
    assert downloads == 4
    toggle = at.toggle(key=f"split_{resultset.id}")
    assert (toggle.label, toggle.value) == ("Split into train / val / test by image", False)
    toggle.set_value(True).run()
    assert not at.error and len(at.get("download_button")) == downloads
    at.number_input(key=f"split_{resultset.id}_val").set_value(30).run()
    assert [e.value for e in at.error] == ["The shares add up to 110 %, not 100 %."]
    assert len(at.get("download_button")) == 0  # no download of a split nobody asked for
    at.number_input(key=f"split_{resultset.id}_train").set_value(70).run()
    assert not at.error and len(at.get("download_button")) == downloads

    split = parse_split("train=0.7,val=0.3", seed=0)
    data = download_data(resultset_id=resultset.id, format="yolo", user=AT_THE_PAGE, split=split)
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(data)).read("manifest.json"))
    assert manifest["split"]["fractions"] == {"train": 0.7, "val": 0.3}
    assert sum(part["images"] for part in manifest["counts"].values()) == 2  # the complete images
