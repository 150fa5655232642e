"""The independent side of the pre-label quality tests: pycocotools' COCOeval run on COCO files, and a detection
job generated to hold what COCO's rules have edge cases for."""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from core.analysis.quality.detection import DETECTION_COLUMNS


def job_as_coco(frame: pl.DataFrame, classes: list[str], out: Path, *, min_score: float = 0.0) -> tuple[Path, Path]:
    """The job's results frame (DETECTION_COLUMNS) as COCO files: expert boxes as the ground truth, pre boxes as
    results scored by their confidence (1.0 without one), both in the results' order, image ids the sample ids.
    Only the pre boxes scored >= min_score."""
    frame = frame.select(DETECTION_COLUMNS).sort("result_id")
    category = {name: i for i, name in enumerate(classes, 1)}
    gt = [
        {
            "id": r["result_id"],
            "image_id": r["sample_id"],
            "category_id": category[r["expert_class"]],
            "bbox": [r["expert_x"], r["expert_y"], r["expert_w"], r["expert_h"]],
            "area": r["expert_w"] * r["expert_h"],
            "iscrowd": 0,
        }
        for r in frame.filter(pl.col("expert_x").is_not_null()).iter_rows(named=True)
    ]
    results = [
        {
            "image_id": r["sample_id"],
            "category_id": category[r["pre_class"]],
            "bbox": [r["pre_x"], r["pre_y"], r["pre_w"], r["pre_h"]],
            "score": 1.0 if r["pre_confidence"] is None else r["pre_confidence"],
        }
        for r in frame.filter(pl.col("pre_x").is_not_null()).iter_rows(named=True)
    ]
    images = [{"id": i, "width": 1, "height": 1} for i in sorted(set(frame["sample_id"].to_list()))]
    categories = [{"id": i, "name": name} for name, i in category.items()]
    out.mkdir(parents=True, exist_ok=True)
    gt_path, dt_path = out / "gt.json", out / "results.json"
    gt_path.write_text(json.dumps({"images": images, "annotations": gt, "categories": categories}))
    dt_path.write_text(json.dumps([r for r in results if r["score"] >= min_score]))
    return gt_path, dt_path


def coco_eval(gt_path: Path, dt_path: Path, *, iou_thresholds: list[float] | None = None) -> COCOeval:
    """COCOeval, iouType "bbox", evaluated and accumulated (its printing swallowed)."""
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(str(gt_path))
        evaluation = COCOeval(gt, gt.loadRes(str(dt_path)), "bbox")
        if iou_thresholds is not None:
            evaluation.params.iouThrs = np.array(iou_thresholds)
        evaluation.evaluate()
        evaluation.accumulate()
    return evaluation


@dataclass(frozen=True)
class CocoFigures:
    ap: float
    ap50: float
    per_class: dict[str, tuple[float | None, float | None]]  # name: (ap, ap50), None where COCOeval has -1


def coco_figures(evaluation: COCOeval) -> CocoFigures:
    """AP@[.5:.95] and AP50 as COCOeval.summarize computes them (area "all", maxDets 100), overall and per class."""
    precision = evaluation.eval["precision"][:, :, :, 0, -1]  # [T, R, K]
    names = [evaluation.cocoGt.cats[c]["name"] for c in evaluation.params.catIds]
    per_class = {}
    for k, name in enumerate(names):
        every, at50 = precision[:, :, k], precision[0, :, k]
        per_class[name] = (
            float(every[every > -1].mean()) if (every > -1).any() else None,
            float(at50[at50 > -1].mean()) if (at50 > -1).any() else None,
        )
    return CocoFigures(
        ap=float(precision[precision > -1].mean()),
        ap50=float(precision[0][precision[0] > -1].mean()),
        per_class=per_class,
    )


def coco_counts(evaluation: COCOeval) -> dict[str, tuple[int, int, int]]:
    """name: (ground truth inside the area range, true positives, false positives) at the evaluation's first IoU
    threshold, from COCOeval's own per-image matches (dtMatches, dtIgnore, gtIgnore)."""
    all_area = evaluation.params.areaRng[0]
    counts = {evaluation.cocoGt.cats[c]["name"]: [0, 0, 0] for c in evaluation.params.catIds}
    for image in evaluation.evalImgs:
        if image is None or image["aRng"] != all_area:
            continue
        row = counts[evaluation.cocoGt.cats[image["category_id"]]["name"]]
        matched, ignored = image["dtMatches"][0] > 0, image["dtIgnore"][0].astype(bool)
        row[0] += int((np.asarray(image["gtIgnore"]) == 0).sum())
        row[1] += int((matched & ~ignored).sum())
        row[2] += int((~matched & ~ignored).sum())
    return {name: (n, tp, fp) for name, (n, tp, fp) in counts.items()}


