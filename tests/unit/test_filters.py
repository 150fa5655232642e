"""ResultFilter and Slice: polars expressions over the results frame, and the URL round trip with its notices."""

from __future__ import annotations

import polars as pl
import pytest

from core.analysis.filters import ResultFilter, Slice, from_query_params, parse_state, to_query_params

# The six results of a small detection job, one of each interesting shape (see tests/builders.py's standard job):
# an unchanged box, a relabeled one, a resized one, an added one (no pre box: no factor, IoU or confidence),
# a shrunk one, and a removed pre box (no expert box: no area, factor or IoU).
FRAME = pl.DataFrame(
    {
        "result_id": [1, 2, 3, 4, 5, 6],
        "file_path": ["a.png", "a.png", "a.png", "b.png", "b.png", "b.png"],
        "class_row": ["cat", "dog", "cat", "bird", "dog", "(removed)"],
        "pre_class_row": ["cat", "cat", "cat", "(added)", "dog", "dog"],
        "class_changed": [False, True, False, True, False, True],
        "change_kind": ["unchanged", "relabeled", "adjusted", "added", "adjusted", "removed"],
        "area_px": [400.0, 400.0, 200.0, 100.0, 100.0, None],
        "adjustment_factor": [1.0, 1.0, 2.0, None, 0.5, None],
        "iou": [1.0, 1.0, 0.5, None, 0.5, None],
        "pre_confidence": [0.9, 0.8, 0.7, None, 0.5, 0.6],
    }
)
KNOWN = ["cat", "dog", "bird", "(removed)"]


def ids(result_filter: ResultFilter | Slice) -> list[int]:
    return FRAME.filter(result_filter.expr())["result_id"].to_list()


def params(**values: str | list[str]) -> dict[str, list[str]]:
    """Query params as Streamlit hands them over: every value a list."""
    return {k: v if isinstance(v, list) else [v] for k, v in values.items()}


# ---- expr ------------------------------------------------------------------------------------------------------


def test_an_empty_filter_keeps_every_result():
    assert ResultFilter().is_empty
    assert ids(ResultFilter()) == [1, 2, 3, 4, 5, 6]
    assert ResultFilter().describe() == []


@pytest.mark.parametrize(
    ("classes", "expected"),
    [
        (("cat",), [1, 3]),
        (("(removed)",), [6]),
        (("dog", "(removed)"), [2, 5, 6]),
        (("bird", "cat", "dog", "(removed)"), [1, 2, 3, 4, 5, 6]),
    ],
)
def test_classes_select_by_expert_class_with_removed_as_its_own_row(classes, expected):
    assert ids(ResultFilter(classes=classes)) == expected


def test_class_changed_true_and_false_split_the_results():
    assert ids(ResultFilter(class_changed=True)) == [2, 4, 6]
    assert ids(ResultFilter(class_changed=False)) == [1, 3, 5]


@pytest.mark.parametrize(
    ("bounds", "expected"),
    [
        # A bound set on a column excludes the results without a value there (removed: no area).
        ({"area_min": 150}, [1, 2, 3]),
        ({"area_max": 150}, [4, 5]),
        ({"area_min": 100, "area_max": 200}, [3, 4, 5]),  # both ends inclusive
        ({"area_min": 0}, [1, 2, 3, 4, 5]),  # zero is a bound too, not "no bound"
        ({"factor_min": 1.0}, [1, 2, 3]),  # added and removed have no factor
        ({"factor_max": 1.0}, [1, 2, 5]),
        ({"factor_min": 0.5, "factor_max": 0.5}, [5]),
        ({"iou_max": 0.5}, [3, 5]),
        ({"iou_min": 0.75}, [1, 2]),
        ({"confidence_min": 0.6}, [1, 2, 3, 6]),  # the removed box keeps its pre-label confidence
        ({"confidence_max": 0.55}, [5]),
    ],
)
def test_ranges_are_inclusive_and_exclude_nulls(bounds, expected):
    assert ids(ResultFilter(**bounds)) == expected


def test_change_kinds():
    assert ids(ResultFilter(change_kinds=("added", "removed"))) == [4, 6]
    assert ids(ResultFilter(change_kinds=("adjusted",))) == [3, 5]


def test_conditions_combine_with_and():
    assert ids(ResultFilter(classes=("cat", "dog"), class_changed=False, area_min=300)) == [1]
    assert ids(ResultFilter(classes=("dog",), change_kinds=("adjusted",), confidence_max=0.5)) == [5]
    assert ids(ResultFilter(classes=("(removed)",), area_min=0)) == []


