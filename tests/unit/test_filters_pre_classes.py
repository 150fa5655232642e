"""The pre-label class filter (?pre_classes=): the results whose pre-label is of a class, (added) for an expert
label without one; what the Pre-label quality section's false positives link to."""

from __future__ import annotations

import pytest

from core.analysis.filters import ResultFilter, from_query_params, to_query_params
from tests.unit.test_filters import KNOWN, ids, params


@pytest.mark.parametrize(
    ("pre_classes", "expected"),
    [
        (("cat",), [1, 2, 3]),
        (("dog",), [5, 6]),  # the removed result keeps its pre-label's class
        (("(added)",), [4]),
        (("cat", "(added)"), [1, 2, 3, 4]),
    ],
)
def test_pre_classes_select_by_pre_label_class_with_added_as_its_own_row(pre_classes, expected):
    assert ids(ResultFilter(pre_classes=pre_classes)) == expected


def test_pre_classes_combine_with_the_other_conditions():
    # A class's pre-labels the expert removed or relabelled, at a confidence of at least 0.6.
    assert ids(ResultFilter(pre_classes=("cat",), class_changed=True)) == [2]
    assert ids(ResultFilter(pre_classes=("dog",), class_changed=True, confidence_min=0.6)) == [6]
    assert ids(ResultFilter(pre_classes=("dog",), class_changed=True, confidence_min=0.61)) == []


def test_pre_classes_round_trip_through_the_url():
    result_filter = ResultFilter(classes=("cat",), pre_classes=("dog", "(added)"), confidence_min=0.5)
    url = to_query_params(result_filter)
    assert url["pre_classes"] == ["dog", "(added)"]
    assert from_query_params({k: v if isinstance(v, list) else [v] for k, v in url.items()}, known_classes=KNOWN) == (
        result_filter,
        [],
    )


def test_unknown_pre_classes_are_dropped_with_a_notice():
    # (removed) is an expert review class row, never a pre-label's; (added) is the other way round.
    result_filter, notices = from_query_params(
        params(pre_classes=["cat", "(removed)", "zebra"], classes=["(added)"]), known_classes=KNOWN
    )
    assert result_filter == ResultFilter(pre_classes=("cat",))
    assert notices == [
        "ignored unknown class(es) in the link: (added)",
        "ignored unknown pre-label class(es) in the link: (removed), zebra",
    ]


def test_pre_classes_are_described_as_pre_label_classes():
    assert ResultFilter(pre_classes=("cat", "dog")).describe(str.upper) == ["pre-label CAT, DOG"]
