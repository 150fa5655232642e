"""Acceptance: importing a COCO detection dataset with a perturbed copy as pre-labels gives the counts and metrics
that an independent computation gives.

The independent side is plain Python: pycocotools' IoU (iscrowd all 0), a naive greedy matcher over pairs sorted
by (-IoU, expert row, pre row), and the metric definitions of docs/glossary.md written out one box at a time.
"""

from __future__ import annotations

import copy
import json
import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from statistics import mean

import pytest
from pycocotools import mask as coco_mask
from sqlalchemy import text

from core.analysis.stats import job_stats
from core.jobs import ingest
from tests.builders import ADMIN, coco_dataset, write_images, write_json

IOU_THRESHOLD = 0.5
# Not 1..n on purpose: the importer must carry ids, not positions.
CATEGORIES = [
    {"id": 3, "name": "person"},
    {"id": 5, "name": "car"},
    {"id": 8, "name": "bike"},
    {"id": 13, "name": "dog"},
    {"id": 21, "name": "sign"},
]
EXTRA_PRE_CLASS = {"id": 34, "name": "truck"}  # only the pre-labels know it (dataset format)
N_IMAGES = 50


def _r2(v: float) -> float:
    return round(v, 2)


def _random_box(rng: random.Random, width: int, height: int) -> list[float]:
    w = _r2(rng.uniform(3, width * 0.6))
    h = _r2(rng.uniform(3, height * 0.6))
    return [_r2(rng.uniform(0, width - w)), _r2(rng.uniform(0, height - h)), w, h]


def _inside(box: list[float], width: int, height: int, rng: random.Random) -> list[float]:
    """Clamp a perturbed box into its image; now and then leave a sliver (< 1 px) past the border, which the
    importer clips."""
    x, y, w, h = box
    x0, y0 = max(0.0, x), max(0.0, y)
    x1, y1 = min(float(width), x + w), min(float(height), y + h)
    if x1 - x0 < 1.5:
        x0, x1 = max(0.0, x1 - 2.0), max(2.0, x1)
    if y1 - y0 < 1.5:
        y0, y1 = max(0.0, y1 - 2.0), max(2.0, y1)
    if x1 >= width and rng.random() < 0.5:
        x1 = width + 0.6
    if y0 <= 0 and rng.random() < 0.5:
        y0 = -0.4
    return [_r2(x0), _r2(y0), _r2(x1 - x0), _r2(y1 - y0)]


@dataclass(frozen=True)
class Generated:
    images: list[dict]
    expert: dict  # COCO dataset
    pre_annotations: list[dict]  # expert ids: image_id, category_id, bbox, score
    planted: Counter


def generate(seed: int = 20250307) -> Generated:
    rng = random.Random(seed)
    images = [
        {
            "id": 100 + i,
            "file_name": f"{'sub/' if i % 7 == 0 else ''}img_{i:03d}.png",
            "width": rng.randint(60, 200),
            "height": rng.randint(40, 160),
        }
        for i in range(N_IMAGES)
    ]
    expert_anns, pre_anns, planted = [], [], Counter()
    class_ids = [c["id"] for c in CATEGORIES]
    for image in images:
        width, height = image["width"], image["height"]
        for _ in range(rng.randint(0, 7)):
            box = _random_box(rng, width, height)
            category = rng.choice(class_ids)
            expert_anns.append(
                {
                    "id": 5000 + len(expert_anns),
                    "image_id": image["id"],
                    "category_id": category,
                    "bbox": box,
                    "area": box[2] * box[3],
                    "iscrowd": 0,
                }
            )
            roll = rng.random()
            x, y, w, h = box
            if roll < 0.10:
                planted["dropped"] += 1
                continue
            if roll < 0.40:
                planted["copied"] += 1
                pre_box = list(box)
            elif roll < 0.60:
                planted["jittered"] += 1
                pre_box = [x + rng.uniform(-0.15, 0.15) * w, y + rng.uniform(-0.15, 0.15) * h, w, h]
            elif roll < 0.75:
                planted["resized"] += 1
                s = rng.choice([0.5, 0.7, 1.4, 2.0])
                pre_box = [x + w * (1 - s) / 2, y + h * (1 - s) / 2, w * s, h * s]
            else:
                planted["relabeled"] += 1
                category = rng.choice([c for c in class_ids if c != category])
                pre_box = list(box) if rng.random() < 0.5 else [x + rng.uniform(-0.1, 0.1) * w, y, w, h]
            pre_anns.append(
                {
                    "image_id": image["id"],
                    "category_id": category,
                    "bbox": _inside(pre_box, width, height, rng),
                    "score": _r2(rng.uniform(0.05, 1.0)),
                }
            )
        for _ in range(rng.choice([0, 0, 1, 2])):
            planted["spurious"] += 1
            pre_anns.append(
                {
                    "image_id": image["id"],
                    "category_id": rng.choice(class_ids),
                    "bbox": _random_box(rng, width, height),
                    "score": _r2(rng.uniform(0.05, 0.5)),
                }
            )
    rng.shuffle(pre_anns)  # file order is not image order
    expert = coco_dataset(images, expert_anns, CATEGORIES)
    return Generated(images=images, expert=expert, pre_annotations=pre_anns, planted=planted)


