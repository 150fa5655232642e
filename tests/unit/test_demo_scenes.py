"""The demo data sets: deterministic, valid COCO / CSV, and noisy in the ways the review screens need."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from core.demo.scenes import (  # the underscored names: the drawers, below the public API
    _OBJECT_KINDS,
    CLASSIFICATION_CLASSES,
    DETECTION_CLASSES,
    ClassificationDemo,
    DetectionDemo,
    _render_object,
    _Slot,
    _visible_bbox,
    render_classification_images,
    render_detection_scenes,
    write_classification_csv,
    write_json,
)

N_SCENES = 80  # enough objects (~450) for every kind of noise, including boxes clipped at the border
N_FRUITS = 40
SMALL = (320, 240)


@pytest.fixture(scope="module")
def scenes(tmp_path_factory: pytest.TempPathFactory) -> DetectionDemo:
    return render_detection_scenes(out_dir=tmp_path_factory.mktemp("scenes"), n_images=N_SCENES, size=SMALL)


@pytest.fixture(scope="module")
def fruits(tmp_path_factory: pytest.TempPathFactory) -> ClassificationDemo:
    return render_classification_images(out_dir=tmp_path_factory.mktemp("fruits"), n_images=N_FRUITS)


def _iou(a: list[float], b: list[float]) -> float:
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    union = a[2] * a[3] + b[2] * b[3] - ix * iy
    return ix * iy / union


def _change_kinds(demo: DetectionDemo, threshold: float = 0.5) -> tuple[Counter[str], list[tuple[str, float]]]:
    """What a reviewer will see: greedy matching per image, highest IoU first, as docs/glossary.md specifies.
    Also each pre box's change kind with its score."""
    kinds: Counter[str] = Counter()
    scored: list[tuple[str, float]] = []
    for image in demo.expert["images"]:
        expert = [a for a in demo.expert["annotations"] if a["image_id"] == image["id"]]
        pre = [p for p in demo.pre if p["image_id"] == image["id"]]
        pairs = sorted(
            ((_iou(e["bbox"], p["bbox"]), i, j) for i, e in enumerate(expert) for j, p in enumerate(pre)), reverse=True
        )
        used_e: set[int] = set()
        used_p: set[int] = set()
        for iou, i, j in pairs:
            if iou < threshold or i in used_e or j in used_p:
                continue
            used_e.add(i)
            used_p.add(j)
            if expert[i]["category_id"] != pre[j]["category_id"]:
                kind = "relabeled"
            else:
                kind = "unchanged" if iou == 1.0 else "adjusted"
            kinds[kind] += 1
            scored.append((kind, pre[j]["score"]))
        kinds["added"] += len(expert) - len(used_e)
        for j in set(range(len(pre))) - used_p:
            kinds["removed"] += 1
            scored.append(("removed", pre[j]["score"]))
    return kinds, scored


