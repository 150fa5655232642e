"""The expert and pre box pairs of an image that can reach an IoU threshold, found through grids, never all pairs.

Pairing every expert box with every pre box of its image grows with the square of the boxes on that image (16k boxes
on one image needed ~35 GB). A pair whose IoU reaches a threshold t > 0 overlaps, and its widths (and its heights) are
within a factor 1/t of each other, since IoU <= narrower / wider. So every box goes into grids by size level: on x,
a box w px wide has level lx = floor(log2 w), whose cells are 2^(lx+1) px, wider than the box; the same on y. A box
is registered in the cells it covers at its own levels and up to `levels_apart` coarser ones, and a pair is looked
up once: at the levels of its larger box on each axis, in the first cell both boxes cover there. A box takes a few
cells on a few levels, and two boxes meet only in a cell about their own size, so the rows grow with the boxes.
The few boxes of most images are simply all paired: that is faster, and as bounded. Copies of one box still pair
with every copy on the other side; candidate_pair_counts counts an image's pairs without making them.
"""

from __future__ import annotations

import math

import polars as pl

# Frames in: image_id, row (the box's row number in its file order), x, y, w, h. Pairs out: e, p (the rows) and
# both boxes as e_x, e_y, e_w, e_h, p_x, .. (what core.analysis.metrics.iou_expr reads).
AXES = {"x": "w", "y": "h"}
BOX = ("x", "y", "w", "h")
PAIR_COLUMNS = ("e", "p", *[f"{side}_{c}" for side in "ep" for c in BOX])

# IoU and log2 are computed in floating point: a pair can pass the threshold with its sizes, or their logarithms, a
# rounding error further apart than 1/t allows. Widening the bound by this much keeps such a pair a candidate.
SIZE_RATIO_SLACK = 1e-9

HAS_AREA = pl.col("w") * pl.col("h") > 0

# A box's place in the grid, per cell it is registered in: the cell (its level and number on each axis), then the
# box's own size level and its first cell at the cell's level.
CELL = [f"{key}{axis}" for axis in AXES for key in ("cell_l", "c")]
PLACE = [f"{key}{axis}" for axis in AXES for key in ("l", "first_c")]
# Two boxes meet in every cell both cover; the pair is kept in one: at the levels of its larger box on each axis, in
# the first cell both boxes cover there (the pre box's columns end in _p).
MEETS_HERE = [
    *[pl.col(f"cell_l{axis}") == pl.max_horizontal(f"l{axis}", f"l{axis}_p") for axis in AXES],
    *[pl.col(f"c{axis}") == pl.max_horizontal(f"first_c{axis}", f"first_c{axis}_p") for axis in AXES],
]

# An image with at most this many expert x pre pairs per box has all its pairs scored: for a few dozen boxes that is
# faster than the grid, which takes about ten cell rows per box, and memory stays linear in the boxes.
ALL_PAIRS_PER_BOX = 32


def levels_apart(iou_threshold: float) -> int:
    """How many size levels apart, on one axis, two boxes whose IoU reaches iou_threshold can be."""
    # floor(log2 wb) - floor(log2 wa) < log2(wb / wa) + 1, and wb / wa <= 1/t: the difference is at most ceil(log2 1/t).
    return max(0, math.ceil(math.log2(1.0 + SIZE_RATIO_SLACK) - math.log2(iou_threshold)))


def candidate_pairs(*, expert: pl.LazyFrame, pre: pl.LazyFrame, iou_threshold: float) -> pl.LazyFrame:
    """Each pair once, with its boxes: every pair of boxes of one image that the greedy match at iou_threshold (> 0)
    can take, among others that merely share an image or a cell (their IoU filters them out)."""
    _, few_e, few_p, many_e, many_p = _by_crowding(expert, pre)
    found = pl.concat([_pairs_sharing_a_cell(many_e, many_p, iou_threshold), _pairs_without_area(many_e, many_p)])
    return pl.concat(
        [
            _sided(few_e, "e").join(_sided(few_p, "p"), on="image_id").select(PAIR_COLUMNS),
            found.join(_sided(many_e, "e"), on="e")
            .join(_sided(many_p, "p"), on=["image_id", "p"])
            .select(PAIR_COLUMNS),
        ]
    )


def candidate_pair_counts(*, expert: pl.LazyFrame, pre: pl.LazyFrame, iou_threshold: float) -> pl.LazyFrame:
    """image_id, pairs: how many pairs candidate_pairs gives each image, counted without making them (an image of
    boxes written many times over could have more than memory holds)."""
    per_image, _, _, many_e, many_p = _by_crowding(expert, pre)
    found = pl.concat([_count_sharing_a_cell(many_e, many_p, iou_threshold), _count_without_area(many_e, many_p)])
    return pl.concat(
        [
            per_image.filter(~_crowded()).select("image_id", (pl.col("experts") * pl.col("pres")).alias("pairs")),
            found.group_by("image_id").agg(pl.col("pairs").sum()),
        ]
    )


def _crowded() -> pl.Expr:
    experts, pres = pl.col("experts"), pl.col("pres")
    return experts * pres > ALL_PAIRS_PER_BOX * (experts + pres)


def boxes_per_image(expert: pl.LazyFrame, pre: pl.LazyFrame) -> pl.LazyFrame:
    """image_id, experts, pres: the boxes on each image that has both."""
    return (
        expert.group_by("image_id")
        .agg(pl.len().cast(pl.Int64).alias("experts"))
        .join(pre.group_by("image_id").agg(pl.len().cast(pl.Int64).alias("pres")), on="image_id")
    )


