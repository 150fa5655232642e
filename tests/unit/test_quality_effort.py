"""Expert effort by confidence threshold (core.analysis.quality.effort, docs/glossary.md "Edits") and the
classification figures (core.analysis.quality.classification), against a hand-counted job and against counting
result by result, the way scikit-learn's accuracy_score, confusion_matrix and precision_recall_fscore_support
define them."""

from __future__ import annotations

from collections import Counter

import numpy as np
import polars as pl
import pytest

from core.analysis.quality.compute import quality_of
from core.analysis.quality.effort import THRESHOLD_GRID, as_labelled, best_threshold, by_confidence, effort_curve
from core.domain.vocabulary import ADDED_ROW

SCHEMA = {"expert_class": pl.String, "pre_class": pl.String, "pre_confidence": pl.Float64}
# One result each: (expert class, pre-label class, confidence)
HAND_MADE = [
    ("car", "car", 0.9),  # kept as it was
    ("car", "dog", 0.4),  # relabelled
    ("person", None, None),  # added: no pre-label
    (None, "car", 0.2),  # removed
    (None, "person", 0.6),  # removed
]


def effort_at(rows: list[tuple], threshold: float) -> tuple[int, int, int, int]:
    """(kept, deletions, additions, relabels) counted result by result; no confidence: always kept."""
    kept = [pre is not None and (score is None or score >= threshold) for _, pre, score in rows]
    return (
        sum(kept),
        sum(k and expert is None for k, (expert, _, _) in zip(kept, rows)),
        sum(expert is not None and not k for k, (expert, _, _) in zip(kept, rows)),
        sum(k and expert is not None and expert != pre for k, (expert, pre, _) in zip(kept, rows)),
    )


def parts(effort) -> tuple[int, int, int, int]:
    return (effort.kept, effort.deletions, effort.additions, effort.relabels)


def test_a_hand_counted_job():
    counts = by_confidence(pl.DataFrame(HAND_MADE, schema=SCHEMA, orient="row"))
    assert parts(as_labelled(counts, expert_labels=3)) == (4, 2, 1, 1)  # every pre-label kept: 4 edits
    curve = {row["threshold"]: row for row in effort_curve(counts, expert_labels=3).iter_rows(named=True)}
    assert [curve[t]["edits"] for t in (0.0, 0.3, 0.5, 0.7, 1.0)] == [4, 3, 3, 2, 3]
    assert (curve[0.5]["deletions"], curve[0.5]["additions"], curve[0.5]["relabels"]) == (1, 2, 0)
    best = best_threshold(counts, expert_labels=3)
    assert best is not None and (best.threshold, best.edits) == (0.9, 2)  # only the car it got right kept


@pytest.mark.parametrize("seed", range(8))
def test_the_curve_and_the_best_threshold_count_what_each_result_costs(seed):
    rng = np.random.default_rng(seed)
    classes = ["a", "b", "c"]
    rows = []
    for _ in range(300):
        expert = None if rng.random() < 0.2 else str(rng.choice(classes))
        pre = None if expert is not None and rng.random() < 0.15 else str(rng.choice(classes))
        score = None if pre is None or rng.random() < 0.05 else round(float(rng.random()), 2)
        rows.append((expert, pre, score))
    expert_labels = sum(expert is not None for expert, _, _ in rows)
    counts = by_confidence(pl.DataFrame(rows, schema=SCHEMA, orient="row"))
    curve = effort_curve(counts, expert_labels=expert_labels)
    assert curve["threshold"].to_list() == list(THRESHOLD_GRID)
    for row in curve.iter_rows(named=True):
        assert (row["kept"], row["deletions"], row["additions"], row["relabels"]) == effort_at(rows, row["threshold"])
        assert row["edits"] == row["deletions"] + row["additions"] + row["relabels"]
    scores = sorted({1.0 if score is None else score for _, pre, score in rows if pre is not None})
    fewest = min(sum(effort_at(rows, s)[1:]) for s in scores)
    best = best_threshold(counts, expert_labels=expert_labels)
    assert best is not None and best.edits == fewest
    assert best.threshold == min(s for s in scores if sum(effort_at(rows, s)[1:]) == fewest)
    assert parts(best) == effort_at(rows, best.threshold)


def classification_frame(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=SCHEMA, orient="row")


def test_classification_figures_are_scikit_learns():
    rng = np.random.default_rng(3)
    classes = ["apple", "banana", "orange", "lemon", "kiwi"]  # kiwi: in the spec, on no image
    rows = []
    for _ in range(400):
        expert = str(rng.choice(classes[:4]))
        pre = None if rng.random() < 0.03 else (expert if rng.random() < 0.7 else str(rng.choice(classes[:4])))
        rows.append((expert, pre, None if pre is None else round(float(rng.random()), 3)))
    quality = quality_of(
        classification_frame(rows), job_id=1, task="classification", iou_threshold=0.5, data_revision=1, classes=classes
    )
    truth, predicted = [r[0] for r in rows], [r[1] or ADDED_ROW for r in rows]
    assert quality.accuracy == sum(t == p for t, p in zip(truth, predicted)) / len(rows)
    pairs = Counter(zip(truth, predicted))
    assert quality.confusion is not None
    assert quality.confusion.expert == tuple(classes[:4]) and quality.confusion.pre == (*classes[:4], ADDED_ROW)
    assert quality.confusion.counts == tuple(tuple(pairs[(t, p)] for p in quality.confusion.pre) for t in classes[:4])
    for name in classes:
        right = pairs[(name, name)]
        predicted_as, truly = predicted.count(name), truth.count(name)
        figures = quality.per_class[name]
        assert (figures.precision, figures.recall) == (
            right / predicted_as if predicted_as else None,
            right / truly if truly else None,
        )
        if figures.precision and figures.recall:
            assert figures.f1 == pytest.approx(
                2 * figures.precision * figures.recall / (figures.precision + figures.recall)
            )
        assert figures.ap is None
    assert quality.ap is None and quality.recall == quality.accuracy
    assert quality.precision == sum(t == p for t, p in zip(truth, predicted)) / sum(p != ADDED_ROW for p in predicted)
    assert quality.best is not None and quality.as_labelled.edits == sum(t != p for t, p in zip(truth, predicted))


def test_pre_labels_without_any_confidence_give_no_ap_and_no_best_threshold():
    rows = [("apple", "apple", None), ("apple", "banana", None), ("banana", "banana", None)]
    quality = quality_of(
        classification_frame(rows),
        job_id=1,
        task="classification",
        iou_threshold=0.5,
        data_revision=1,
        classes=["apple", "banana"],
    )
    assert quality.best is None and quality.unscored == 3
    assert quality.as_labelled.edits == 1 and quality.notes
    assert quality.accuracy == pytest.approx(2 / 3)
