"""The vectorised parts of the COCO figures (core.analysis.quality.coco_match and coco_ap) against straight ports
of pycocotools' loops (COCOeval.evaluateImg's matching walk and COCOeval.accumulate), on random cases crowded with
what the vectorised forms must get right: detections contending for the same boxes, tied IoUs, boxes outside the
area range, recalls that land on a recall level."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from core.analysis.quality.coco_ap import RECALL_LEVELS, average_precisions
from core.analysis.quality.coco_match import IOU_THRESHOLDS, matches_at

SEEDS = range(12)


def random_pairs(rng: np.random.Generator, groups: int) -> pl.DataFrame:
    """d, g, ignored, iou of `groups` groups of up to 7 detections and 7 boxes, most pairs above .5, IoUs from a
    few values so that they tie; sorted as scored_pairs sorts them."""
    rows = []
    d = g = 0
    for _ in range(groups):
        n_det, n_gt = (int(n) for n in rng.integers(1, 8, size=2))
        dets, gts = range(d, d + n_det), range(g, g + n_gt)
        ignored = {b: bool(rng.random() < 0.2) for b in gts}
        for i in dets:
            for j in gts:
                if rng.random() < 0.7:
                    rows.append((i, j, ignored[j], float(rng.choice([0.5, 0.55, 0.6, 0.75, 0.9, 1.0]))))
        d, g = d + n_det, g + n_gt
    frame = pl.DataFrame(
        rows, schema={"d": pl.Int64, "g": pl.Int64, "ignored": pl.Boolean, "iou": pl.Float64}, orient="row"
    )
    return frame.sort(["d", "ignored", "iou", "g"], descending=[False, False, True, True])


def cocoeval_walk(pairs: pl.DataFrame, t: float) -> dict[int, bool]:
    """COCOeval.evaluateImg's loop over a group's detections and boxes (boxes in ground-truth order, those outside
    the area range last): the detections it matches, each with its box's ignore flag."""
    iou = {(d, g): v for d, g, _, v in pairs.iter_rows()}
    ignored = dict(zip(pairs["g"], pairs["ignored"]))
    gts = sorted(ignored, key=lambda g: (ignored[g], g))  # a stable sort by the flag of boxes in their order
    taken: set[int] = set()
    matched = {}
    for d in sorted(set(pairs["d"])):
        best, m = min(t, 1 - 1e-10), None
        for g in gts:
            if g in taken:
                continue
            if m is not None and not ignored[m] and ignored[g]:
                break
            if iou.get((d, g), 0.0) < best:
                continue
            best, m = iou[(d, g)], g
        if m is not None:
            taken.add(m)
            matched[d] = ignored[m]
    return matched


@pytest.mark.parametrize("seed", SEEDS)
def test_the_rounds_match_what_cocoevals_walk_matches(seed):
    pairs = random_pairs(np.random.default_rng(seed), groups=40)
    for t in (*IOU_THRESHOLDS, 0.3, 1.0):
        ours = matches_at(pairs, t)
        assert dict(ours.select("d", "ignored").iter_rows()) == cocoeval_walk(pairs, t)


def cocoeval_accumulate(tp: np.ndarray, ignored: np.ndarray, expert_labels: int) -> float:
    """COCOeval.accumulate's precision at the recall levels, averaged: one class, one threshold, detections in
    rank order."""
    tps, fps = np.logical_and(tp, ~ignored), np.logical_and(~tp, ~ignored)
    tp_sum, fp_sum = np.cumsum(tps).astype(float), np.cumsum(fps).astype(float)
    recall = tp_sum / expert_labels
    precision = (tp_sum / (fp_sum + tp_sum + np.spacing(1))).tolist()
    for i in range(len(tp) - 1, 0, -1):
        if precision[i] > precision[i - 1]:
            precision[i - 1] = precision[i]
    levels = RECALL_LEVELS.to_numpy()
    q = np.zeros(len(levels))
    for level, at in enumerate(np.searchsorted(recall, levels, side="left")):
        if at < len(precision):
            q[level] = precision[at]
    return float(q.mean())


@pytest.mark.parametrize("seed", SEEDS)
def test_average_precision_is_cocoevals_accumulate(seed):
    rng = np.random.default_rng(seed)
    classes, rows, expected = [], [], {}
    for cls in range(8):
        n = int(rng.integers(0, 300))
        tp = rng.random(n) < rng.uniform(0.2, 0.95)
        ignored = ~tp & (rng.random(n) < 0.05)
        # as many ground-truth boxes as some recall lands on a level with: 130 and 91 found give 0.7, an ulp apart
        # from COCO's level .70 when computed any other way than COCOeval does
        expert_labels = int(tp.sum()) + int(rng.integers(0 if tp.any() else 1, 60))
        classes.append((cls, expert_labels))
        rows += [(cls, rank, bool(a), bool(b)) for rank, (a, b) in enumerate(zip(tp, ignored))]
        expected[cls] = cocoeval_accumulate(tp, ignored, expert_labels)
    classes.append((8, 130))
    rows += [(8, rank, rank < 91, False) for rank in range(100)]
    expected[8] = cocoeval_accumulate(np.arange(100) < 91, np.zeros(100, dtype=bool), 130)
    outcomes = pl.DataFrame(rows, schema=["cls", "rank", "tp0", "ignored0"], orient="row")
    outcomes = outcomes.with_columns(pl.col("cls", "rank").cast(pl.Int64))
    expert = pl.DataFrame(classes, schema={"cls": pl.Int64, "expert_labels": pl.Int64}, orient="row")
    found = average_precisions(outcomes, expert, thresholds=1)
    assert dict(found.select("cls", "ap").iter_rows()) == pytest.approx(expected, abs=1e-12)