def generated_job(*, seed: int, ties_within_images: bool) -> dict[str, Any]:
    """A COCO ground truth (`expert`) and results (`pre`) holding COCO's edge cases: an unused class, a class only
    the pre-labels use, images without ground truth, without pre-labels and without either, one image with more
    than 100 pre boxes of a class and more than CROWDED_PAIRS pairs, copies of a box, a detection between two equally overlapping boxes, a box
    outside the area range "all", and scores on a grid of .05 (ties across images; within an image and class too
    unless `ties_within_images` is False: the store keeps no pre-label file order to break those by)."""
    rng = np.random.default_rng(seed)
    categories = [{"id": i, "name": n} for i, n in enumerate(("car", "person", "dog", "unused", "ghost"), 1)]
    images = [{"id": i, "file_name": f"img{i:03}.jpg", "width": 640, "height": 480} for i in range(1, 81)]
    images.append({"id": 81, "file_name": "huge.jpg", "width": 200_000, "height": 100_000})
    expert: list[dict] = []
    pre: list[dict] = []

    def box(image: int, category: int, bbox: list[float], score: float | None = None) -> None:
        if score is None:
            expert.append({"id": len(expert) + 1, "image_id": image, "category_id": category, "bbox": bbox})
        else:
            pre.append({"image_id": image, "category_id": category, "bbox": bbox, "score": score})

    for image in range(1, 71):  # 71..80: 71-73 no ground truth, 74-76 no pre-labels, 77-80 nothing
        for _ in range(int(rng.integers(0, 9))):
            category = int(rng.integers(1, 4))
            x, y = float(rng.integers(0, 560)), float(rng.integers(0, 400))
            w, h = float(rng.integers(8, 80)), float(rng.integers(8, 80))
            box(image, category, [x, y, w, h])
            if rng.random() < 0.85:
                dx, dy = (float(v) for v in rng.integers(-6, 7, size=2))
                shown = category if rng.random() > 0.1 else int(rng.integers(1, 4))
                bbox = [min(max(x + dx, 0.0), 640 - w), min(max(y + dy, 0.0), 480 - h), w, h]
                box(image, shown, bbox, round(float(rng.integers(1, 21)) * 0.05, 2))
        for _ in range(int(rng.integers(0, 3))):  # spurious, some in the class no expert uses
            x, y = float(rng.integers(0, 560)), float(rng.integers(0, 400))
            box(image, int(rng.choice([1, 2, 3, 5])), [x, y, 40.0, 40.0], round(float(rng.integers(1, 21)) * 0.05, 2))
    for image in (71, 72, 73):
        box(image, 1, [10.0, 10.0, 50.0, 50.0], 0.5)
    for image in (74, 75, 76):
        box(image, 2, [10.0, 10.0, 50.0, 50.0])
    for i in range(120):  # a crowded image: 120 people, 130 detections of them (pairs found through grids)
        box(1, 2, [float(i % 12) * 50, float(i // 12) * 45, 40.0, 40.0])
    for i in range(130):
        box(1, 2, [float(i % 13) * 45 + 3, float(i // 13) * 44 + 2, 40.0, 50.0], round(0.3 + (i % 14) * 0.05, 2))
    for _ in range(2):  # copies of one box, and a detection between two boxes it overlaps equally
        box(2, 3, [100.0, 100.0, 30.0, 30.0])
    box(2, 3, [100.0, 100.0, 30.0, 30.0], 0.95)
    box(2, 3, [102.0, 100.0, 30.0, 30.0], 0.9)
    box(3, 1, [8.0, 10.0, 10.0, 10.0])
    box(3, 1, [12.0, 10.0, 10.0, 10.0])
    box(3, 1, [10.0, 10.0, 10.0, 10.0], 0.99)
    box(3, 1, [14.0, 10.0, 10.0, 10.0], 0.98)
    box(81, 1, [0.0, 0.0, 150_000.0, 80_000.0])  # 1.2e10 px², outside the area range "all"
    box(81, 1, [1000.0, 0.0, 150_000.0, 80_000.0], 0.7)
    box(81, 1, [0.0, 0.0, 120_000.0, 90_000.0], 0.4)
    box(81, 2, [10.0, 10.0, 50.0, 50.0])
    box(81, 2, [10.0, 10.0, 50.0, 50.0], 0.6)
    if not ties_within_images:
        _untie(pre)
    for annotation in expert:
        annotation |= {"area": annotation["bbox"][2] * annotation["bbox"][3], "iscrowd": 0}
    return {"expert": {"images": images, "annotations": expert, "categories": categories}, "pre": pre}


def _untie(pre: list[dict]) -> None:
    """Make scores distinct within each image and class (by a step too small to reorder unequal ones)."""
    seen: dict[tuple, int] = {}
    for detection in pre:
        key = (detection["image_id"], detection["category_id"], detection["score"])
        seen[key] = seen.get(key, 0) + 1
        detection["score"] = round(detection["score"] - 0.0001 * (seen[key] - 1), 4)