def pre_file(generated: Generated, pre_format: str) -> object:
    if pre_format == "results":
        return generated.pre_annotations
    # A COCO dataset of its own: other image ids, other category ids, images listed in another order, and a class
    # the expert file does not have on some of the spurious boxes.
    image_ids = {im["id"]: 9000 - im["id"] for im in generated.images}
    category_ids = {c["id"]: c["id"] * 10 for c in CATEGORIES}
    images = [{**im, "id": image_ids[im["id"]]} for im in reversed(generated.images)]
    categories = [{"id": category_ids[c["id"]], "name": c["name"]} for c in CATEGORIES] + [EXTRA_PRE_CLASS]
    annotations = []
    for i, ann in enumerate(generated.pre_annotations):
        category = category_ids[ann["category_id"]]
        if ann["score"] < 0.5 and i % 5 == 0:
            category = EXTRA_PRE_CLASS["id"]
        annotations.append(
            {
                "id": 70000 + 3 * i,
                "image_id": image_ids[ann["image_id"]],
                "category_id": category,
                "bbox": ann["bbox"],
                "score": ann["score"],
                "iscrowd": 0,
            }
        )
    return coco_dataset(images, annotations, categories)


# ---- the independent computation -------------------------------------------------------------------------------


def _clip(box: list[float], width: int, height: int) -> list[float]:
    x, y, w, h = box
    x0, y0 = min(max(x, 0.0), width), min(max(y, 0.0), height)
    x1, y1 = min(max(x + w, 0.0), width), min(max(y + h, 0.0), height)
    return [x0, y0, x1 - x0, y1 - y0]


def _naive_greedy(iou: list[list[float]], threshold: float) -> dict[int, tuple[int, float]]:
    pairs = [(v, e, p) for e, row in enumerate(iou) for p, v in enumerate(row) if v >= threshold]
    pairs.sort(key=lambda t: (-t[0], t[1], t[2]))
    used_e, used_p, out = set(), set(), {}
    for v, e, p in pairs:
        if e not in used_e and p not in used_p:
            used_e.add(e)
            used_p.add(p)
            out[e] = (p, v)
    return out


def _key(file_name: str, role: str, box: list[float]) -> tuple:
    return (file_name, role, *(round(v, 6) for v in box))


