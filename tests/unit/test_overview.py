"""The Overview's reshaping of frames (core/analysis/overview.py) on hand-built numbers, and its links (dashboard/overview.py):
each one, read back the way Visualize reads its URL, is exactly the view it promises."""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qs, urlsplit

import polars as pl
import pytest

from core.analysis import overview
from core.analysis.filters import ResultFilter, Slice, from_query_params, parse_state
from dashboard.overview import activity_url, changed_as_expert_class_url, removed_pre_labels_url, visualize_url

# ---- totals --------------------------------------------------------------------------------------------------------


def progress(*jobs: tuple[int, int, int]) -> pl.DataFrame:
    """A review_progress-shaped frame from (pending, accepted, rejected) per job; only the summed columns."""
    return pl.DataFrame(
        [(p + a + r, a + r, r) for p, a, r in jobs],
        schema={"results": pl.Int64, "reviewed": pl.Int64, "rejected": pl.Int64},
        orient="row",
    )


def test_totals_and_their_shares():
    totals = overview.totals(progress((10, 5, 5), (80, 0, 0), (0, 9, 1)))
    assert totals == overview.Totals(jobs=3, results=110, reviewed=20, rejected=6)
    assert totals.reviewed_share == 20 / 110
    assert totals.rejected_share == 0.3


def test_totals_before_any_review_have_no_rejected_share():
    totals = overview.totals(progress((7, 0, 0)))
    assert (totals.reviewed_share, totals.rejected_share) == (0.0, None)
    assert overview.totals(progress()).reviewed_share == 0.0


# ---- decisions -----------------------------------------------------------------------------------------------------

MAR_6, MAR_7 = date(2025, 3, 6), date(2025, 3, 7)


def test_reviewer_days_sum_a_reviewers_jobs_per_day():
    decisions = pl.DataFrame(
        {
            "day": [MAR_7, MAR_7, MAR_7, MAR_6],
            "reviewer": ["bo", "ann", "ann", "ann"],
            "job_id": [1, 1, 2, 1],
            "job": ["a", "a", "b", "a"],
            "accepted": [0, 4, 1, 2],
            "rejected": [3, 0, 2, 0],
            "pending": [0, 1, 0, 0],
            "undone": [5, 0, 1, 0],
            "decisions": [3, 5, 3, 2],
        }
    )
    assert list(overview.reviewer_days(decisions).iter_rows()) == [
        (MAR_7, "ann", 5, 2, 1, 1, 8),
        (MAR_7, "bo", 0, 3, 0, 5, 3),
        (MAR_6, "ann", 2, 0, 0, 0, 2),
    ]


# ---- Class Changed rates -------------------------------------------------------------------------------------------


def test_class_changed_rates_add_up_a_class_over_jobs_worst_first():
    by_job = pl.DataFrame(
        {
            "class_name": ["car", "car", "dog", "cat", "bus"],
            "job_id": [1, 2, 1, 2, 2],
            "job": ["a", "b", "a", "b", "b"],
            "results": [10, 30, 8, 4, 2],
            "class_changed": [1, 9, 2, 1, 0],
            "removed": [1, 3, 0, 0, 0],
            "rate": [0.1, 0.3, 0.25, 0.25, 0.0],
        }
    )
    assert list(overview.class_changed_rates(by_job).iter_rows()) == [
        ("car", 40, 10, 4, 0.25, 2),  # ties with dog and cat at 25%: the most changed results first
        ("dog", 8, 2, 0, 0.25, 1),
        ("cat", 4, 1, 0, 0.25, 1),
        ("bus", 2, 0, 0, 0.0, 1),
    ]


# ---- reasons -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "counted"),
    [
        ("Blurry", "blurry"),
        ("  blurry\t", "blurry"),
        ("Wrong   CLASS", "wrong class"),
        ("wrong\nclass", "wrong class"),
        ("ÉCLAIRAGE Faible", "éclairage faible"),
        ("", overview.NO_REASON),
        ("   ", overview.NO_REASON),
        (None, overview.NO_REASON),
    ],
)
def test_reasons_are_compared_without_case_and_extra_white_space(typed, counted):
    frame = pl.DataFrame({"reason": [typed]}, schema={"reason": pl.String})
    assert frame.select(overview.normalized_reason(pl.col("reason")))[0, 0] == counted


def test_top_reasons_across_jobs():
    reasons = pl.DataFrame(
        {
            "job_id": [1, 1, 2, 2, 3],
            "job": ["a", "a", "b", "b", "c"],
            "reason": ["blurry", "dup", "blurry", "(no reason)", "dup"],
            "results": [5, 1, 2, 4, 1],
        }
    )
    assert list(overview.top_reasons(reasons).iter_rows()) == [("blurry", 7, 2), ("(no reason)", 4, 1), ("dup", 2, 2)]


# ---- links ---------------------------------------------------------------------------------------------------------


def read_link(url: str, known_classes=("cat", "dog", "car door: left", "(removed)")) -> dict:
    """A link the way Visualize reads it: the page, job, tab, filter (with its notices), group by and slice."""
    parts = urlsplit(url)
    params = parse_qs(parts.query)
    result_filter, notices = from_query_params(params, known_classes=known_classes)
    selected, slice_notices = Slice.from_params(params.get("slice", []))
    state, tab_notice = parse_state(params.get("tab", [None])[-1])
    assert notices == slice_notices == [] and tab_notice is None
    return {
        "page": parts.path,
        "job": params["job"],
        "tab": state,
        "filter": result_filter,
        "group_by": params.get("group_by"),
        "slice": selected,
    }


def test_a_job_link_opens_its_tab_on_visualize():
    assert read_link(visualize_url(3)) == {
        "page": "visualize",
        "job": ["3"],
        "tab": "pending",
        "filter": ResultFilter(),
        "group_by": None,
        "slice": None,
    }
    assert read_link(visualize_url(3, tab="rejected"))["tab"] == "rejected"


def test_the_changed_results_of_a_class_are_a_filter():
    assert read_link(changed_as_expert_class_url(7, "car door: left")) == {
        "page": "visualize",
        "job": ["7"],
        "tab": "pending",
        "filter": ResultFilter(classes=("car door: left",), class_changed=True),
        "group_by": None,
        "slice": None,
    }


def test_the_removed_pre_labels_of_a_class_are_the_removed_results_grouped_by_pre_label_class():
    assert read_link(removed_pre_labels_url(7, "dog & cat")) == {
        "page": "visualize",
        "job": ["7"],
        "tab": "pending",
        "filter": ResultFilter(classes=("(removed)",)),
        "group_by": ["pre-label class"],
        "slice": Slice((("pre_class_row", "dog & cat"),)),
    }


def test_an_activity_link_names_the_job():
    assert activity_url(12) == "activity?job=12"
