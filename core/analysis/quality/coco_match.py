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
# A group with more box pairs than this has its pairs found through core.analysis.box_pairs' grids, not all scored.
CROWDED_PAIRS = 10_000


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


def scored_pairs(*, gt: pl.DataFrame, det: pl.DataFrame, lowest_threshold: float) -> pl.DataFrame:
    """d, g, ignored, iou: the pairs of a group that reach `lowest_threshold` (no other can ever match), unsorted.
    A group of a few boxes has all its pairs scored; a crowded one only those that can reach the threshold
    (core.analysis.box_pairs), so that memory grows with its boxes, not with their product."""
    sizes = (
        gt.group_by("group")
        .agg(pl.len().alias("gts"))
        .join(det.group_by("group").agg(pl.len().alias("dets")), on="group")
    )
    crowded = sizes.filter(pl.col("gts") * pl.col("dets") > CROWDED_PAIRS).select("group")
    gt_side = gt.lazy().select("group", "g", is_ignored().alias("ignored"), *[pl.col(c).alias(f"e_{c}") for c in BOX])
    det_side = det.lazy().select("group", "d", *[pl.col(c).alias(f"p_{c}") for c in BOX])
    few = gt_side.join(crowded.lazy(), on="group", how="anti").join(det_side, on="group")
    many = candidate_pairs(
        expert=gt.lazy()
        .join(crowded.lazy(), on="group")
        .select(pl.col("group").alias("image_id"), pl.col("g").alias("row"), *BOX),
        pre=det.lazy()
        .join(crowded.lazy(), on="group")
        .select(pl.col("group").alias("image_id"), pl.col("d").alias("row"), *BOX),
        iou_threshold=lowest_threshold,
    ).join(gt_side.select("g", "ignored"), left_on="e", right_on="g")
    return (
        pl.concat(
            [
                few.select("d", "g", "ignored", coco_iou().alias("iou")),
                many.select(pl.col("p").alias("d"), pl.col("e").alias("g"), "ignored", coco_iou().alias("iou")),
            ]
        )
        .filter(pl.col("iou") >= threshold_at(lowest_threshold))
        .collect()
    )


def by_preference(pairs: pl.DataFrame) -> pl.DataFrame:
    """Sorted by detection, then by the detection's preference: a box inside the area range first, the highest
    IoU, the later ground truth (what matches_at reads)."""
    return pairs.sort(["d", "ignored", "iou", "g"], descending=[False, False, True, True])


def _alone() -> pl.Expr:
    """A pair whose detection meets no other box and whose box meets no other detection: taken whatever else
    happens, at every threshold it reaches. Most pairs are such."""
    return (pl.len().over("d") == 1) & (pl.len().over("g") == 1)


def matches_at(pairs: pl.DataFrame, t: float) -> pl.DataFrame:
    """d, ignored: the detections COCO matches at IoU threshold t, each with its ground-truth box's ignore flag.
    `pairs` sorted by_preference."""
    reaching = pairs.filter(pl.col("iou") >= threshold_at(t))
    taken = [reaching.filter(_alone()).select("d", "ignored")]
    rest = reaching.filter(~_alone())
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
    """The first MAX_DETS detections of each group in score order (d): COCOeval looks at no others. `det` sorted
    by d."""
    crowded = det.group_by("group").agg(pl.len().alias("n")).filter(pl.col("n") > MAX_DETS).select("group")
    if crowded.is_empty():  # the common case: no window over a million rows
        return det
    return det.filter(pl.int_range(pl.len()).over("group") < MAX_DETS)


def detection_outcomes(*, gt: pl.DataFrame, det: pl.DataFrame, thresholds: tuple[float, ...]) -> pl.DataFrame:
    """det (d, group, x, y, w, h, any other columns) with, per threshold i, `tp{i}` (matched to a ground-truth
    box inside the area range) and `ignored{i}` (matched to one outside it, or to none while outside it itself):
    COCOeval's dtMatches and dtIgnore. A detection that is neither is a false positive. `det` as best_detections
    leaves it.

    A pair alone at the lowest threshold is alone at every higher one: it matches wherever its IoU reaches the
    threshold, read off one join. Only the contested pairs go through matches_at, threshold by threshold."""
    pairs = scored_pairs(gt=gt, det=det, lowest_threshold=min(thresholds)).with_columns(_alone().alias("alone"))
    alone = pairs.filter(pl.col("alone")).select(
        "d", pl.col("iou").alias("alone_iou"), pl.col("ignored").alias("alone_ignored")
    )
    contested = by_preference(pairs.filter(~pl.col("alone")).drop("alone"))
    # d, then per threshold its box's ignore flag where the detection is matched (null where it is not)
    hits = pl.DataFrame({"d": contested["d"].unique()}, schema={"d": pl.Int64})
    for i, t in enumerate(thresholds):
        hits = hits.join(matches_at(contested, t).rename({"ignored": f"hit{i}"}), on="d", how="left")
    outcomes = det.join(alone, on="d", how="left").join(hits, on="d", how="left")
    matched = [
        pl.when(pl.col("alone_iou").is_not_null())
        .then(pl.when(pl.col("alone_iou") >= threshold_at(t)).then(pl.col("alone_ignored")))
        .otherwise(pl.col(f"hit{i}"))
        for i, t in enumerate(thresholds)
    ]
    outside = is_ignored()
    return outcomes.with_columns(
        *[m.not_().fill_null(False).alias(f"tp{i}") for i, m in enumerate(matched)],
        *[m.fill_null(outside).alias(f"ignored{i}") for i, m in enumerate(matched)],
    ).drop("alone_iou", "alone_ignored", *[f"hit{i}" for i in range(len(thresholds))])