def independent_results(expert: dict, pre: object) -> tuple[dict[tuple, dict], list[float]]:
    """{key: expected result} for every result, and every IoU of a candidate pair (to check the threshold)."""
    images = {im["id"]: im for im in expert["images"]}
    expert_class = {c["id"]: c["name"] for c in expert["categories"]}
    if isinstance(pre, dict):  # dataset format: by file name and class name
        pre_image_file = {im["id"]: im["file_name"] for im in pre["images"]}
        by_file = {im["file_name"]: im["id"] for im in expert["images"]}
        pre_class = {c["id"]: c["name"] for c in pre["categories"]}
        pre_boxes = [{**a, "image_id": by_file[pre_image_file[a["image_id"]]]} for a in pre["annotations"]]
    else:
        pre_class = expert_class
        pre_boxes = pre
    out: dict[tuple, dict] = {}
    all_ious: list[float] = []
    for image_id, image in images.items():
        width, height, name = image["width"], image["height"], image["file_name"]
        e_anns = [a for a in expert["annotations"] if a["image_id"] == image_id]
        p_anns = [a for a in pre_boxes if a["image_id"] == image_id]
        e_boxes = [_clip(a["bbox"], width, height) for a in e_anns]
        p_boxes = [_clip(a["bbox"], width, height) for a in p_anns]
        if e_boxes and p_boxes:
            iou = coco_mask.iou(e_boxes, p_boxes, [0] * len(p_boxes)).tolist()
        else:
            iou = [[] for _ in e_boxes]
        all_ious += [v for row in iou for v in row if v > 0]
        matches = _naive_greedy(iou, IOU_THRESHOLD)
        for e, (ann, box) in enumerate(zip(e_anns, e_boxes)):
            area = box[2] * box[3]
            expected = {
                "expert_class": expert_class[ann["category_id"]],
                "area_px": area,
                "area_fraction": area / (width * height),
                "expert_box": box,
            }
            if e in matches:
                p, v = matches[e]
                pre_ann, pre_box = p_anns[p], p_boxes[p]
                same_class = pre_class[pre_ann["category_id"]] == expected["expert_class"]
                kind = "unchanged" if same_class and v == 1.0 else "adjusted" if same_class else "relabeled"
                expected |= {
                    "change_kind": kind,
                    "class_changed": not same_class,
                    "pre_class": pre_class[pre_ann["category_id"]],
                    "iou": v,
                    "adjustment_factor": area / (pre_box[2] * pre_box[3]),
                    "pre_box": pre_box,
                    "pre_confidence": pre_ann.get("score"),
                }
            else:
                expected |= {
                    "change_kind": "added",
                    "class_changed": True,
                    "pre_class": None,
                    "iou": None,
                    "adjustment_factor": None,
                    "pre_box": [None] * 4,
                    "pre_confidence": None,
                }
            out[_key(name, "expert", box)] = expected
        matched_p = {p for p, _ in matches.values()}
        for p, (ann, box) in enumerate(zip(p_anns, p_boxes)):
            if p not in matched_p:
                out[_key(name, "pre", box)] = {
                    "change_kind": "removed",
                    "class_changed": True,
                    "expert_class": None,
                    "pre_class": pre_class[ann["category_id"]],
                    "iou": None,
                    "area_px": None,
                    "area_fraction": None,
                    "adjustment_factor": None,
                    "expert_box": [None] * 4,
                    "pre_box": box,
                    "pre_confidence": ann.get("score"),
                }
    return out, all_ious


# ---- the check -------------------------------------------------------------------------------------------------


STORED = text("""
    SELECT s.file_path, r.change_kind, ec.name, pc.name, r.class_changed, r.iou, r.area_px, r.area_fraction,
           r.adjustment_factor, r.pre_confidence, r.expert_x, r.expert_y, r.expert_w, r.expert_h,
           r.pre_x, r.pre_y, r.pre_w, r.pre_h
    FROM result r JOIN sample s ON s.id = r.sample_id
    LEFT JOIN labelclass ec ON ec.id = r.expert_class_id LEFT JOIN labelclass pc ON pc.id = r.pre_class_id
    WHERE r.job_id = :job_id ORDER BY r.id
""")


def stored_results(engine, job_id: int) -> dict[tuple, dict]:
    out = {}
    with engine.connect() as conn:
        for row in conn.execute(STORED, {"job_id": job_id}):
            (file_path, kind, expert_class, pre_class, changed, iou, area, fraction, factor, confidence, *boxes) = row
            expert_box, pre_box = list(boxes[:4]), list(boxes[4:])
            key = _key(file_path, "expert", expert_box) if expert_class is not None else _key(file_path, "pre", pre_box)
            assert key not in out, f"two results at {key}"
            out[key] = {
                "change_kind": kind,
                "class_changed": bool(changed),
                "expert_class": expert_class,
                "pre_class": pre_class,
                "iou": iou,
                "area_px": area,
                "area_fraction": fraction,
                "adjustment_factor": factor,
                "pre_confidence": confidence,
                "expert_box": expert_box,
                "pre_box": pre_box,
            }
    return out