def test_same_seed_gives_identical_files(tmp_path: Path) -> None:
    outputs = []
    for run in ("a", "b"):
        demo = render_detection_scenes(out_dir=tmp_path / run, n_images=6, size=SMALL)
        write_json(demo.expert, tmp_path / run / "expert.json")
        write_json(demo.pre, tmp_path / run / "pre.json")
        outputs.append(demo)
    for name in ("expert.json", "pre.json", "images/scene_0003.jpg"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert outputs[0].planted == outputs[1].planted


def test_another_seed_gives_other_scenes(tmp_path: Path) -> None:
    one = render_detection_scenes(out_dir=tmp_path / "a", n_images=4, size=SMALL, seed=1)
    two = render_detection_scenes(out_dir=tmp_path / "b", n_images=4, size=SMALL, seed=2)
    assert one.expert["annotations"] != two.expert["annotations"]


def test_an_image_does_not_depend_on_how_many_are_made(tmp_path: Path) -> None:
    few = render_detection_scenes(out_dir=tmp_path / "few", n_images=2, size=SMALL)
    more = render_detection_scenes(out_dir=tmp_path / "more", n_images=5, size=SMALL)
    first_two = [a for a in more.expert["annotations"] if a["image_id"] <= 2]
    assert few.expert["annotations"] == first_two
    assert (few.images_dir / "scene_0002.jpg").read_bytes() == (more.images_dir / "scene_0002.jpg").read_bytes()


def test_images_exist_with_the_declared_size(scenes: DetectionDemo) -> None:
    images = scenes.expert["images"]
    assert [i["id"] for i in images] == list(range(1, N_SCENES + 1))
    for image in images:
        with Image.open(scenes.images_dir / image["file_name"]) as picture:
            assert picture.format == "JPEG"
            assert picture.size == (image["width"], image["height"]) == SMALL


def test_categories_are_the_five_classes(scenes: DetectionDemo) -> None:
    categories = scenes.expert["categories"]
    assert [c["id"] for c in categories] == [1, 2, 3, 4, 5]
    assert tuple(c["name"] for c in categories) == DETECTION_CLASSES
    assert all(c["supercategory"] for c in categories)
    ids = {c["id"] for c in categories}
    assert {a["category_id"] for a in scenes.expert["annotations"]} <= ids
    assert {p["category_id"] for p in scenes.pre} <= ids


def test_expert_annotations_are_valid_coco(scenes: DetectionDemo) -> None:
    annotations = scenes.expert["annotations"]
    assert len({a["id"] for a in annotations}) == len(annotations)
    per_image = Counter(a["image_id"] for a in annotations)
    assert all(2 <= per_image[i["id"]] <= 9 for i in scenes.expert["images"]), per_image
    for ann in annotations:
        assert ann["iscrowd"] == 0
        assert ann["area"] == pytest.approx(ann["bbox"][2] * ann["bbox"][3])
        assert all(isinstance(v, float) for v in ann["bbox"])


@pytest.mark.parametrize("source", ["expert", "pre"])
def test_every_box_lies_inside_its_image_with_positive_size(scenes: DetectionDemo, source: str) -> None:
    sizes = {i["id"]: (i["width"], i["height"]) for i in scenes.expert["images"]}
    boxes = scenes.expert["annotations"] if source == "expert" else scenes.pre
    assert boxes
    for item in boxes:
        x, y, w, h = item["bbox"]
        width, height = sizes[item["image_id"]]
        assert w > 0 and h > 0, item
        assert x >= 0 and y >= 0 and x + w <= width and y + h <= height, item


@pytest.mark.parametrize("category", DETECTION_CLASSES)
def test_each_object_stands_on_the_ground_and_fills_its_layer(category: str) -> None:
    """Expert boxes are the visible pixels of an object's layer; a drawer that painted a speck or floated above
    the ground line (where its shadow and perspective put it) would give a nonsense scene."""
    rng = np.random.default_rng(3)
    low, high = _OBJECT_KINDS[category].aspect
    for h in (30, 120):
        w = round(h * (low + high) / 2)
        bbox = _visible_bbox(_render_object(_Slot(category, 0, 0, w, h), rng))
        assert bbox is not None
        x0, y0, x1, y1 = bbox
        assert y1 >= h - 1, (category, h, bbox)
        assert x1 - x0 >= 0.6 * w and y1 - y0 >= 0.9 * h, (category, w, h, bbox)


def test_pre_labels_are_coco_results_with_scores(scenes: DetectionDemo) -> None:
    image_ids = {i["id"] for i in scenes.expert["images"]}
    for item in scenes.pre:
        assert set(item) == {"image_id", "category_id", "bbox", "score"}
        assert item["image_id"] in image_ids
        assert 0.05 < item["score"] < 0.99


def test_noise_has_every_change_kind_and_matches_what_was_planted(scenes: DetectionDemo) -> None:
    kinds, _ = _change_kinds(scenes)
    assert kinds == Counter(scenes.planted)
    for kind in ("unchanged", "adjusted", "relabeled", "added", "removed"):
        assert kinds[kind] > 0, kinds
    assert kinds["adjusted"] > kinds["unchanged"]  # most boxes were jittered
    total = sum(kinds[k] for k in ("unchanged", "adjusted", "relabeled", "added"))
    assert total == len(scenes.expert["annotations"])
    assert kinds["relabeled"] + kinds["added"] + kinds["removed"] < 0.35 * total


def test_noise_rates_are_near_the_targets(scenes: DetectionDemo) -> None:
    planted = scenes.planted
    experts = len(scenes.expert["annotations"])
    assert 0.03 < planted["added"] / experts < 0.10
    assert 0.04 < planted["relabeled"] / experts < 0.13
    assert 0.02 < planted["removed"] / experts < 0.09


def test_wrong_and_spurious_boxes_score_lower(scenes: DetectionDemo) -> None:
    _, scored = _change_kinds(scenes)
    right = [s for k, s in scored if k in ("unchanged", "adjusted")]
    wrong = [s for k, s in scored if k in ("relabeled", "removed")]
    assert sum(wrong) / len(wrong) < sum(right) / len(right) - 0.15


def test_some_boxes_are_strongly_resized(scenes: DetectionDemo) -> None:
    expert: dict[int, list[list[float]]] = {}
    for a in scenes.expert["annotations"]:
        expert.setdefault(a["image_id"], []).append(a["bbox"])
    factors = []
    for p in scenes.pre:
        best = max(expert[p["image_id"]], key=lambda e: _iou(e, p["bbox"]))
        if _iou(best, p["bbox"]) >= 0.5:
            factors.append(best[2] * best[3] / (p["bbox"][2] * p["bbox"][3]))
    assert any(f < 0.75 for f in factors) and any(f > 1.35 for f in factors)
    assert sum(0.8 < f < 1.25 for f in factors) > 0.75 * len(factors)


def test_classification_rows_reference_existing_images(fruits: ClassificationDemo) -> None:
    assert len(fruits.rows) == N_FRUITS
    assert len({r["file_path"] for r in fruits.rows}) == N_FRUITS
    for row in fruits.rows:
        assert set(row) == {"file_path", "pre_label", "expert_label", "confidence"}
        with Image.open(fruits.images_dir / row["file_path"]) as picture:
            assert picture.size == (256, 256)
        assert row["expert_label"] in CLASSIFICATION_CLASSES
        assert row["pre_label"] in CLASSIFICATION_CLASSES
        assert 0 < row["confidence"] < 1


def test_classification_has_every_class_and_some_wrong_pre_labels(fruits: ClassificationDemo) -> None:
    assert {r["expert_label"] for r in fruits.rows} == set(CLASSIFICATION_CLASSES)
    wrong = [r for r in fruits.rows if r["pre_label"] != r["expert_label"]]
    assert 0 < len(wrong) < 0.3 * N_FRUITS
    right = [r for r in fruits.rows if r["pre_label"] == r["expert_label"]]
    assert _mean_confidence(wrong) < _mean_confidence(right)


def _mean_confidence(rows: list[dict[str, Any]]) -> float:
    return sum(float(r["confidence"]) for r in rows) / len(rows)


def test_classification_csv_is_deterministic_and_reads_back(tmp_path: Path) -> None:
    written = []
    for run in ("a", "b"):
        demo = render_classification_images(out_dir=tmp_path / run, n_images=12)
        write_classification_csv(demo.rows, tmp_path / run / "labels.csv")
        written.append((tmp_path / run / "labels.csv").read_bytes())
    assert written[0] == written[1]
    assert (tmp_path / "a/images/fruit_0005.jpg").read_bytes() == (tmp_path / "b/images/fruit_0005.jpg").read_bytes()
    with (tmp_path / "a" / "labels.csv").open(newline="") as f:
        rows: list[dict[str, Any]] = list(csv.DictReader(f))
    assert list(rows[0]) == ["file_path", "pre_label", "expert_label", "confidence"]
    assert [r["file_path"] for r in rows] == [r["file_path"] for r in demo.rows]
    assert [float(r["confidence"]) for r in rows] == [r["confidence"] for r in demo.rows]
