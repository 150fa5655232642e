"""Expert effort by confidence threshold: how many edits the expert would have made had the pre-labels with a
confidence below the threshold been dropped before labelling (docs/glossary.md, "Edits").

At threshold t a pre-label is kept when its confidence >= t (one without a confidence always is). On the pairs the
job's own matching made (each result: an expert label, a pre-label, or both):
- deletions: kept pre-labels without an expert label (the expert removed them: false positives),
- additions: expert labels without a kept pre-label (pre-label missing or dropped: drawn, or chosen, from scratch),
- relabels: kept pre-labels paired with an expert label of another class,
and edits = deletions + additions + relabels. A box the expert moved or resized is not an edit here, and a pre box
dropped does not pair anew with an expert box whose own pre box was dropped: the figures are the pairing's.

Every count is a sum over the pre-labels at or above t, so it is counted once per distinct confidence and summed
from the top: the curve at any thresholds is a join, and the best threshold is exact, not read off a grid."""

from __future__ import annotations

import polars as pl

from core.analysis.quality.detection import confidence
from core.analysis.quality.figures import Effort

# The curve's thresholds: 0, .01, .., 1.
THRESHOLD_GRID: tuple[float, ...] = tuple(round(i / 100, 2) for i in range(101))
EFFORT_COLUMNS = ("expert_class", "pre_class", "pre_confidence")
PARTS = ("kept", "deletions", "paired", "relabels")


def by_confidence(results: pl.DataFrame) -> pl.DataFrame:
    """score, then per PARTS the pre-labels with exactly that confidence."""
    has_expert, has_pre = pl.col("expert_class").is_not_null(), pl.col("pre_class").is_not_null()
    return (
        results.filter(has_pre)
        .group_by(confidence())
        .agg(
            pl.len().cast(pl.Int64).alias("kept"),
            (~has_expert).sum().cast(pl.Int64).alias("deletions"),
            has_expert.sum().cast(pl.Int64).alias("paired"),
            (has_expert & (pl.col("expert_class") != pl.col("pre_class"))).sum().cast(pl.Int64).alias("relabels"),
        )
    )


def at_thresholds(by_score: pl.DataFrame, thresholds: pl.Series, counts: tuple[str, ...]) -> pl.DataFrame:
    """threshold, then each of `counts` summed over the scores >= threshold. by_score: score, counts (one row per
    distinct score)."""
    from_the_top = by_score.sort("score", descending=True).with_columns(pl.col(c).cum_sum() for c in counts)
    return (
        thresholds.sort()
        .alias("threshold")
        .to_frame()
        .join_asof(from_the_top.sort("score"), left_on="threshold", right_on="score", strategy="forward")
        .select("threshold", *[pl.col(c).fill_null(0) for c in counts])
    )


def _with_edits(kept: pl.DataFrame, expert_labels: int) -> pl.DataFrame:
    return kept.with_columns((expert_labels - pl.col("paired")).alias("additions")).with_columns(
        (pl.col("deletions") + pl.col("additions") + pl.col("relabels")).alias("edits")
    )


def effort_curve(counts: pl.DataFrame, *, expert_labels: int) -> pl.DataFrame:
    """threshold, kept, deletions, additions, relabels, edits at each threshold of THRESHOLD_GRID. counts: as
    by_confidence gives them; expert_labels: how many the job has."""
    grid = pl.Series(THRESHOLD_GRID, dtype=pl.Float64)
    return _with_edits(at_thresholds(counts, grid, PARTS), expert_labels).drop("paired")


def _effort(row: dict) -> Effort:
    return Effort(
        threshold=row["threshold"],
        kept=row["kept"],
        deletions=row["deletions"],
        additions=row["additions"],
        relabels=row["relabels"],
    )


def as_labelled(counts: pl.DataFrame, *, expert_labels: int) -> Effort:
    """Every pre-label kept (threshold 0): the edits the expert made."""
    totals = counts.select(pl.lit(0.0).alias("threshold"), *[pl.col(c).sum() for c in PARTS])
    return _effort(_with_edits(totals, expert_labels).row(0, named=True))


def best_threshold(counts: pl.DataFrame, *, expert_labels: int) -> Effort | None:
    """The threshold with the fewest edits among the pre-labels' own confidences (between two of them nothing
    changes); of equal ones the lowest, which keeps the most pre-labels. None without any confidence."""
    if counts.is_empty():
        return None
    cumulative = counts.sort("score", descending=True).select(
        pl.col("score").alias("threshold"), *[pl.col(c).cum_sum() for c in PARTS]
    )
    edits = _with_edits(cumulative, expert_labels)
    fewest = edits.filter(pl.col("edits") == pl.col("edits").min()).sort("threshold").head(1)
    return _effort(fewest.row(0, named=True))
