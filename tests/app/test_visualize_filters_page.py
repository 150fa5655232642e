"""The Visualize page's sidebar filters through Streamlit's AppTest: each filter narrows every count (tabs,
stats, table, grid) and writes the URL, a reset forgets them, a hidden advanced filter is not applied, a minimum
above its maximum is named and not applied, applying a filter goes back to the first grid page, and a box filter
in a classification link can be cleared. Every number is checked against an independent polars count over the
job's results frame."""

from __future__ import annotations

import polars as pl
import pytest

from tests.app.conftest import stats
from tests.app.visualize_helpers import (
    apply,
    display_names,
    expected_table,
    expected_tiles,
    frame_of,
    job_id,
    open_visualize,
    showing,
    tab_labels,
    table,
    tile_ids,
    warnings,
)

# ---- sidebar filters -------------------------------------------------------------------------------------------

FILTER_CASES = {
    "classes": ({"f_classes": ["car", "dog"]}, pl.col("class_row").is_in(["car", "dog"]), {"classes": ["car", "dog"]}),
    "removed class": ({"f_classes": ["(removed)"]}, pl.col("class_row") == "(removed)", {"classes": "(removed)"}),
    "class changed": ({"f_changed": "True"}, pl.col("class_changed"), {"class_changed": "true"}),
    "class unchanged": ({"f_changed": "False"}, ~pl.col("class_changed"), {"class_changed": "false"}),
    "area": (
        {"f_area_min": 1000.0, "f_area_max": 5000.0},
        pl.col("area_px").is_between(1000, 5000),
        {"area_min": "1000.0", "area_max": "5000.0"},
    ),
    "factor": (
        {"f_factor_min": 0.9, "f_factor_max": 1.1},
        pl.col("adjustment_factor").is_between(0.9, 1.1),
        {"factor_min": "0.9", "factor_max": "1.1"},
    ),
    "iou": ({"f_iou_max": 0.9}, pl.col("iou") <= 0.9, {"iou_max": "0.9"}),
    "change kinds": (
        {"f_change_kinds": ["added", "removed"]},
        pl.col("change_kind").is_in(["added", "removed"]),
        {"change_kinds": ["added", "removed"]},
    ),
    "confidence": (
        {"f_confidence_min": 0.5, "f_confidence_max": 0.9},
        pl.col("pre_confidence").is_between(0.5, 0.9),
        {"confidence_min": "0.5", "confidence_max": "0.9"},
    ),
    "combined": (
        {"f_classes": ["person", "bicycle"], "f_changed": "False", "f_area_min": 1000.0},
        pl.col("class_row").is_in(["person", "bicycle"]) & ~pl.col("class_changed") & (pl.col("area_px") >= 1000),
        {"classes": ["person", "bicycle"], "class_changed": "false", "area_min": "1000.0"},
    ),
}
# The independent counts, so a wrong expectation cannot hide behind a computed one.
EXPECTED_COUNTS = {
    "classes": 33,
    "removed class": 6,
    "class changed": 17,
    "class unchanged": 73,
    "area": 37,
    "factor": 61,
    "iou": 40,
    "change kinds": 9,
    "confidence": 43,
    "combined": 33,
}


@pytest.mark.parametrize("case", list(FILTER_CASES))
def test_each_sidebar_filter_narrows_every_count(demo_store, case):
    widgets, condition, url = FILTER_CASES[case]
    street = job_id("street-scenes")
    names = display_names(street)
    expected = frame_of(street).filter(condition)
    assert expected.height == EXPECTED_COUNTS[case]

    at = apply(open_visualize(street), **widgets)
    n = expected.height
    assert tab_labels(at) == [f"Pending Review {n}", "Accepted 0", "Rejected 0"]
    assert stats(at)["Results"] == str(n)
    assert "Results under the filters, every review state" in [c.value for c in at.caption]
    assert showing(at).endswith(f" · {n} results")
    assert table(at) == expected_table(expected, "class_row", lambda c: names.get(c, c))
    assert tile_ids(at) == expected_tiles(expected)
    assert at.query_params == {"job": str(street)} | url
    assert warnings(at) == []


def test_filters_reset_to_all_and_the_url_forgets_them(demo_store):
    street = job_id("street-scenes")
    at = apply(open_visualize(street), f_classes=["car"], f_changed="False", f_area_min=2000.0)
    assert showing(at) == "Car · Class Changed = False · Expert Review Area 2,000–… · 12 results"
    apply(at, f_classes=[], f_changed="All", f_area_min=None)
    assert showing(at) == "all results · 90 results"
    assert at.query_params == {"job": str(street)}


def test_an_advanced_filter_is_not_applied_while_hidden(demo_store):
    street = job_id("street-scenes")
    at = apply(open_visualize(street), f_change_kinds=["added"])
    assert showing(at) == "change: added · 3 results"
    at.toggle(key="f_advanced").set_value(False).run()
    apply(at)
    assert showing(at) == "all results · 90 results"
    assert at.query_params == {"job": str(street)}


def test_min_above_max_in_the_form_is_named_and_not_applied(demo_store):
    street = job_id("street-scenes")
    at = apply(open_visualize(street), f_factor_min=1.2, f_factor_max=0.8, f_changed="True")
    assert warnings(at) == ["factor: the minimum 1.2 is above the maximum 0.8; that range is not applied"]
    assert showing(at) == "Class Changed = True · 17 results"
    assert at.query_params == {"job": str(street), "class_changed": "true"}


def test_applying_a_filter_on_a_later_page_goes_back_to_the_first_page(demo_store):
    street = job_id("street-scenes")
    at = open_visualize(street, page="3")  # a browser writes ?page=3 as soon as the reviewer pages on
    assert at.pagination[0].value == 3
    apply(at, f_changed="False")
    expected = frame_of(street).filter(~pl.col("class_changed"))
    assert at.pagination[0].value == 1
    assert tile_ids(at) == expected_tiles(expected)


def test_a_box_filter_in_a_classification_link_can_be_cleared(demo_store):
    fruit = job_id("fruit-stand")
    at = open_visualize(fruit, area_min="100")
    apply(at)
    assert "area_min" not in at.query_params
    assert showing(at) == "all results · 12 results"
