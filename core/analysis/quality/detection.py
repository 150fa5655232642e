"""A detection job's pre-labels judged as COCOeval judges detections: the expert boxes are the ground truth (one per
result with an expert box), the pre boxes the detections (one per result with a pre box), each scored by its
confidence.

What the results frame cannot say, it is told: image ids are the sample ids, ground-truth order and the order of
equal scores are the results' order (result_id), and a pre box without a confidence ranks as 1.0. A COCO ground-truth
file and results file written that way give COCOeval the same figures (tests/unit/test_quality_coco.py)."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from core.analysis.quality.coco_ap import average_precisions
from core.analysis.quality.coco_match import IOU_THRESHOLDS, best_detections, detection_outcomes, is_ignored
from core.analysis.quality.figures import ClassQuality

DETECTION_COLUMNS = (
    "result_id",
    "sample_id",
    "expert_class",
    "pre_class",
    *[f"{side}_{c}" for side in ("expert", "pre") for c in "xywh"],
    "pre_confidence",
)
UNSCORED_RANK = 1.0


@dataclass(frozen=True)
class DetectionFigures:
    per_class: dict[str, ClassQuality]
    # score, true_positives, false_positives: each detection COCO counts at the job's IoU (the curve's counts)
    scored: pl.DataFrame


def confidence() -> pl.Expr:
    return pl.col("pre_confidence").fill_null(UNSCORED_RANK).alias("score")


def _boxes(results: pl.DataFrame, side: str, classes: pl.Enum) -> pl.DataFrame:
    cls = pl.col(f"{side}_class").cast(classes).to_physical().cast(pl.Int64)
    return results.filter(pl.col(f"{side}_x").is_not_null()).select(
        "sample_id",
        "result_id",
        cls.alias("cls"),
        (pl.col("sample_id") * len(classes.categories) + cls).alias("group"),
        *[pl.col(f"{side}_{c}").alias(c) for c in "xywh"],
        *([confidence()] if side == "pre" else []),
    )


def detection_figures(results: pl.DataFrame, *, classes: list[str], iou_threshold: float) -> DetectionFigures:
    """Per class (every class of `classes`, in order): AP, AP50 and the counts at `iou_threshold` (COCO's matching
    there, every detection kept but for COCO's 100 per image and class)."""
    enum = pl.Enum(classes)
    gt = _boxes(results, "expert", enum).rename({"result_id": "g"})
    # COCOeval's order: score, highest first; then image id; then the image's own order (here: result_id).
    det = best_detections(
        _boxes(results, "pre", enum)
        .sort(["score", "sample_id", "result_id"], descending=[True, False, False])
        .with_row_index("d")
        .with_columns(pl.col("d").cast(pl.Int64))
    )
    at_job = IOU_THRESHOLDS.index(iou_threshold) if iou_threshold in IOU_THRESHOLDS else len(IOU_THRESHOLDS)
    thresholds = IOU_THRESHOLDS if at_job < len(IOU_THRESHOLDS) else (*IOU_THRESHOLDS, iou_threshold)
    outcomes = detection_outcomes(gt=gt, det=det, thresholds=thresholds)
    expert_labels = gt.filter(~is_ignored()).group_by("cls").agg(pl.len().cast(pl.Int64).alias("expert_labels"))
    aps = average_precisions(outcomes.rename({"d": "rank"}), expert_labels, thresholds=len(IOU_THRESHOLDS))
    scored = outcomes.filter(~pl.col(f"ignored{at_job}")).select(
        "cls",
        "score",
        pl.col(f"tp{at_job}").cast(pl.Int64).alias("true_positives"),
        (~pl.col(f"tp{at_job}")).cast(pl.Int64).alias("false_positives"),
    )
    counts = scored.group_by("cls").agg(
        pl.len().cast(pl.Int64).alias("pre_labels"), pl.col("true_positives").sum().alias("true_positives")
    )
    table = (
        pl.DataFrame({"cls": range(len(classes))}, schema={"cls": pl.Int64})
        .join(expert_labels, on="cls", how="left")
        .join(counts, on="cls", how="left")
        .join(aps.select("cls", "ap", "ap50"), on="cls", how="left")
        .with_columns(pl.col("expert_labels", "pre_labels", "true_positives").fill_null(0))
        .sort("cls")
    )
    per_class = {
        classes[row["cls"]]: ClassQuality(
            expert_labels=row["expert_labels"],
            pre_labels=row["pre_labels"],
            true_positives=row["true_positives"],
            ap=row["ap"],
            ap50=row["ap50"],
        )
        for row in table.iter_rows(named=True)
    }
    return DetectionFigures(per_class=per_class, scored=scored.drop("cls"))
