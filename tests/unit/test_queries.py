"""What the Visualize page computes from the results frame: tabs, the Class Changed table, binned distributions,
the confusion matrix and the grid's pages, checked by hand and against numpy."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from core.analysis import queries
from core.analysis.filters import ResultFilter, Slice
from core.analysis.queries import View
from core.review.selection import select_shown

# Eight results on three images. Per expert class: cat 3 (1 changed), dog 3 (2 changed), (removed) 1, bird 1.
FRAME = pl.DataFrame(
    {
        "result_id": [1, 2, 3, 4, 5, 6, 7, 8],
        "sample_id": [10, 10, 10, 11, 11, 11, 12, 12],
        "file_path": ["a.png", "a.png", "a.png", "b.png", "b.png", "b.png", "c.png", "c.png"],
        "class_row": ["cat", "dog", "cat", "bird", "dog", "(removed)", "cat", "dog"],
        "pre_class_row": ["cat", "cat", "cat", "(added)", "dog", "dog", "dog", "cat"],
        "class_changed": [False, True, False, True, False, True, True, True],
        "change_kind": ["unchanged", "relabeled", "adjusted", "added", "adjusted", "removed", "relabeled", "relabeled"],
        "area_px": [400.0, 400.0, 200.0, 100.0, 100.0, None, 50.0, 800.0],
        "adjustment_factor": [1.0, 1.0, 2.0, None, 0.5, None, 1.5, 0.25],
    }
)
STATES = pl.DataFrame({"result_id": [2, 4, 5], "review_state": ["accepted", "rejected", "accepted"]})


def rows(frame: pl.DataFrame) -> list[tuple]:
    return list(frame.iter_rows())


# ---- states and tabs -------------------------------------------------------------------------------------------


def test_results_without_a_state_row_are_pending():
    merged = queries.with_states(FRAME, STATES)
    assert merged["review_state"].to_list() == [
        "pending",
        "accepted",
        "pending",
        "rejected",
        "accepted",
        "pending",
        "pending",
        "pending",
    ]
    assert queries.tab_counts(merged) == {"pending": 5, "accepted": 2, "rejected": 1}
    assert queries.tab_counts(merged.filter(pl.col("class_changed"))) == {"pending": 3, "accepted": 1, "rejected": 1}
    assert queries.tab_counts(merged.head(0)) == {"pending": 0, "accepted": 0, "rejected": 0}


def test_filter_then_tab_then_slice():
    merged = queries.with_states(FRAME, STATES)
    view = View(state="pending", filter=ResultFilter(classes=("cat", "dog")), slice=Slice((("class_changed", True),)))
    selected = select_shown(merged, result_filter=view.filter, state=view.state, slice=view.slice)
    assert selected.filtered["result_id"].to_list() == [1, 2, 3, 5, 7, 8]
    assert selected.in_tab["result_id"].to_list() == [1, 3, 7, 8]
    assert selected.shown["result_id"].to_list() == [7, 8]
    unsliced = select_shown(merged, result_filter=view.filter, state=view.state)
    assert unsliced.shown["result_id"].to_list() == [1, 3, 7, 8]


# ---- Class Changed table ---------------------------------------------------------------------------------------


def test_class_changed_table_counts_and_orders_by_total_then_name():
    table = queries.class_changed_table(FRAME, "class_row")
    assert table.columns == ["group", "True", "False", "Total"]
    assert table.schema["True"] == table.schema["False"] == table.schema["Total"] == pl.Int64
    # Ties on Total fall back to the name: "(removed)" sorts before "bird".
    assert rows(table) == [("cat", 1, 2, 3), ("dog", 2, 1, 3), ("(removed)", 1, 0, 1), ("bird", 1, 0, 1)]


def test_class_changed_table_by_pre_label_class_and_by_image():
    assert rows(queries.class_changed_table(FRAME, "pre_class_row")) == [
        ("cat", 2, 2, 4),
        ("dog", 2, 1, 3),
        ("(added)", 1, 0, 1),
    ]
    assert rows(queries.class_changed_table(FRAME, "file_path")) == [
        ("a.png", 1, 2, 3),
        ("b.png", 2, 1, 3),
        ("c.png", 2, 0, 2),
    ]


def test_class_changed_table_of_nothing_is_empty():
    table = queries.class_changed_table(FRAME.head(0), "class_row")
    assert table.is_empty() and table.columns == ["group", "True", "False", "Total"]


def test_class_changed_table_totals_match_a_plain_count():
    table = queries.class_changed_table(FRAME, "class_row")
    assert table["Total"].sum() == FRAME.height
    assert table["True"].sum() == FRAME["class_changed"].sum() == 5
    assert (table["True"] + table["False"] == table["Total"]).all()


# ---- bin edges -------------------------------------------------------------------------------------------------


def test_linear_edges_span_the_values_evenly():
    edges = queries.bin_edges(pl.Series([3.0, None, 1.0, 2.0]), log=False, bins=4)
    assert edges == pytest.approx([1.0, 1.5, 2.0, 2.5, 3.0])
    assert (edges[0], edges[-1]) == (1.0, 3.0)


def test_log_edges_are_even_in_log_space_and_skip_values_that_are_not_positive():
    edges = queries.bin_edges(pl.Series([0.0, -4.0, 0.01, 100.0, None]), log=True, bins=4)
    assert edges == pytest.approx([0.01, 0.1, 1.0, 10.0, 100.0])
    assert np.allclose(np.diff(np.log10(edges)), 1.0)


@pytest.mark.parametrize(
    "values", [[96.0, 28704.0], [0.5524377813598382, 1.4072147595567477], [0.013, 7.77], [3.0, 1e6], [1e-4, 123.456]]
)
def test_log_edges_start_and_end_exactly_at_the_smallest_and_largest_value(values):
    """10 ** log10(x) is not always x: the largest value must still fall in the last bin."""
    series = pl.Series(values)
    edges = queries.bin_edges(series, log=True)
    assert len(edges) == queries.HISTOGRAM_BINS + 1
    assert edges[0] == min(values) and edges[-1] == max(values)
    frame = pl.DataFrame({"v": series, "class_changed": [False] * len(values)})
    assert queries.histogram(frame, "v", edges)["count"].sum() == len(values)


def test_every_value_falls_in_a_bin_of_its_own_edges():
    rng = np.random.default_rng(7)
    for log in (False, True):
        for _ in range(50):
            values = rng.lognormal(mean=3.0, sigma=2.0, size=int(rng.integers(1, 30)))
            frame = pl.DataFrame({"v": values, "class_changed": rng.random(len(values)) < 0.3})
            edges = queries.bin_edges(frame["v"], log=log)
            assert queries.histogram(frame, "v", edges)["count"].sum() == len(values)


@pytest.mark.parametrize("log", [False, True])
def test_a_single_value_gets_a_bin_range_of_width_one_decade_or_unit(log):
    edges = queries.bin_edges(pl.Series([5.0, 5.0]), log=log, bins=10)
    assert len(edges) == 11
    assert edges[0] == 5.0
    assert edges[-1] == pytest.approx(50.0 if log else 6.0)
    assert edges == sorted(edges)
    frame = pl.DataFrame({"v": [5.0, 5.0], "class_changed": [True, False]})
    assert rows(queries.histogram(frame, "v", edges)) == [(0, 5.0, edges[1], False, 1), (0, 5.0, edges[1], True, 1)]


@pytest.mark.parametrize(("values", "log"), [([], False), ([None, None], False), ([0.0, -1.0], True), ([None], True)])
def test_no_usable_values_means_no_edges(values, log):
    assert queries.bin_edges(pl.Series(values, dtype=pl.Float64), log=log) == []


# ---- histogram -------------------------------------------------------------------------------------------------


def _numpy_counts(frame: pl.DataFrame, column: str, edges: list[float], changed: bool | None = None) -> np.ndarray:
    part = frame if changed is None else frame.filter(pl.col("class_changed") == changed)
    return np.histogram(part[column].drop_nulls().to_numpy(), bins=edges)[0]


def _our_counts(histogram: pl.DataFrame, bins: int, changed: bool | None = None) -> np.ndarray:
    part = histogram if changed is None else histogram.filter(pl.col("class_changed") == changed)
    counts = np.zeros(bins, dtype=np.int64)
    for b, n in part.group_by("bin").agg(pl.col("count").sum()).iter_rows():
        counts[b] = n
    return counts


def test_histogram_matches_numpy_on_edges_and_outside_values():
    # Values on the first, inner and last edges, between them, below and above the range, and a null.
    edges = [0.0, 0.5, 1.0, 2.0, 4.0, 8.0]
    values = [0.0, 0.5, 0.5, 0.75, 1.0, 1.999, 2.0, 3.0, 4.0, 7.9, 8.0, 8.0, -0.001, 8.0001, 100.0, None]
    changed = [i % 3 == 0 for i in range(len(values))]
    frame = pl.DataFrame({"v": values, "class_changed": changed})
    histogram = queries.histogram(frame, "v", edges)
    assert _our_counts(histogram, 5).tolist() == _numpy_counts(frame, "v", edges).tolist() == [1, 3, 2, 2, 4]
    for flag in (False, True):
        assert _our_counts(histogram, 5, flag).tolist() == _numpy_counts(frame, "v", edges, flag).tolist()
    # Bins carry their edges; an empty bin has no row, a row never has a zero count.
    assert {(b, left, right) for b, left, right in histogram.select("bin", "left", "right").iter_rows()} == {
        (0, 0.0, 0.5),
        (1, 0.5, 1.0),
        (2, 1.0, 2.0),
        (3, 2.0, 4.0),
        (4, 4.0, 8.0),
    }
    assert histogram["count"].min() > 0
    assert histogram.height == len(set(histogram.select("bin", "class_changed").iter_rows()))


def test_histogram_matches_numpy_on_random_data_with_log_edges():
    rng = np.random.default_rng(42)
    values = rng.lognormal(mean=7.0, sigma=1.5, size=2_000)
    frame = pl.DataFrame({"v": values, "class_changed": rng.random(values.size) < 0.2})
    edges = queries.bin_edges(frame["v"].head(1_500), log=True)  # the rest may fall outside
    histogram = queries.histogram(frame, "v", edges)
    bins = len(edges) - 1
    for flag in (None, False, True):
        assert _our_counts(histogram, bins, flag).tolist() == _numpy_counts(frame, "v", edges, flag).tolist()


def test_histogram_of_the_frame_columns_skips_nulls():
    edges = queries.bin_edges(FRAME["adjustment_factor"], log=True, bins=3)
    histogram = queries.histogram(FRAME, "adjustment_factor", edges)
    assert histogram["count"].sum() == 6  # added and removed have no factor
    assert _our_counts(histogram, 3).tolist() == _numpy_counts(FRAME, "adjustment_factor", edges).tolist()


def test_histogram_without_edges_is_empty_with_its_schema():
    for edges in ([], [1.0]):
        histogram = queries.histogram(FRAME, "area_px", edges)
        assert histogram.is_empty()
        assert histogram.columns == ["bin", "left", "right", "class_changed", "count"]


def test_a_single_bin_histogram():
    histogram = queries.histogram(FRAME, "area_px", [100.0, 400.0])
    assert rows(histogram) == [(0, 100.0, 400.0, False, 3), (0, 100.0, 400.0, True, 2)]


# ---- confusion -------------------------------------------------------------------------------------------------


def test_confusion_counts_pre_label_to_expert_pairs():
    cells = queries.confusion(FRAME).sort("pre_class_row", "class_row")
    assert rows(cells) == [
        ("(added)", "bird", 1),
        ("cat", "cat", 2),
        ("cat", "dog", 2),
        ("dog", "(removed)", 1),
        ("dog", "cat", 1),
        ("dog", "dog", 1),
    ]


# ---- tiles and pages -------------------------------------------------------------------------------------------


def test_tiles_follow_the_class_changed_table_then_result_order():
    # By expert class the table reads cat, dog, (removed), bird; each group's results in result (image) order.
    assert queries.tiles(FRAME, View())["result_id"].to_list() == [1, 3, 7, 2, 5, 8, 6, 4]
    assert queries.tiles(FRAME, View(group_by="pre-label class"))["result_id"].to_list() == [1, 2, 3, 8, 5, 6, 7, 4]
    assert queries.tiles(FRAME, View()).columns == FRAME.columns
    assert queries.tiles(FRAME.head(0), View()).is_empty()


def test_tiles_by_image_count_results_and_changes_in_image_order():
    shuffled = FRAME.filter(pl.col("result_id") != 1)  # a.png's first result is not its smallest id any more
    tiles = queries.tiles(shuffled, View(group_by="image"))
    assert tiles.select("sample_id", "file_path", "results", "changed", "result_id").rows() == [
        (10, "a.png", 2, 1, 2),
        (11, "b.png", 3, 2, 4),
        (12, "c.png", 2, 2, 7),
    ]


def page_of(tiles_frame: pl.DataFrame, *, page: int, page_size: int) -> pl.DataFrame:
    """The obvious page: every tile ordered, then sliced; grid_page must cut the same one."""
    page = min(max(page, 1), queries.page_count(tiles_frame.height, page_size))
    return tiles_frame.slice((page - 1) * page_size, page_size)


@pytest.mark.parametrize(
    ("tiles", "size", "pages"), [(0, 12, 1), (1, 12, 1), (12, 12, 1), (13, 12, 2), (25, 12, 3), (96, 24, 4)]
)
def test_page_count(tiles, size, pages):
    assert queries.page_count(tiles, size) == pages


def test_page_of_slices_and_clamps_the_page():
    frame = pl.DataFrame({"result_id": range(1, 26)})
    page = lambda n: page_of(frame, page=n, page_size=12)["result_id"].to_list()  # noqa: E731
    assert page(1) == list(range(1, 13))
    assert page(2) == list(range(13, 25))
    assert page(3) == [25]
    assert page(0) == page(-5) == page(1)
    assert page(99) == [25]
    assert page_of(frame.head(0), page=3, page_size=12).is_empty()


def test_pages_of_images():
    tiles = queries.tiles(FRAME, View(group_by="image"))
    assert queries.page_count(tiles.height, 2) == 2
    assert page_of(tiles, page=2, page_size=2)["file_path"].to_list() == ["c.png"]
    assert math.fsum(tiles["results"].to_list()) == FRAME.height


# FRAME with the sort columns the tests above do not need: IoU and confidence, with ties and nulls.
SORTABLE = FRAME.with_columns(
    pl.Series("iou", [0.9, 0.5, None, None, 0.5, None, 0.2, 0.95]),
    pl.Series("pre_confidence", [0.8, 0.3, 0.9, None, 0.3, 0.6, 0.1, 0.7]),
)
# The obvious orders, written with Python's sorted(): (value is None, key) puts a result without the value last.
ORACLE_KEYS = {
    "iou": lambda r: (r["iou"] is None, r["iou"] or 0),
    "adjustment": lambda r: (
        r["adjustment_factor"] is None,
        -abs(math.log(r["adjustment_factor"])) if r["adjustment_factor"] else 0,
    ),
    "area": lambda r: (r["area_px"] is None, r["area_px"] or 0),
    "confidence": lambda r: (r["pre_confidence"] is None, r["pre_confidence"] or 0),
    "change_kind": lambda r: ["removed", "added", "relabeled", "adjusted", "unchanged"].index(r["change_kind"]),
    "file": lambda r: r["file_path"],
}


@pytest.mark.parametrize("sort", sorted(ORACLE_KEYS))
def test_each_sort_orders_results_like_python_sorted_with_missing_values_last(sort):
    expected = [
        r["result_id"]
        for r in sorted(SORTABLE.iter_rows(named=True), key=lambda r: (ORACLE_KEYS[sort](r), r["result_id"]))
    ]
    assert queries.tiles(SORTABLE, View(sort=sort))["result_id"].to_list() == expected
    assert set(queries.SORTS) == set(ORACLE_KEYS) | {"table"}


def test_sorts_by_hand():
    assert queries.tiles(SORTABLE, View(sort="iou"))["result_id"].to_list() == [7, 2, 5, 1, 8, 3, 4, 6]
    # |log factor|: 0.25 → 1.39, 2.0 and 0.5 → 0.69 (tie: result id), 1.5 → 0.41, 1.0 → 0; no factor last
    assert queries.tiles(SORTABLE, View(sort="adjustment"))["result_id"].to_list() == [8, 3, 5, 7, 1, 2, 4, 6]


def test_a_sort_grouped_by_image_keeps_each_image_together_ordered_by_its_first_result():
    # lowest IoU: result 7 (c.png) first, then 2 (a.png), then 5 (b.png)
    tiles = queries.tiles(SORTABLE, View(group_by="image", sort="iou"))
    assert tiles["file_path"].to_list() == ["c.png", "a.png", "b.png"]
    assert tiles["results"].to_list() == [2, 3, 3]
    order = queries.result_order(SORTABLE, View(group_by="image", sort="iou"))
    assert SORTABLE["result_id"].gather(order).to_list() == [7, 8, 2, 1, 3, 5, 4, 6]


@pytest.mark.parametrize("group_by", ["expert review class", "pre-label class", "image"])
@pytest.mark.parametrize("page_size", [1, 2, 3, 5, 8, 24])
@pytest.mark.parametrize("sort", list(queries.SORTS))
def test_grid_page_cuts_the_same_page_as_ordering_every_tile(group_by, page_size, sort):
    view = View(group_by=group_by, sort=sort)
    every_tile = queries.tiles(SORTABLE, view)
    pages = queries.page_count(every_tile.height, page_size)
    for page in range(0, pages + 2):  # and out-of-range pages, which clamp
        cut, count = queries.grid_page(SORTABLE, view, page=page, page_size=page_size)
        assert count == every_tile.height
        expected = page_of(every_tile, page=page, page_size=page_size)
        assert cut.select(expected.columns).rows() == expected.rows()


def test_grid_page_by_hand():
    cut, count = queries.grid_page(FRAME, View(), page=2, page_size=3)
    assert (cut["result_id"].to_list(), count) == ([2, 5, 8], 8)  # the dog group, whole
    cut, count = queries.grid_page(FRAME, View(), page=2, page_size=5)
    assert (cut["result_id"].to_list(), count) == ([8, 6, 4], 8)  # the end of dog, (removed), bird
    cut, count = queries.grid_page(FRAME, View(group_by="image"), page=2, page_size=2)
    assert (cut["file_path"].to_list(), count) == (["c.png"], 3)
    cut, count = queries.grid_page(FRAME.head(0), View(), page=1, page_size=24)
    assert (cut.height, count) == (0, 0)
