"""COCO's average precision per class (pycocotools' COCOeval.accumulate), from the detections' outcomes that
core.analysis.quality.coco_match gives, in one polars query over every class and threshold.

Per class and IoU threshold, COCOeval ranks the detections of all images by score (ties: image id, then the
image's own order), takes the running precision tp / (tp + fp + eps) and recall tp / n at each, makes the precision
non-increasing from the right (its envelope), and reads it at 101 recall levels 0, .01, .., 1: at level r, the
envelope at the first detection whose recall reaches r, 0 if none does. AP is the mean over the levels, and AP@[.5:.95]
the mean over the ten thresholds. Reading the envelope at each level is a search: instead, each detection counts the
levels it is the first to reach, those between the recall before it and its own, and adds its envelope that many
times."""

from __future__ import annotations

import numpy as np
import polars as pl

# COCOeval's Params.setDetParams, computed the same way.
RECALL_LEVELS = pl.Series(
    "recall_levels", np.linspace(0.0, 1.00, int(np.round((1.00 - 0.0) / 0.01)) + 1, endpoint=True)
)
# COCOeval adds the machine epsilon to precision's denominator.
EPS = float(np.spacing(1))


def _area_under(i: int) -> pl.Expr:
    """AP at threshold i of one class's detections (in a group_by, in rank order)."""
    tp = pl.col(f"tp{i}")
    fp = ~tp & ~pl.col(f"ignored{i}")
    tps, fps = tp.cum_sum(), fp.cum_sum()
    # Divided by the column, not by its first value: polars divides by a single value through its reciprocal, which
    # can be an ulp off, and a recall of 91/130 an ulp above 0.7 reaches COCO's level .70 when COCOeval's does not.
    recall = tps / pl.col("expert_labels")
    precision = tps / ((tps + fps).cast(pl.Float64) + EPS)
    envelope = precision.cum_max(reverse=True)
    reached = pl.lit(RECALL_LEVELS).search_sorted(recall, side="right").cast(pl.Int64)
    first_to_reach = reached - reached.shift(1, fill_value=0)
    return ((envelope * first_to_reach).sum() / RECALL_LEVELS.len()).alias(f"ap{i}")


def average_precisions(outcomes: pl.DataFrame, expert_labels: pl.DataFrame, *, thresholds: int) -> pl.DataFrame:
    """cls, ap (mean over the first `thresholds` thresholds), ap50 (the first) of each class with expert labels.

    outcomes: cls, rank (COCO's order over all images), tp{i}, ignored{i}; expert_labels: cls, expert_labels (the
    class's ground-truth boxes inside the area range). A class with expert labels and no detection has AP 0, as in
    COCOeval; one without expert labels is left out (COCOeval leaves it -1)."""
    classes = expert_labels.filter(pl.col("expert_labels") > 0)
    per_threshold = (
        outcomes.lazy()
        .join(classes.lazy(), on="cls")
        .sort("cls", "rank")
        .group_by("cls", maintain_order=True)
        .agg(_area_under(i) for i in range(thresholds))
    )
    aps = [pl.col(f"ap{i}").fill_null(0.0) for i in range(thresholds)]
    return (
        classes.lazy()
        .join(per_threshold, on="cls", how="left")
        .select("cls", (pl.sum_horizontal(aps) / thresholds).alias("ap"), aps[0].alias("ap50"))
        .collect()
    )
