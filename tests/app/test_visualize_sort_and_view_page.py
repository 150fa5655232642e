"""The Visualize page's grid sort and workspace views through Streamlit's AppTest: a sort in the link orders the
grid and fills the sort box, choosing a sort writes the URL and goes back to the first page, a bad sort or view in
the link is named, and the charts are drawn only in the Charts view. The order is checked against Python's
sorted() over the job's results frame."""

from __future__ import annotations

import polars as pl
import pytest

from tests.app.visualize_helpers import expected_tiles, frame_of, job_id, open_visualize, tile_ids, warnings

# ---- sort and workspace views ----------------------------------------------------------------------------------


def expected_sorted(frame: pl.DataFrame, column: str, *, descending: bool = False, page_size: int = 24) -> list[int]:
    """Python's sorted(): results without the value last, ties by result id."""
    rows = [(r[column], r["result_id"]) for r in frame.iter_rows(named=True)]
    ordered = sorted(rows, key=lambda r: (r[0] is None, -(r[0] or 0) if descending else (r[0] or 0), r[1]))
    return [result_id for _, result_id in ordered][:page_size]


def test_a_sort_in_the_link_orders_the_grid_and_the_sort_box_follows(demo_store):
    street = job_id("street-scenes")
    frame = frame_of(street)
    at = open_visualize(street, sort="iou")
    assert at.selectbox(key="grid_sort").value == "iou"
    assert tile_ids(at) == expected_sorted(frame, "iou")
    first = frame.filter(pl.col("result_id") == tile_ids(at)[0])["iou"].item()
    assert first == frame["iou"].min() < 0.6


def test_choosing_a_sort_writes_the_url_and_goes_back_to_the_first_page(demo_store):
    street = job_id("street-scenes")
    frame = frame_of(street)
    at = open_visualize(street, page="2")
    at.selectbox(key="grid_sort").set_value("area").run()
    assert not at.exception, at.exception
    assert at.query_params.get("sort") == "area" and at.pagination[0].value == 1
    assert tile_ids(at) == expected_sorted(frame, "area_px")
    at.selectbox(key="grid_sort").set_value("table").run()
    assert "sort" not in at.query_params
    assert tile_ids(at) == expected_tiles(frame)


@pytest.mark.parametrize(
    ("key", "raw", "notice"),
    [
        (
            "sort",
            "newest",
            "ignored sort='newest' (expected one of table, iou, adjustment, area, confidence, change_kind, file)",
        ),
        ("view", "map", "ignored view='map' (expected one of images, charts, spot_check)"),
    ],
)
def test_a_bad_sort_or_view_in_the_link_is_named(demo_store, key, raw, notice):
    at = open_visualize(job_id("street-scenes"), **{key: raw})
    assert notice in warnings(at)
    assert tile_ids(at) == expected_tiles(frame_of(job_id("street-scenes")))


def test_the_charts_are_drawn_only_in_the_charts_view(demo_store):
    street = job_id("street-scenes")
    at = open_visualize(street)
    assert at.segmented_control(key="workspace").value == "images" and len(at.get("plotly_chart")) == 0
    at.segmented_control(key="workspace").set_value("charts").run()
    assert at.query_params["view"] == "charts"
    assert len(at.get("plotly_chart")) == 3  # the confusion matrix and the two distributions
    assert tile_ids(at) == []
    # Classification: the matrix alone.
    assert len(open_visualize(job_id("fruit-stand"), view="charts").get("plotly_chart")) == 1
