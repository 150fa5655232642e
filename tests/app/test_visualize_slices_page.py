"""Slices of the Visualize page through Streamlit's AppTest: a slice in the link shows exactly that cell of the
Class Changed table (or of the confusion matrix) and selects it, a click on a table cell selects its slice and a
second click clears it, a slice goes with a filter, and applying a filter clears the slice. The grid's tiles are
checked against the job's results frame."""

from __future__ import annotations

import polars as pl
import pytest

from tests.app.conftest import tile_captions
from tests.app.visualize_helpers import (
    apply,
    frame_of,
    job_id,
    open_visualize,
    select_cell,
    selected_cell,
    showing,
    tab_labels,
    table,
    tile_ids,
    warnings,
)


def test_a_link_to_a_slice_shows_exactly_that_cell(demo_store):
    street = job_id("street-scenes")
    frame = frame_of(street)
    expected = frame.filter((pl.col("class_row") == "dog") & pl.col("class_changed"))
    at = open_visualize(street, slice=["class_row:dog", "class_changed:true"])
    assert warnings(at) == []
    assert showing(at) == "Dog · Class Changed = True · 5 results"
    assert tile_ids(at) == expected["result_id"].to_list() == [16, 28, 34, 60, 96]
    # The table still shows every class (the slice selects a cell of it, it does not filter it).
    assert len(table(at)) == 6
    assert tab_labels(at)[0] == "Pending Review 90"


@pytest.mark.parametrize(
    ("row", "column", "url", "caption", "tiles"),
    [
        (
            1,
            "True",
            ["class_row:dog", "class_changed:true"],
            "Dog · Class Changed = True · 5 results",
            [16, 28, 34, 60, 96],
        ),
        (3, "False", ["class_row:car", "class_changed:false"], "Car · Class Changed = False · 14 results", None),
        (4, "Total", "class_row:(removed)", "(removed) · 6 results", [76, 77, 78, 81, 85, 98]),
    ],
)
def test_selecting_a_table_cell_selects_that_slice(demo_store, row, column, url, caption, tiles):
    street = job_id("street-scenes")
    at = select_cell(open_visualize(street), row, column)
    assert at.query_params == {"job": str(street), "slice": url}
    assert showing(at) == caption
    if tiles is not None:
        assert tile_ids(at) == tiles
    assert selected_cell(at) == [[row, column]]
    assert len(table(at)) == 6  # the table itself is not narrowed


def test_selecting_an_image_cell_when_grouped_by_image(demo_store):
    street = job_id("street-scenes")
    at = open_visualize(street, group_by="image")
    assert table(at)[0][0] == "scene_0011.jpg"
    select_cell(at, 0, "True")
    assert at.query_params["slice"] == ["file_path:scene_0011.jpg", "class_changed:true"]
    assert showing(at) == "scene_0011.jpg · Class Changed = True · 4 results"
    assert tile_ids(at) == [69]  # one tile for the image, grouped by image
    assert "scene_0011.jpg · 4 results · 4 changed" in tile_captions(at)


def test_a_slice_link_selects_its_cell_in_the_table(demo_store):
    street = job_id("street-scenes")
    assert selected_cell(open_visualize(street)) is None
    assert selected_cell(open_visualize(street, slice=["class_row:dog", "class_changed:false"])) == [[1, "False"]]
    assert selected_cell(open_visualize(street, slice="class_row:car")) == [[3, "Total"]]
    # A slice of another grouping selects no cell, and still narrows the grid.
    at = open_visualize(street, slice="class_row:car", group_by="image")
    assert selected_cell(at) is None
    assert showing(at) == "Car · 14 results"


def test_a_slice_and_a_filter_together(demo_store):
    street = job_id("street-scenes")
    expected = frame_of(street).filter((pl.col("class_row") == "person") & (pl.col("area_px") >= 5000))
    at = open_visualize(street, area_min="5000", slice="class_row:person")
    assert showing(at) == f"Person · Expert Review Area 5,000–… · {expected.height} results"
    assert expected.height == 10
    assert tile_ids(at) == expected["result_id"].to_list() == [20, 21, 31, 43, 49, 61, 73, 74, 83, 97]


def test_a_slice_of_the_confusion_matrix(demo_store):
    street = job_id("street-scenes")
    at = open_visualize(street, slice=["pre_class_row:person", "class_row:dog"])
    assert showing(at) == "pre-label Person · Dog · 3 results"
    assert tile_ids(at) == [28, 34, 96]


def test_applying_a_filter_clears_the_slice(demo_store):
    street = job_id("street-scenes")
    at = apply(open_visualize(street, slice="class_row:dog"), f_changed="True")
    assert "slice" not in at.query_params
    assert showing(at) == "Class Changed = True · 17 results"


def test_a_click_on_the_selected_cell_clears_the_slice_and_a_label_selects_its_row(demo_store):
    street = job_id("street-scenes")
    at = select_cell(open_visualize(street), 1, "True")
    assert at.query_params["slice"] == ["class_row:dog", "class_changed:true"]
    select_cell(at, 1, "True")
    assert "slice" not in at.query_params and showing(at) == "all results · 90 results"
    select_cell(at, 3, "Total")  # what a click on the row's label sends
    assert at.query_params["slice"] == "class_row:car" and selected_cell(at) == [[3, "Total"]]
