"""What the Visualize page shows, computed from the results frame with polars: the selected tab's results under
the filters, the Class Changed table, binned distributions, the confusion matrix and a page of the grid."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import cast

import polars as pl

from core.analysis.filters import ResultFilter, Slice
from core.analysis.results_frame import REVIEW_STATE
from core.domain.vocabulary import REVIEW_STATES, ChangeKind, ReviewState

GROUP_COLUMNS = {"expert review class": "class_row", "pre-label class": "pre_class_row", "image": "file_path"}
HISTOGRAM_BINS = 40
# The grid's sort orders, by their URL name: (label, key expression, descending). "table" keeps the Class Changed
# table's order; the others put the most likely mistakes first (results without the value last).
SEVERITY = tuple(
    kind.value
    for kind in (ChangeKind.REMOVED, ChangeKind.ADDED, ChangeKind.RELABELED, ChangeKind.ADJUSTED, ChangeKind.UNCHANGED)
)
SORTS: dict[str, tuple[str, pl.Expr | None, bool]] = {
    "table": ("Class Changed table order", None, False),
    "iou": ("Lowest IoU", pl.col("iou"), False),
    "adjustment": ("Largest adjustment", pl.col("adjustment_factor").log().abs(), True),
    "area": ("Smallest area", pl.col("area_px"), False),
    "confidence": ("Lowest pre-label confidence", pl.col("pre_confidence"), False),
    "change_kind": (
        "Change kind",
        pl.col("change_kind").replace_strict(
            SEVERITY, range(len(SEVERITY)), default=len(SEVERITY), return_dtype=pl.Int64
        ),
        False,
    ),
    "file": ("File name", pl.col("file_path"), False),
}


@dataclass(frozen=True)
class View:
    state: str = ReviewState.PENDING.value
    filter: ResultFilter = ResultFilter()
    group_by: str = "expert review class"
    slice: Slice | None = None
    sort: str = "table"

    @property
    def group_column(self) -> str:
        return GROUP_COLUMNS[self.group_by]


def with_states(results: pl.DataFrame, states: pl.DataFrame) -> pl.DataFrame:
    """The results with their review_state; `states` may list only the results that are not pending. The join runs
    on the id column alone and the state is added beside the other columns, which are shared, not copied: a 1M-result
    frame gets a new 1M-value column per review action, not a new frame."""
    state = (
        results.select("result_id")
        .join(states, on="result_id", how="left", maintain_order="left")
        .select(pl.col("review_state").cast(REVIEW_STATE).fill_null(ReviewState.PENDING.value))
        .to_series()
    )
    return results.with_columns(state)


def tab_counts(results: pl.DataFrame) -> dict[str, int]:
    counts = dict(results.group_by("review_state").len().iter_rows())
    return {state: int(counts.get(state, 0)) for state in REVIEW_STATES}


def image_review_counts(results: pl.DataFrame, shown: pl.DataFrame) -> dict[str, int]:
    """How the images of the shown results stand in the job: `complete` (every result of the image accepted),
    `untouched` (every one pending), else `partial` (some decided, not all accepted). An image is judged on all
    its results in `results` (the job's, any state), not on the shown ones alone: a filter hiding its pending
    boxes does not make it trainable."""
    of_images = (
        results
        if shown.height == results.height
        else results.filter(pl.col("sample_id").is_in(shown["sample_id"].unique().implode()))
    )
    state = pl.col("review_state")
    complete, untouched, images = (
        of_images.group_by("sample_id")
        .agg(
            (state == ReviewState.ACCEPTED).all().alias("complete"),
            (state == ReviewState.PENDING).all().alias("untouched"),
        )
        .select(pl.col("complete").sum(), pl.col("untouched").sum(), pl.len())
        .row(0)
    )
    return {"complete": complete, "partial": images - complete - untouched, "untouched": untouched}


def class_changed_table(results: pl.DataFrame, group_column: str) -> pl.DataFrame:
    """group, True, False, Total; the biggest groups first."""
    return (
        results.group_by(pl.col(group_column).alias("group"))
        .agg(
            pl.col("class_changed").sum().cast(pl.Int64).alias("True"),
            (~pl.col("class_changed")).sum().cast(pl.Int64).alias("False"),
            pl.len().cast(pl.Int64).alias("Total"),
        )
        .sort(["Total", "group"], descending=[True, False])
    )


def bin_edges(values: pl.Series, *, log: bool, bins: int = HISTOGRAM_BINS) -> list[float]:
    """Edges over the whole job's values, so the axes stay put while filters change."""
    values = values.drop_nulls()
    if log:
        values = values.filter(values > 0)
    if values.is_empty():
        return []
    smallest, largest = float(cast(float, values.min())), float(cast(float, values.max()))  # numbers, not empty
    low, high = (math.log10(smallest), math.log10(largest)) if log else (smallest, largest)
    degenerate = high <= low
    if degenerate:
        high = low + 1.0
    step = (high - low) / bins
    edges = [low + i * step for i in range(bins + 1)]
    if log:
        edges = [10**e for e in edges]
    # 10**log10(x) and low + bins * step can miss x by an ulp, which would drop the smallest or largest value
    # from every histogram: the outer edges are the values themselves.
    edges[0] = smallest
    if not degenerate:
        edges[-1] = largest
    return edges


def histogram(results: pl.DataFrame, column: str, edges: list[float]) -> pl.DataFrame:
    """Counts per bin and Class Changed: bin, left, right, class_changed, count. Never one row per result."""
    if len(edges) < 2:
        return pl.DataFrame(
            schema={
                "bin": pl.Int64,
                "left": pl.Float64,
                "right": pl.Float64,
                "class_changed": pl.Boolean,
                "count": pl.Int64,
            }
        )
    inner = pl.Series(edges[1:-1], dtype=pl.Float64)
    counts = (
        results.select(column, "class_changed")
        .drop_nulls(column)
        .filter((pl.col(column) >= edges[0]) & (pl.col(column) <= edges[-1]))
        .with_columns(pl.lit(inner).search_sorted(pl.col(column), side="right").cast(pl.Int64).alias("bin"))
        .group_by("bin", "class_changed")
        .agg(pl.len().cast(pl.Int64).alias("count"))
    )
    frame = pl.DataFrame(
        {"bin": range(len(edges) - 1), "left": edges[:-1], "right": edges[1:]},
        schema={"bin": pl.Int64, "left": pl.Float64, "right": pl.Float64},
    )
    return frame.join(counts, on="bin", how="inner").sort("bin", "class_changed")


def confusion(results: pl.DataFrame) -> pl.DataFrame:
    """pre_class_row, class_row, count: the pre-label → expert confusion matrix."""
    return results.group_by("pre_class_row", "class_row").agg(pl.len().cast(pl.Int64).alias("count"))


def tiles(results: pl.DataFrame, view: View) -> pl.DataFrame:
    """The grid's tiles in order. Grouped by a class: a result each, in the view's sort; the default keeps the
    Class Changed table's order (biggest group first, results in image order within a group). Grouped by image: an
    image each, with its result count and how many changed, images ordered by their first result in that sort."""
    ordered = _ranked(results, view)
    return _image_tiles(ordered) if view.group_by == "image" else ordered


def _image_tiles(results: pl.DataFrame) -> pl.DataFrame:
    return results.group_by("sample_id", "file_path", maintain_order=True).agg(
        pl.len().alias("results"),
        pl.col("class_changed").sum().alias("changed"),
        pl.col("result_id").min().alias("result_id"),
    )


def _ranked(results: pl.DataFrame, view: View) -> pl.DataFrame:
    if view.sort == "table" and view.group_by == "image":
        return results  # already in result (image) order
    return results.select(pl.all().gather(result_order(results, view)))


def result_order(results: pl.DataFrame, view: View) -> pl.Series:
    """Row positions of `results` in the grid's order (a result's neighbours for the viewer's ←/→). Grouped by
    image, an image's results stay together, the images ordered by their first result in the sort. `results` are
    in result id order, so a stable sort by the key alone leaves ties in id order: half the work of a sort by
    (key, id) at 1M results."""
    key, descending = _sort_key(results, view)
    if key is None:
        order = pl.int_range(results.height, eager=True, dtype=pl.UInt32).alias("row")
    else:
        order = results.select(
            pl.arg_sort_by(key, descending=descending, nulls_last=True, maintain_order=True).alias("row")
        ).to_series()
    if view.group_by != "image":
        return order
    ranks = pl.DataFrame({"row": order, "sample_id": results["sample_id"].gather(order)}).with_row_index("rank")
    return ranks.sort(pl.col("rank").min().over("sample_id"), "rank")["row"]


def _sort_key(results: pl.DataFrame, view: View) -> tuple[pl.Expr | None, bool]:
    """The sort's key and whether it runs descending; None: result id order, as the results are."""
    _, key, descending = SORTS[view.sort]
    if key is not None:
        return key, descending
    if view.group_by == "image":
        return None, False
    order = class_changed_table(results, view.group_column)["group"]
    rank = (
        pl.col(view.group_column)
        .cast(pl.String)
        .replace_strict(order.cast(pl.String), pl.int_range(order.len(), eager=True), return_dtype=pl.Int64)
    )
    return rank, False


def page_count(tile_count: int, page_size: int) -> int:
    return max(1, math.ceil(tile_count / page_size))


def grid_page(results: pl.DataFrame, view: View, *, page: int, page_size: int) -> tuple[pl.DataFrame, int]:
    """One page of `tiles(results, view)` and the number of tiles, without ordering more than it must: in the
    table's order the page is cut from the groups it spans (results are in result order already), so a 1M-result
    job pays for one page; another sort orders the sort key alone, then gathers the page's rows."""
    if view.group_by == "image":
        ranked = _ranked(results, view)
        samples = ranked["sample_id"].unique(maintain_order=True)
        page = min(max(page, 1), page_count(samples.len(), page_size))
        chosen = samples.slice((page - 1) * page_size, page_size).implode()
        return _image_tiles(ranked.filter(pl.col("sample_id").is_in(chosen))), samples.len()
    page = min(max(page, 1), page_count(results.height, page_size))
    start, end = (page - 1) * page_size, page * page_size
    if view.sort != "table":
        return results.select(pl.all().gather(result_order(results, view).slice(start, page_size))), results.height
    parts, offset = [], 0
    for group, total in class_changed_table(results, view.group_column).select("group", "Total").iter_rows():
        if offset < end and offset + total > start:
            skip = max(start - offset, 0)
            take = min(end, offset + total) - offset - skip
            parts.append(results.filter(pl.col(view.group_column) == group).slice(skip, take))
        offset += total
        if offset >= end:
            break
    return (pl.concat(parts) if parts else results.clear()), results.height


def few_rows(results: pl.DataFrame, mask: pl.Series) -> pl.DataFrame:
    """The rows where `mask` holds, for a mask that holds for a handful (a page's images, one image): gathered by
    position, which at 1M results takes ~1 ms where DataFrame.filter takes ~40 ms (it filters every column)."""
    return results[mask.arg_true()]


def result_row(results: pl.DataFrame, result_id: int) -> pl.DataFrame:
    """The result's row (empty when there is none): a binary search, the frame being in result id order."""
    ids = results["result_id"]
    at = ids.search_sorted(result_id)
    return results.slice(at, 1) if at < ids.len() and ids[at] == result_id else results.clear()