def test_describe_names_every_condition():
    described = ResultFilter(
        classes=("cat", "dog"),
        class_changed=True,
        change_kinds=("added",),
        area_min=100,
        factor_max=2.5,
        iou_min=0.5,
        iou_max=0.9,
    ).describe()
    assert described == [
        "cat, dog",
        "Class Changed = True",
        "change: added",
        "Expert Review Area 100–…",
        "Adjustment Factor …–2.5",
        "IoU 0.5–0.9",
    ]


# ---- URL round trip --------------------------------------------------------------------------------------------


def test_to_query_params_writes_only_what_is_set():
    result_filter = ResultFilter(
        classes=("cat", "(removed)"), class_changed=False, area_min=0.0, factor_max=1.25, change_kinds=("added",)
    )
    assert to_query_params(result_filter) == {
        "classes": ["cat", "(removed)"],
        "class_changed": "false",
        "area_min": "0.0",
        "factor_max": "1.25",
        "change_kinds": ["added"],
    }
    assert to_query_params(ResultFilter()) == {}


@pytest.mark.parametrize(
    "result_filter",
    [
        ResultFilter(),
        ResultFilter(class_changed=False),
        ResultFilter(class_changed=True, classes=("(removed)",)),
        ResultFilter(
            classes=("cat", "dog"),
            class_changed=True,
            area_min=0.0,
            area_max=1234.5,
            factor_min=0.1,
            factor_max=10.0,
            iou_min=0.5,
            iou_max=1.0,
            change_kinds=("relabeled", "removed"),
            confidence_min=0.25,
            confidence_max=0.75,
        ),
        ResultFilter(area_min=1 / 3, factor_max=1e-7),  # repr keeps every digit
    ],
)
def test_query_params_round_trip(result_filter):
    url = {k: v if isinstance(v, list) else [v] for k, v in to_query_params(result_filter).items()}
    assert from_query_params(url, known_classes=KNOWN) == (result_filter, [])


def test_from_query_params_reads_numbers_lists_and_the_last_repeated_value():
    result_filter, notices = from_query_params(
        params(
            classes=["dog", "cat"],
            class_changed="TRUE",
            area_min=["5", "100"],
            factor_max="2e0",
            change_kinds=["added", "removed"],
        ),
        known_classes=KNOWN,
    )
    assert notices == []
    assert result_filter == ResultFilter(
        classes=("dog", "cat"), class_changed=True, area_min=100.0, factor_max=2.0, change_kinds=("added", "removed")
    )


def test_unknown_classes_are_dropped_with_a_notice_and_known_ones_kept():
    result_filter, notices = from_query_params(params(classes=["cat", "zebra", "Cat"]), known_classes=KNOWN)
    assert result_filter == ResultFilter(classes=("cat",))
    assert notices == ["ignored unknown class(es) in the link: zebra, Cat"]


def test_unknown_change_kinds_are_dropped_with_a_notice():
    result_filter, notices = from_query_params(params(change_kinds=["deleted", "added"]), known_classes=KNOWN)
    assert result_filter == ResultFilter(change_kinds=("added",))
    assert notices == ["ignored unknown change kind(s): deleted"]


@pytest.mark.parametrize("raw", ["maybe", "1", "yes", ""])
def test_a_bad_class_changed_is_ignored_with_a_notice(raw):
    result_filter, notices = from_query_params(params(class_changed=raw), known_classes=KNOWN)
    assert result_filter == ResultFilter()
    assert notices == [f"ignored class_changed={raw!r} (expected true or false)"]


@pytest.mark.parametrize("raw", ["abc", "1,5", "", "10px"])
def test_a_value_that_is_not_a_number_is_ignored_with_a_notice(raw):
    result_filter, notices = from_query_params(params(area_min=raw, area_max="500"), known_classes=KNOWN)
    assert result_filter == ResultFilter(area_max=500.0)
    assert notices == [f"ignored area_min={raw!r} (not a number)"]


@pytest.mark.parametrize("raw", ["nan", "NaN", "inf", "-inf", "Infinity", "1e999"])
@pytest.mark.parametrize("key", ["area_min", "factor_max", "iou_min", "confidence_max"])
def test_a_number_that_is_not_finite_is_ignored_with_a_notice(key, raw):
    result_filter, notices = from_query_params(params(**{key: raw}), known_classes=KNOWN)
    assert result_filter == ResultFilter()
    assert notices == [f"ignored {key}={raw!r} (not a finite number)"]


@pytest.mark.parametrize("raw", ["-5", "-0.001", "-1e3"])
@pytest.mark.parametrize("key", ["area_min", "area_max", "factor_min", "iou_max", "confidence_min"])
def test_a_negative_bound_is_ignored_with_a_notice(key, raw):
    """None of the measures is ever negative, and the sidebar's inputs (min 0) cannot show such a bound."""
    result_filter, notices = from_query_params(params(**{key: raw}), known_classes=KNOWN)
    assert result_filter == ResultFilter()
    assert notices == [f"ignored {key}={raw!r} (below 0)"]


