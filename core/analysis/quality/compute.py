"""A job's pre-label quality from its results frame: the figures of core.analysis.quality.detection or
.classification, the precision-recall and effort curves by confidence, the best threshold. No store here: the
service (core.analysis.quality.service) reads the frame and caches what this returns."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import polars as pl

from core.analysis.quality.classification import CLASSIFICATION_COLUMNS, classification_figures
from core.analysis.quality.detection import DETECTION_COLUMNS, confidence, detection_figures
from core.analysis.quality.effort import (
    EFFORT_COLUMNS,
    THRESHOLD_GRID,
    as_labelled,
    at_thresholds,
    best_threshold,
    by_confidence,
    effort_curve,
)
from core.analysis.quality.figures import CURVE_SCHEMA, ClassQuality, JobQuality
from core.domain.plural import plural
from core.domain.vocabulary import Task

CURVE_COUNTS = ("true_positives", "false_positives")


def quality_columns(task: str) -> tuple[str, ...]:
    """The results frame's columns quality_of reads for a job of `task`."""
    own = DETECTION_COLUMNS if task == Task.DETECTION else (*CLASSIFICATION_COLUMNS, "pre_confidence")
    return tuple(dict.fromkeys((*own, *EFFORT_COLUMNS)))


def quality_of(
    results: pl.DataFrame, *, job_id: int, task: str, iou_threshold: float, data_revision: int, classes: list[str]
) -> JobQuality:
    """results: quality_columns(task) of the job's results frame; classes: its label spec's, in order."""
    expert_labels = results["expert_class"].count()
    pre_labels = results["pre_class"].count()
    unscored = results.filter(pl.col("pre_class").is_not_null())["pre_confidence"].null_count()
    ranked = pre_labels > unscored  # with no confidence at all there is nothing to rank the pre-labels by
    notes = []
    if unscored and ranked:
        notes.append(f"{plural(unscored, 'pre-label')} without a confidence: ranked as 1.0, kept at every threshold")
    elif unscored:
        notes.append("no pre-label has a confidence: no AP and no best threshold, which need one to rank them by")
    if task == Task.DETECTION:
        detection = detection_figures(results, classes=classes, iou_threshold=iou_threshold)
        per_class, scored, accuracy, confusion = detection.per_class, detection.scored, None, None
        if not ranked:
            per_class = {name: replace(c, ap=None, ap50=None) for name, c in per_class.items()}
    else:
        figures = classification_figures(results, classes=classes)
        per_class, accuracy, confusion = figures.per_class, figures.accuracy, figures.confusion
        scored = _classification_scored(results)
    # COCO's AP: the mean over the classes that have expert labels (COCOeval leaves the others out).
    aps = [c.ap for c in per_class.values() if c.ap is not None]
    ap50s = [c.ap50 for c in per_class.values() if c.ap50 is not None]
    counts = by_confidence(results)
    return JobQuality(
        job_id=job_id,
        task=task,
        iou_threshold=iou_threshold,
        data_revision=data_revision,
        per_class=per_class,
        ap=sum(aps) / len(aps) if aps and ranked else None,
        ap50=sum(ap50s) / len(ap50s) if ap50s and ranked else None,
        curve=_curve(scored, counts, expert_labels=expert_labels, totals=_totals(per_class)),
        best=best_threshold(counts, expert_labels=expert_labels) if ranked else None,
        as_labelled=as_labelled(counts, expert_labels=expert_labels),
        unscored=unscored,
        accuracy=accuracy,
        confusion=confusion,
        notes=tuple(notes),
    )


def _totals(per_class: dict[str, ClassQuality]) -> int:
    """The expert labels the curve's recall divides by (detection: those inside COCO's area range)."""
    return sum(c.expert_labels for c in per_class.values())


def _classification_scored(results: pl.DataFrame) -> pl.DataFrame:
    """score, true_positives, false_positives of each image's pre-label (right when it is the expert's class)."""
    right = (pl.col("pre_class") == pl.col("expert_class")).fill_null(False)
    return results.filter(pl.col("pre_class").is_not_null()).select(
        confidence(), right.cast(pl.Int64).alias("true_positives"), (~right).cast(pl.Int64).alias("false_positives")
    )


def _curve(scored: pl.DataFrame, counts: pl.DataFrame, *, expert_labels: int, totals: int) -> pl.DataFrame:
    """CURVE_SCHEMA at THRESHOLD_GRID: precision, recall and F1 of the kept pre-labels (micro: every class at
    once), beside the effort."""
    kept = scored.group_by("score").agg(pl.col(c).sum() for c in CURVE_COUNTS)
    found = at_thresholds(kept, pl.Series(THRESHOLD_GRID, dtype=pl.Float64), CURVE_COUNTS)
    # 101 rows, divided by numpy: polars divides a column by one number through its reciprocal, an ulp off at times
    tp, fp = (found[c].to_numpy().astype(np.float64) for c in CURVE_COUNTS)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(tp + fp > 0, tp / (tp + fp), np.nan)
        recall = tp / totals if totals else np.full(tp.shape, np.nan)
        f1 = 2 * tp / (tp + fp + totals)  # 2PR / (P + R): 0 when nothing kept is right
    f1[np.isnan(precision) | np.isnan(recall)] = np.nan
    return (
        found.with_columns(
            pl.Series("precision", precision, nan_to_null=True),
            pl.Series("recall", recall, nan_to_null=True),
            pl.Series("f1", f1, nan_to_null=True),
        )
        .join(effort_curve(counts, expert_labels=expert_labels), on="threshold")
        .select(pl.col(name).cast(dtype) for name, dtype in CURVE_SCHEMA.items())
        .sort("threshold")
    )
