"""The results behind the counts of the Pre-label quality section, as the Visualize page's filters select them: a
count here is the number of results its filter keeps, counted with that filter's own expression, so a link opens
exactly what its number says, in every review state (the tabs split them).

The counts follow the job's own pairing of expert and pre-label boxes (a result: an expert label, a pre-label, or a
pair), as the edits do (docs/glossary.md, "Edits"): a class's **false positives** are its pre-labels the expert
removed or relabelled to another class (pre-label class, Class Changed); its **missed** labels the expert labels of
the class without a pre-label of it: added, or relabelled to it (expert review class, Class Changed). A relabelled
pre-label is both, as COCO counts it: a false positive of its class and a miss of the expert's. Precision and recall
(core.analysis.quality.detection) pair boxes per class instead, as COCOeval does, so on a crowded image the two can
differ by a few."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import polars as pl

from core.analysis.filters import ResultFilter

SLICE_COUNTS = ("expert_labels", "pre_labels", "false_positives", "missed")


def _counted(name: str, min_confidence: float) -> tuple[str, ResultFilter]:
    """The class column count `name` groups by (the expert review class, or the pre-label class) and the filter
    that narrows every class alike."""
    if name == "expert_labels":  # the class's expert labels
        return "class_row", ResultFilter()
    if name == "pre_labels":  # the class's pre-labels
        return "pre_class_row", ResultFilter()
    if name == "false_positives":  # its pre-labels the expert removed or relabelled, at min_confidence or above
        # Above 0 a pre-label without a confidence is left out, as the confidence filter leaves it out.
        return "pre_class_row", ResultFilter(class_changed=True, confidence_min=min_confidence or None)
    if name == "missed":  # its expert labels without a pre-label of the class: added, or relabelled to it
        return "class_row", ResultFilter(class_changed=True)
    raise ValueError(f"no count {name!r} (expected one of {', '.join(SLICE_COUNTS)})")


def slice_filter(name: str, class_name: str, *, min_confidence: float = 0.0) -> ResultFilter:
    """The filter that selects the results count `name` of SLICE_COUNTS counts for the class."""
    column, narrowing = _counted(name, min_confidence)
    if column == "class_row":
        return replace(narrowing, classes=(class_name,))
    return replace(narrowing, pre_classes=(class_name,))


def class_slices(results: pl.DataFrame, classes: Sequence[str], *, min_confidence: float = 0.0) -> pl.DataFrame:
    """class, then SLICE_COUNTS: per class of `classes` (in that order) the results slice_filter keeps, one pass
    per count. results: the job's results frame (class_row, pre_class_row, class_changed, pre_confidence)."""
    counts = pl.DataFrame({"class": list(classes)}, schema={"class": pl.String})
    for name in SLICE_COUNTS:
        column, narrowing = _counted(name, min_confidence)
        per_class = (
            results.lazy()
            .filter(narrowing.expr())
            .group_by(pl.col(column).cast(pl.String).alias("class"))
            .agg(pl.len().cast(pl.Int64).alias(name))
            .collect()
        )
        counts = counts.join(per_class, on="class", how="left", maintain_order="left")
    return counts.with_columns(pl.col(SLICE_COUNTS).fill_null(0))
