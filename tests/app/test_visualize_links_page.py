"""Deep links to the Visualize page through Streamlit's AppTest: a link's parameters fill the sidebar widgets and
the view, and a bad parameter (unknown class, not a number, a range upside down, a bad tab, page or page size) is
named in a warning while the rest of the link applies."""

from __future__ import annotations

import polars as pl
import pytest

from tests.app.visualize_helpers import (
    display_names,
    expected_table,
    frame_of,
    job_id,
    open_visualize,
    showing,
    tab_labels,
    table,
    warnings,
)

# ---- deep links ------------------------------------------------------------------------------------------------


def test_a_deep_link_fills_the_widgets_and_the_view(demo_store):
    street = job_id("street-scenes")
    frame = frame_of(street)
    expected = frame.filter(
        pl.col("class_row").is_in(["car", "person"])
        & ~pl.col("class_changed")
        & (pl.col("area_px") >= 1000)
        & (pl.col("adjustment_factor") <= 1.1)
        & (pl.col("iou") <= 0.95)
    )
    assert expected.height == 15
    at = open_visualize(
        street,
        classes=["car", "person"],
        class_changed="false",
        area_min="1000",
        factor_max="1.1",
        iou_max="0.95",
        group_by="pre-label class",
    )

    assert warnings(at) == []
    assert at.sidebar.multiselect(key="f_classes").value == ["car", "person"]
    assert at.sidebar.radio(key="f_changed").value == "False"
    assert at.sidebar.number_input(key="f_area_min").value == 1000.0
    assert at.sidebar.number_input(key="f_area_max").value is None
    assert at.sidebar.number_input(key="f_factor_max").value == 1.1
    assert at.toggle(key="f_advanced").value is True  # an advanced value in the link opens the advanced filters
    assert at.sidebar.number_input(key="f_iou_max").value == 0.95
    assert at.sidebar.selectbox(key="f_group_by").value == "pre-label class"
    assert showing(at) == (
        "Car, Person · Class Changed = False · Expert Review Area 1,000–… · "
        "Adjustment Factor …–1.1 · IoU …–0.95 · 15 results"
    )
    assert tab_labels(at)[0] == "Pending Review 15"
    names = display_names(street)
    assert table(at) == expected_table(expected, "pre_class_row", lambda c: names.get(c, c))


def test_bad_link_params_are_named_in_warnings_and_the_rest_applies(demo_store):
    street = job_id("street-scenes")
    at = open_visualize(
        street,
        classes=["car", "zebra"],
        class_changed="maybe",
        area_min="abc",
        factor_min="nan",
        factor_max="inf",
        iou_min="0.9",
        iou_max="0.2",
        change_kinds="deleted",
        group_by="colour",
        slice="bogus",
        result="xyz",
        confidence_min="-0.5",
    )
    assert sorted(warnings(at)) == sorted(
        [
            "ignored unknown class(es) in the link: zebra",
            "ignored unknown change kind(s): deleted",
            "ignored class_changed='maybe' (expected true or false)",
            "ignored area_min='abc' (not a number)",
            "ignored factor_min='nan' (not a finite number)",
            "ignored factor_max='inf' (not a finite number)",
            "ignored iou_min/iou_max: the minimum 0.9 is above the maximum 0.2",
            "ignored group_by='colour' (expected one of expert review class, pre-label class, image)",
            "ignored slice='bogus' (expected column:value with a column of class_row, pre_class_row, file_path, "
            "class_changed)",
            "ignored result='xyz' (not a result id)",
            "ignored confidence_min='-0.5' (below 0)",
        ]
    )
    assert showing(at) == "Car · 14 results"
    assert table(at) == [("Car", 0, 14, 14)]
    assert at.sidebar.multiselect(key="f_classes").value == ["car"]
    assert at.sidebar.selectbox(key="f_group_by").value == "expert review class"


@pytest.mark.parametrize(("key", "raw"), [("tab", "archived"), ("page", "abc"), ("page_size", "13")])
def test_a_bad_bound_param_in_the_link_is_named_in_a_warning(demo_store, key, raw):
    at = open_visualize(job_id("street-scenes"), **{key: raw})
    assert any(f"{key}={raw!r}" in w for w in warnings(at))