def test_zero_and_negative_zero_are_valid_bounds():
    assert from_query_params(params(area_min="0", factor_min="-0"), known_classes=KNOWN) == (
        ResultFilter(area_min=0.0, factor_min=0.0),
        [],
    )


@pytest.mark.parametrize("name", ["area", "factor", "iou", "confidence"])
def test_a_minimum_above_the_maximum_drops_that_range_only(name):
    result_filter, notices = from_query_params(
        params(**{f"{name}_min": "0.9", f"{name}_max": "0.1"}, classes="cat"), known_classes=KNOWN
    )
    assert result_filter == ResultFilter(classes=("cat",))
    assert notices == [f"ignored {name}_min/{name}_max: the minimum 0.9 is above the maximum 0.1"]


def test_an_equal_minimum_and_maximum_is_a_valid_range():
    result_filter, notices = from_query_params(params(factor_min="0.5", factor_max="0.5"), known_classes=KNOWN)
    assert (result_filter, notices) == (ResultFilter(factor_min=0.5, factor_max=0.5), [])
    assert ids(result_filter) == [5]


def test_every_bad_value_gets_its_own_notice_and_the_good_ones_still_apply():
    result_filter, notices = from_query_params(
        params(
            classes=["dog", "zebra"],
            class_changed="nope",
            area_min="abc",
            factor_min="inf",
            iou_min="0.9",
            iou_max="0.2",
            confidence_min="0.5",
            change_kinds="moved",
            unrelated="x",
        ),
        known_classes=KNOWN,
    )
    assert result_filter == ResultFilter(classes=("dog",), confidence_min=0.5)
    assert len(notices) == 6
    assert ids(result_filter) == [2, 5]


def test_parse_state():
    assert parse_state(None) == ("pending", None)
    assert parse_state("accepted") == ("accepted", None)
    assert parse_state("Accepted") == (
        "pending",
        "ignored tab='Accepted' (expected one of pending, accepted, rejected)",
    )


# ---- Slice -----------------------------------------------------------------------------------------------------


def test_slice_from_params_reads_columns_and_booleans():
    selected, notices = Slice.from_params(["class_row:dog", "class_changed:TRUE"])
    assert notices == []
    assert selected == Slice((("class_row", "dog"), ("class_changed", True)))
    assert ids(selected) == [2]
    assert selected.value("class_row") == "dog"
    assert selected.value("class_changed") is True
    assert selected.value("file_path") is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (["class_row:(removed)"], [6]),
        (["class_changed:false"], [1, 3, 5]),
        (["pre_class_row:cat", "class_row:cat"], [1, 3]),
        (["pre_class_row:(added)"], [4]),
        (["file_path:b.png", "class_changed:true"], [4, 6]),
        (["class_row:zebra"], []),  # a class no result has: an empty slice, not an error
    ],
)
def test_slice_expr_selects_exactly_its_cell(raw, expected):
    selected, notices = Slice.from_params(raw)
    assert notices == []
    assert ids(selected) == expected


def test_a_value_may_contain_a_colon():
    selected, _ = Slice.from_params(["file_path:dir:odd/name.png"])
    assert selected == Slice((("file_path", "dir:odd/name.png"),))


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("class_row", "expected column:value"),
        ("class_row:", "expected column:value"),
        ("review_state:pending", "expected column:value"),
        (":dog", "expected column:value"),
        ("class_changed:maybe", "Class Changed is true or false"),
    ],
)
def test_a_bad_slice_param_is_ignored_with_a_notice(raw, reason):
    selected, notices = Slice.from_params([raw, "class_row:cat"])
    assert selected == Slice((("class_row", "cat"),))
    assert len(notices) == 1
    assert notices[0].startswith(f"ignored slice={raw!r}") and reason in notices[0]


def test_no_slice_params_is_no_slice():
    assert Slice.from_params([]) == (None, [])
    selected, notices = Slice.from_params(["bogus"])
    assert selected is None and len(notices) == 1


def test_slice_params_round_trip():
    selected = Slice((("pre_class_row", "cat"), ("class_row", "(removed)"), ("class_changed", False)))
    assert selected.to_params() == ["pre_class_row:cat", "class_row:(removed)", "class_changed:false"]
    assert Slice.from_params(selected.to_params()) == (selected, [])


def test_slice_describe_uses_display_names():
    selected = Slice((("pre_class_row", "cat"), ("class_row", "dog"), ("class_changed", True)))
    assert selected.describe(str.upper) == "pre-label CAT · DOG · Class Changed = True"
    assert Slice((("file_path", "a.png"),)).describe(str.upper) == "a.png"
