"""A classification job's pre-labels against the expert's: one result per image, the expert class the truth and
the pre-label class the prediction (scikit-learn's accuracy_score, confusion_matrix and per-class
precision_recall_fscore_support; tests/unit/test_quality_classification.py checks them by counting)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from core.analysis.quality.figures import ClassQuality, Confusion
from core.domain.vocabulary import ADDED_ROW

CLASSIFICATION_COLUMNS = ("expert_class", "pre_class")


@dataclass(frozen=True)
class ClassificationFigures:
    per_class: dict[str, ClassQuality]
    accuracy: float | None
    confusion: Confusion


def classification_figures(results: pl.DataFrame, *, classes: list[str]) -> ClassificationFigures:
    """per_class: every class of `classes`. The confusion matrix has the classes that occur (as expert or
    pre-label class, in the order of `classes`, the same on both sides, as scikit-learn's without `labels`); an
    image without a pre-label counts as a wrong prediction, in a column of its own, "(added)", and no class's
    precision counts it."""
    labelled = results.filter(pl.col("expert_class").is_not_null())
    enum = pl.Enum(classes)
    codes = labelled.select(
        pl.col("expert_class").cast(enum).to_physical().cast(pl.Int64).alias("expert"),
        pl.col("pre_class").cast(enum).to_physical().cast(pl.Int64).alias("pre"),
    )
    occurring = sorted(set(codes["expert"].unique().to_list()) | set(codes["pre"].drop_nulls().unique().to_list()))
    unlabelled = codes["pre"].null_count() > 0
    at = {code: i for i, code in enumerate(occurring)}
    pairs = codes.group_by("expert", "pre").agg(pl.len().cast(pl.Int64).alias("n"))
    matrix = np.zeros((len(occurring), len(occurring) + unlabelled), dtype=np.int64)
    for expert, pre, n in pairs.iter_rows():  # a row per pair of classes that occurs, not per image
        matrix[at[expert], len(occurring) if pre is None else at[pre]] = n
    expert_counts = dict(codes.group_by("expert").len().iter_rows())
    pre_counts = dict(codes.drop_nulls("pre").group_by("pre").len().iter_rows())
    right = dict(codes.filter(pl.col("expert") == pl.col("pre")).group_by("expert").len().iter_rows())
    per_class = {
        name: ClassQuality(
            expert_labels=expert_counts.get(code, 0),
            pre_labels=pre_counts.get(code, 0),
            true_positives=right.get(code, 0),
        )
        for code, name in enumerate(classes)
    }
    names = [classes[code] for code in occurring]
    return ClassificationFigures(
        per_class=per_class,
        accuracy=sum(right.values()) / codes.height if codes.height else None,
        confusion=Confusion(
            expert=tuple(names),
            pre=(*names, *([ADDED_ROW] if unlabelled else [])),
            counts=tuple(tuple(int(n) for n in row) for row in matrix),
        ),
    )
