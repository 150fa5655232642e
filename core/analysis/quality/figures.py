"""What `job_quality` returns: how good a job's pre-labels were, the expert labels taken as the truth. Plain frozen
dataclasses (a page reads fields; st.cache_data pickles them), written to and read from JSON for the cache file and
`python -m core quality --json`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

# One row per confidence threshold of the grid (core.analysis.quality.effort.THRESHOLD_GRID): the pre-labels with a
# confidence >= threshold kept, the rest dropped.
CURVE_SCHEMA = {
    "threshold": pl.Float64,
    "kept": pl.Int64,  # pre-labels kept
    "true_positives": pl.Int64,  # kept pre-labels matched to an expert label of their class (COCO, job IoU)
    "false_positives": pl.Int64,
    "precision": pl.Float64,
    "recall": pl.Float64,
    "f1": pl.Float64,
    "deletions": pl.Int64,  # the parts of `edits`: see Effort
    "additions": pl.Int64,
    "relabels": pl.Int64,
    "edits": pl.Int64,
}


def ratio(part: int, whole: int) -> float | None:
    """part / whole, None when there is nothing to divide by (a figure that does not exist is not 0)."""
    return part / whole if whole else None


def f1_of(precision: float | None, recall: float | None) -> float | None:
    if precision is None or recall is None:
        return None
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


@dataclass(frozen=True)
class ClassQuality:
    """One class's figures. expert_labels: its expert labels (the truth); pre_labels: the pre-labels of the class
    counted as predictions; true_positives: those matched to an expert label of the class (detection: COCO's
    matching at the job's IoU). ap, ap50: COCO's AP@[.5:.95] and AP at IoU .5 (None for classification, and for a
    class without expert labels, as COCOeval leaves it out); None for any figure with nothing to divide by."""

    expert_labels: int
    pre_labels: int
    true_positives: int
    ap: float | None = None
    ap50: float | None = None

    @property
    def precision(self) -> float | None:
        return ratio(self.true_positives, self.pre_labels)

    @property
    def recall(self) -> float | None:
        return ratio(self.true_positives, self.expert_labels)

    @property
    def f1(self) -> float | None:
        return f1_of(self.precision, self.recall)

    def to_json(self) -> dict[str, Any]:
        return {
            "ap": self.ap,
            "ap50": self.ap50,
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "expert_labels": self.expert_labels,
            "pre_labels": self.pre_labels,
            "true_positives": self.true_positives,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ClassQuality:
        return cls(
            expert_labels=data["expert_labels"],
            pre_labels=data["pre_labels"],
            true_positives=data["true_positives"],
            ap=data["ap"],
            ap50=data["ap50"],
        )


@dataclass(frozen=True)
class Effort:
    """The expert's edits had the pre-labels with a confidence below `threshold` been dropped, on the pairs the
    job's matching made (docs/glossary.md, "Edits"): deletions (kept pre-labels the expert removed), additions
    (expert labels without a kept pre-label: drawn, or chosen, from scratch) and relabels (kept pre-labels paired
    with an expert label of another class)."""

    threshold: float
    kept: int
    deletions: int
    additions: int
    relabels: int

    @property
    def edits(self) -> int:
        return self.deletions + self.additions + self.relabels

    def to_json(self) -> dict[str, Any]:
        return {
            "threshold": self.threshold,
            "kept": self.kept,
            "edits": self.edits,
            "deletions": self.deletions,
            "additions": self.additions,
            "relabels": self.relabels,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Effort:
        return cls(**{k: data[k] for k in ("threshold", "kept", "deletions", "additions", "relabels")})


@dataclass(frozen=True)
class Confusion:
    """Classification: counts[i][j] results with expert class expert[i] and pre-label class pre[j] (rows the truth,
    as scikit-learn's confusion_matrix); pre ends with "(added)" when some images had no pre-label."""

    expert: tuple[str, ...]
    pre: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]

    def to_json(self) -> dict[str, Any]:
        return {"expert": list(self.expert), "pre": list(self.pre), "counts": [list(row) for row in self.counts]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Confusion:
        return cls(expert=tuple(data["expert"]), pre=tuple(data["pre"]), counts=tuple(tuple(r) for r in data["counts"]))


# eq=False: a polars frame has no truth value, so field-by-field equality would raise; compare to_json() instead.
@dataclass(frozen=True, eq=False)
class JobQuality:
    """How good a READY manual label job's pre-labels were (core.analysis.quality.service.job_quality).

    precision, recall, f1: over every class at once (the counts of per_class summed) at the job's IoU threshold,
    every pre-label kept. ap, ap50: COCO's, the mean over the classes with expert labels. best: the confidence
    threshold with the fewest edits (None when no pre-label has a confidence); as_labelled: every pre-label kept,
    the edits the expert made. curve: CURVE_SCHEMA. accuracy and confusion: classification only."""

    job_id: int
    task: str
    iou_threshold: float
    data_revision: int
    per_class: dict[str, ClassQuality]
    ap: float | None
    ap50: float | None
    curve: pl.DataFrame
    best: Effort | None
    as_labelled: Effort
    unscored: int  # pre-labels without a confidence, ranked as 1.0
    accuracy: float | None = None
    confusion: Confusion | None = None
    notes: tuple[str, ...] = ()

    @property
    def totals(self) -> ClassQuality:
        rows = self.per_class.values()
        return ClassQuality(
            expert_labels=sum(c.expert_labels for c in rows),
            pre_labels=sum(c.pre_labels for c in rows),
            true_positives=sum(c.true_positives for c in rows),
        )

    @property
    def precision(self) -> float | None:
        return self.totals.precision

    @property
    def recall(self) -> float | None:
        return self.totals.recall

    @property
    def f1(self) -> float | None:
        return self.totals.f1

    @property
    def best_threshold(self) -> float | None:
        return None if self.best is None else self.best.threshold

    def to_json(self) -> dict[str, Any]:
        totals = self.totals
        return {
            "job_id": self.job_id,
            "task": self.task,
            "iou_threshold": self.iou_threshold,
            "data_revision": self.data_revision,
            "ap": self.ap,
            "ap50": self.ap50,
            "precision": totals.precision,
            "recall": totals.recall,
            "f1": totals.f1,
            "expert_labels": totals.expert_labels,
            "pre_labels": totals.pre_labels,
            "true_positives": totals.true_positives,
            "unscored": self.unscored,
            "best_threshold": self.best_threshold,
            "best": None if self.best is None else self.best.to_json(),
            "as_labelled": self.as_labelled.to_json(),
            "accuracy": self.accuracy,
            "confusion_matrix": None if self.confusion is None else self.confusion.to_json(),
            "per_class": {name: figures.to_json() for name, figures in self.per_class.items()},
            "curve": self.curve.to_dicts(),
            "notes": list(self.notes),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> JobQuality:
        return cls(
            job_id=data["job_id"],
            task=data["task"],
            iou_threshold=data["iou_threshold"],
            data_revision=data["data_revision"],
            per_class={name: ClassQuality.from_json(c) for name, c in data["per_class"].items()},
            ap=data["ap"],
            ap50=data["ap50"],
            curve=pl.DataFrame(data["curve"], schema=CURVE_SCHEMA, orient="row"),
            best=None if data["best"] is None else Effort.from_json(data["best"]),
            as_labelled=Effort.from_json(data["as_labelled"]),
            unscored=data["unscored"],
            accuracy=data["accuracy"],
            confusion=None if data["confusion_matrix"] is None else Confusion.from_json(data["confusion_matrix"]),
            notes=tuple(data["notes"]),
        )
