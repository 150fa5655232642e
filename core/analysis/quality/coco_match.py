"""COCO's matching of detections to ground truth, as pycocotools' COCOeval.evaluateImg does it for iouType "bbox"
with no crowd boxes, area range "all" and maxDets 100, vectorised over every image at once.

COCOeval takes each image and class on its own: the detections highest score first (equal scores in their given
order, a stable sort), only the first 100; each in turn takes, of the ground-truth boxes not taken yet, the one with
the highest IoU >= t (equal IoUs: the later one in ground-truth order, since a tie replaces the best so far), a box
outside the area range only when no other is left. Walking the detections one by one is too slow for a million, so
the matching goes in rounds over the candidate pairs instead, each taking every pair the walk would take no matter
what the other detections do (see _walk). It gives exactly the walk's matches: tests/unit/test_quality_coco.py holds
it equal to COCOeval.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from core.analysis.box_pairs import candidate_pairs

# COCOeval's Params.setDetParams, computed the same way so that the floats are the same ones.
IOU_THRESHOLDS: tuple[float, ...] = tuple(
    float(t) for t in np.linspace(0.5, 0.95, int(np.round((0.95 - 0.5) / 0.05)) + 1, endpoint=True)
)
MAX_DETS = 100
# Area range "all": [0, 1e5 ** 2] px². A box outside it is ignored (a ground-truth box counts for no class, a
# detection matched to one, or matched to none, is neither right nor wrong).
MAX_AREA = 1e5**2

# Frames in: ground truth with group (an id per image and class), g (its rank in ground-truth order), x, y, w, h;
# detections with group, d (its rank in score order, ties in their given order: one rank over all the detections),
# x, y, w, h. Pairs out: d, g, ignored (the ground-truth box's flag), iou.
BOX = ("x", "y", "w", "h")


def is_ignored() -> pl.Expr:
    """A box outside the area range "all" (COCO takes a ground-truth box's area from its file: w * h here)."""
    return pl.col("w") * pl.col("h") > MAX_AREA


def threshold_at(t: float) -> float:
    """The IoU a pair must reach at threshold t: COCO caps it just under 1, so t = 1 still matches the same box."""
    return min(t, 1 - 1e-10)


def coco_iou(gt: str = "e_", det: str = "p_") -> pl.Expr:
    """pycocotools' bbIou (maskApi.c) term for term, the intersection 0 unless both sides overlap (no +1 on the
    sides), so that a pair reaches a threshold exactly when COCOeval says it does."""
    iw = pl.min_horizontal(pl.col(f"{det}x") + pl.col(f"{det}w"), pl.col(f"{gt}x") + pl.col(f"{gt}w")) - (
        pl.max_horizontal(f"{det}x", f"{gt}x")
    )
    ih = pl.min_horizontal(pl.col(f"{det}y") + pl.col(f"{det}h"), pl.col(f"{gt}y") + pl.col(f"{gt}h")) - (
        pl.max_horizontal(f"{det}y", f"{gt}y")
    )
    inter = iw * ih
    union = pl.col(f"{det}w") * pl.col(f"{det}h") + pl.col(f"{gt}w") * pl.col(f"{gt}h") - inter
    return pl.when((iw > 0) & (ih > 0)).then(inter / union).otherwise(0.0)


def scored_pairs(*, gt: pl.LazyFrame, det: pl.LazyFrame, lowest_threshold: float) -> pl.DataFrame:
    """The pairs of a group that reach `lowest_threshold` (no other can ever match), sorted by detection and then
    by the detection's preference: a box inside the area range first, the highest IoU, the later ground truth."""
    pairs = candidate_pairs(
        expert=gt.select(pl.col("group").alias("image_id"), pl.col("g").alias("row"), *BOX),
        pre=det.select(pl.col("group").alias("image_id"), pl.col("d").alias("row"), *BOX),
        iou_threshold=lowest_threshold,
    )
    return (
        pairs.select(pl.col("p").alias("d"), pl.col("e").alias("g"), coco_iou().alias("iou"))
        .filter(pl.col("iou") >= threshold_at(lowest_threshold))
        .join(gt.select("g", is_ignored().alias("ignored")), on="g")
        .sort(["d", "ignored", "iou", "g"], descending=[False, False, True, True])
        .collect()
    )


def matches_at(pairs: pl.DataFrame, t: float) -> pl.DataFrame:
    """d, ignored: the detections COCO matches at IoU threshold t, each with its ground-truth box's ignore flag.
    `pairs` as scored_pairs gives them."""
    reaching = pairs.filter(pl.col("iou") >= threshold_at(t))
    # Most boxes meet one box of their class at most: such a pair is taken whatever else happens.
    alone = (pl.len().over("d") == 1) & (pl.len().over("g") == 1)
    taken = [reaching.filter(alone).select("d", "ignored")]
    rest = reaching.filter(~alone)
    while rest.height:
        won = rest.filter(_walk())
        taken.append(won.select("d", "ignored"))
        rest = rest.filter(~pl.col("d").is_in(won["d"].implode()) & ~pl.col("g").is_in(won["g"].implode()))
    return pl.concat(taken)


def _walk() -> pl.Expr:
    """The pairs of one round: a detection's first choice among the boxes left, when no detection before it (in
    score order) still has that box as a candidate. Nothing before it can then take the box, and what those
    detections take leaves the box the best one left for this one: the walk gives it this box. The first detection
    left of each group always passes, so every round takes a pair in each group until none is left."""
    first_choice = pl.col("d").is_first_distinct()  # the pairs are sorted by detection, then by its preference
    first_claim = pl.col("d") == pl.col("d").min().over("g")
    return first_choice & first_claim


def best_detections(det: pl.DataFrame) -> pl.DataFrame:
    """The first MAX_DETS detections of each group in score order (d): COCOeval looks at no others."""
    return det.sort("d").filter(pl.int_range(pl.len()).over("group") < MAX_DETS)


def detection_outcomes(*, gt: pl.DataFrame, det: pl.DataFrame, thresholds: tuple[float, ...]) -> pl.DataFrame:
    """det (d, group, x, y, w, h, any other columns) with, per threshold i, `tp{i}` (matched to a ground-truth
    box inside the area range) and `ignored{i}` (matched to one outside it, or to none while outside it itself):
    COCOeval's dtMatches and dtIgnore. A detection that is neither is a false positive. `det` as best_detections
    leaves it."""
    pairs = scored_pairs(gt=gt.lazy(), det=det.lazy(), lowest_threshold=min(thresholds))
    out = det.with_columns(is_ignored().alias("outside"))
    for i, t in enumerate(thresholds):
        out = (
            out.join(matches_at(pairs, t).rename({"ignored": "to_ignored"}), on="d", how="left")
            .with_columns(
                pl.col("to_ignored").not_().fill_null(False).alias(f"tp{i}"),
                pl.col("to_ignored").fill_null(pl.col("outside")).alias(f"ignored{i}"),
            )
            .drop("to_ignored")
        )
    return out.drop("outside")