def _close(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= 1e-9


@pytest.fixture(scope="module")
def generated() -> Generated:
    return generate()


def test_the_generated_job_exercises_every_case(generated):
    """Guards the fixture: enough of every perturbation, and no IoU so near the threshold that rounding decides."""
    assert len(generated.images) == N_IMAGES
    assert len(generated.expert["annotations"]) >= 150
    assert all(
        generated.planted[k] >= 10 for k in ("dropped", "copied", "jittered", "resized", "relabeled", "spurious")
    ), generated.planted
    _, ious = independent_results(generated.expert, generated.pre_annotations)
    assert not [v for v in ious if abs(v - IOU_THRESHOLD) < 1e-7]


@pytest.mark.parametrize("pre_format", ["dataset", "results"])
def test_import_equals_an_independent_computation(engine, tmp_path: Path, generated, pre_format):
    images_dir = write_images(tmp_path / "images", generated.images)
    expert_path = write_json(tmp_path / "expert.json", generated.expert)
    pre = pre_file(generated, pre_format)
    pre_path = write_json(tmp_path / "pre.json", pre)
    job = ingest.import_detection(
        actor=ADMIN,
        engine=engine,
        name="perturbed",
        images_dir=images_dir,
        pre_path=pre_path,
        expert_path=expert_path,
        iou_threshold=IOU_THRESHOLD,
    )

    expected, _ = independent_results(copy.deepcopy(generated.expert), pre)
    got = stored_results(engine, job.id)
    assert set(got) == set(expected)
    kinds = Counter(e["change_kind"] for e in expected.values())
    assert all(kinds[k] >= 10 for k in ("unchanged", "adjusted", "relabeled", "added", "removed")), kinds
    for key, want in expected.items():
        have = got[key]
        for field in ("change_kind", "class_changed", "expert_class", "pre_class"):
            assert have[field] == want[field], (key, field, have, want)
        for field in ("iou", "area_px", "area_fraction", "adjustment_factor", "pre_confidence"):
            assert _close(have[field], want[field]), (key, field, have[field], want[field])
        for box in ("expert_box", "pre_box"):
            assert all(_close(h, w) for h, w in zip(have[box], want[box])), (key, box, have[box], want[box])

    stats = json.loads(json.dumps(job_stats(engine=engine, job_id=job.id)))
    assert (stats["images"], stats["results"]) == (N_IMAGES, len(expected))
    assert stats["by_state"] == {"pending": len(expected), "accepted": 0, "rejected": 0}
    assert stats["change_kinds"] == {k: kinds[k] for k in ("unchanged", "adjusted", "relabeled", "added", "removed")}
    by_class: dict[str, dict[str, int]] = {}
    for want in expected.values():
        row = by_class.setdefault(want["expert_class"] or "(removed)", {"true": 0, "false": 0})
        row["true" if want["class_changed"] else "false"] += 1
    assert stats["class_changed"] == by_class
    changed = sum(w["class_changed"] for w in expected.values())
    assert stats["class_changed_share"] == pytest.approx(changed / len(expected), abs=1e-12)

    areas = [w["area_px"] for w in expected.values() if w["area_px"] is not None]
    factors = [w["adjustment_factor"] for w in expected.values() if w["adjustment_factor"] is not None]
    ious = [w["iou"] for w in expected.values() if w["iou"] is not None]
    for summary, values in (
        (stats["expert_review_area"]["px"], areas),
        (stats["adjustment_factor"], factors),
        (stats["iou"], ious),
    ):
        assert summary["count"] == len(values)
        assert summary["min"] == pytest.approx(min(values), abs=1e-9)
        assert summary["max"] == pytest.approx(max(values), abs=1e-9)
        assert summary["mean"] == pytest.approx(mean(values), rel=1e-12)