def _by_crowding(expert: pl.LazyFrame, pre: pl.LazyFrame) -> tuple[pl.LazyFrame, ...]:
    """boxes_per_image, then the expert and pre boxes of the images whose pairs are all scored, then of those
    paired through the grid."""
    per_image = boxes_per_image(expert, pre)
    crowded = per_image.filter(_crowded()).select("image_id")
    few_e, few_p = (frame.join(crowded, on="image_id", how="anti") for frame in (expert, pre))
    many_e, many_p = (frame.join(crowded, on="image_id", how="semi") for frame in (expert, pre))
    return per_image, few_e, few_p, many_e, many_p


def _sided(boxes: pl.LazyFrame, side: str) -> pl.LazyFrame:
    """image_id, then row and x, y, w, h as {side}, {side}_x, .."""
    return boxes.select("image_id", pl.col("row").alias(side), *[pl.col(c).alias(f"{side}_{c}") for c in BOX])


def _pairs_sharing_a_cell(expert: pl.LazyFrame, pre: pl.LazyFrame, iou_threshold: float) -> pl.LazyFrame:
    e_cells, p_cells = _cells_of_both(expert, pre, iou_threshold)
    return (
        e_cells.join(p_cells, on=["image_id", *CELL], suffix="_p")
        .filter(*MEETS_HERE)
        .select(pl.col("row").alias("e"), pl.col("row_p").alias("p"))
    )


def _count_sharing_a_cell(expert: pl.LazyFrame, pre: pl.LazyFrame, iou_threshold: float) -> pl.LazyFrame:
    """image_id, pairs: how many pairs _pairs_sharing_a_cell finds. Boxes of one side in a cell with the same levels
    and first cells (as copies of one box have) meet the same boxes there, so each such group is joined once: a cell
    holds at most 4 (levels_apart + 1)^2 groups a side, however many boxes."""
    e_groups, p_groups = (
        cells.group_by("image_id", *CELL, *PLACE).agg(pl.len().cast(pl.Int64).alias("n"))
        for cells in _cells_of_both(expert, pre, iou_threshold)
    )
    return (
        e_groups.join(p_groups, on=["image_id", *CELL], suffix="_p")
        .filter(*MEETS_HERE)
        .group_by("image_id")
        .agg((pl.col("n") * pl.col("n_p")).sum().alias("pairs"))
    )


def _cells_of_both(expert: pl.LazyFrame, pre: pl.LazyFrame, iou_threshold: float) -> tuple[pl.LazyFrame, ...]:
    """The expert and the pre boxes with area, each once per cell it is registered in."""
    e, p = (
        frame.filter(HAS_AREA).with_columns(_size_level(pl.col(size)).alias(f"l{axis}") for axis, size in AXES.items())
        for frame in (expert, pre)
    )
    # No pair is looked up above its image's largest box: the levels stop there, whatever the threshold allows.
    top = pl.concat([e, p]).group_by("image_id").agg(pl.col(f"l{axis}").max().alias(f"top_l{axis}") for axis in AXES)
    apart = levels_apart(iou_threshold)
    return tuple(_cells(frame.join(top, on="image_id"), levels_apart=apart) for frame in (e, p))


def _size_level(size: pl.Expr) -> pl.Expr:
    """floor(log2 size), and 0 for boxes under a pixel (finer cells gain nothing, and a 1e-300 px box would put its
    cell numbers past int64)."""
    return size.clip(lower_bound=1.0).log(2).floor().cast(pl.Int32)


def _cells(boxes: pl.LazyFrame, *, levels_apart: int) -> pl.LazyFrame:
    """Each box once per cell it covers, at each level it is registered at on x and on y."""
    for axis, size in AXES.items():
        level, cell_level = pl.col(f"l{axis}"), f"cell_l{axis}"
        cell_size = pl.lit(2.0).pow(pl.col(cell_level) + 1)
        last = (pl.col(axis) + pl.col(size)) / cell_size
        boxes = (
            boxes.with_columns(
                pl.int_ranges(level, pl.min_horizontal(level + levels_apart, f"top_l{axis}") + 1, dtype=pl.Int32).alias(
                    cell_level
                )
            )
            .explode(cell_level)
            .with_columns((pl.col(axis) / cell_size).floor().cast(pl.Int64).alias(f"first_c{axis}"))
            .with_columns(pl.int_ranges(f"first_c{axis}", last.floor().cast(pl.Int64) + 1).alias(f"c{axis}"))
            .explode(f"c{axis}")
        )
    return boxes.select("image_id", "row", *CELL, *PLACE)


def _pairs_without_area(expert: pl.LazyFrame, pre: pl.LazyFrame) -> pl.LazyFrame:
    """Boxes without area have IoU NaN with one another, which polars ranks above every number: it passes any
    threshold, and the greedy match takes such pairs in row order, the k-th expert box without area of an image with
    its k-th pre box without area. Pairing just those gives the same result as pairing them all."""
    e, p = (
        frame.filter(~HAS_AREA).select(
            "image_id", pl.col("row").alias(name), pl.col("row").rank("ordinal").over("image_id").alias("k")
        )
        for frame, name in ((expert, "e"), (pre, "p"))
    )
    return e.join(p, on=["image_id", "k"]).select("e", "p")


def _count_without_area(expert: pl.LazyFrame, pre: pl.LazyFrame) -> pl.LazyFrame:
    """image_id, pairs: how many pairs _pairs_without_area finds, one per box without area on the side with fewer."""
    e, p = (
        frame.filter(~HAS_AREA).group_by("image_id").agg(pl.len().cast(pl.Int64).alias(name))
        for frame, name in ((expert, "e"), (pre, "p"))
    )
    return e.join(p, on="image_id").select("image_id", pl.min_horizontal("e", "p").alias("pairs"))
