"""The benchmark's synthetic job generator: sizes, geometry, noise rates, determinism, file formats."""

import json

import numpy as np
import polars as pl
import pytest

from bench.synth import CATEGORIES, SynthSpec, generate, write_job

SPEC = SynthSpec(images=500, boxes_per_image=10, seed=7)


@pytest.fixture(scope="module")
def job():
    return generate(SPEC)


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth")
    files = write_job(SPEC, out)
    expert = json.loads(files.expert_path.read_text(encoding="utf-8"))
    pre = json.loads(files.pre_path.read_text(encoding="utf-8"))
    return files, expert, pre


def _assert_inside(frame: pl.DataFrame, width: int, height: int) -> None:
    x, y, w, h = (frame[c].to_numpy() for c in ("x", "y", "w", "h"))
    assert (w > 0).all() and (h > 0).all()
    assert (x >= 0).all() and (y >= 0).all()
    assert (x + w <= width).all() and (y + h <= height).all()


def test_expert_box_count_is_images_times_boxes_per_image(job):
    assert job.images.height == 500
    assert job.expert.height == 5_000
    assert job.expert["id"].to_list() == list(range(1, 5_001))
    assert job.expert["image_id"].is_sorted()
    assert job.expert["image_id"].min() >= 1 and job.expert["image_id"].max() <= 500


def test_non_integer_boxes_per_image_rounds_the_total():
    assert generate(SynthSpec(images=10, boxes_per_image=2.5)).expert.height == 25


def test_image_records(job):
    assert job.images["file_name"][0] == "img_000001.jpg"
    assert job.images["file_name"][-1] == "img_000500.jpg"
    assert job.images["width"].unique().to_list() == [1280]
    assert job.images["height"].unique().to_list() == [720]


def test_every_box_lies_inside_its_image(job):
    _assert_inside(job.expert, 1280, 720)
    _assert_inside(job.pre, 1280, 720)


def test_boxes_stay_inside_small_images():
    small = generate(SynthSpec(images=200, boxes_per_image=20, width=40, height=30, seed=3))
    _assert_inside(small.expert, 40, 30)
    _assert_inside(small.pre, 40, 30)


def test_noise_rates_are_near_the_spec():
    big = generate(SynthSpec(images=2_000, boxes_per_image=10, seed=11))
    n_expert = big.expert.height
    from_expert = big.pre.filter(pl.col("expert_id").is_not_null())
    missed = n_expert - from_expert.height
    assert missed / n_expert == pytest.approx(0.05, abs=0.01)
    assert big.pre["expert_id"].null_count() == round(0.05 * n_expert)
    assert from_expert["wrong_class"].mean() == pytest.approx(0.08, abs=0.01)
    assert from_expert["jittered"].mean() == pytest.approx(0.5, abs=0.02)


def test_wrong_class_always_differs_and_right_class_matches(job):
    joined = job.pre.filter(pl.col("expert_id").is_not_null()).join(
        job.expert.select(pl.col("id").alias("expert_id"), pl.col("category_id").alias("expert_category")),
        on="expert_id",
    )
    wrong = joined.filter("wrong_class")
    right = joined.filter(~pl.col("wrong_class"))
    assert wrong.height > 0
    assert (wrong["category_id"] != wrong["expert_category"]).all()
    assert (right["category_id"] == right["expert_category"]).all()
    assert joined["category_id"].is_between(1, len(CATEGORIES)).all()


def test_unjittered_pre_boxes_copy_the_expert_geometry_and_jittered_ones_mostly_overlap(job):
    joined = job.pre.filter(pl.col("expert_id").is_not_null()).join(
        job.expert.select(pl.col("id").alias("expert_id"), "x", "y", "w", "h"), on="expert_id", suffix="_e"
    )
    same = joined.filter(~pl.col("jittered"))
    for c in ("x", "y", "w", "h"):
        assert (same[c] == same[f"{c}_e"]).all()

    moved = joined.filter("jittered")
    iou = _iou(moved)
    # jitter must be noise, not a different box: nearly all still match at the default IoU threshold 0.5
    assert (iou >= 0.5).mean() > 0.95
    assert (iou < 1.0).mean() > 0.9


def _iou(frame: pl.DataFrame) -> np.ndarray:
    ax1, ay1, aw, ah = (frame[c].to_numpy() for c in ("x", "y", "w", "h"))
    bx1, by1, bw, bh = (frame[c].to_numpy() for c in ("x_e", "y_e", "w_e", "h_e"))
    iw = np.clip(np.minimum(ax1 + aw, bx1 + bw) - np.maximum(ax1, bx1), 0, None)
    ih = np.clip(np.minimum(ay1 + ah, by1 + bh) - np.maximum(ay1, by1), 0, None)
    inter = iw * ih
    return inter / (aw * ah + bw * bh - inter)


def test_same_seed_same_job_other_seed_other_job(job):
    again = generate(SPEC)
    assert again.expert.equals(job.expert)
    assert again.pre.equals(job.pre)
    other = generate(SynthSpec(images=500, boxes_per_image=10, seed=8))
    assert not other.expert.equals(job.expert)


def test_same_seed_writes_identical_files(tmp_path, written):
    files, _, _ = written
    again = write_job(SPEC, tmp_path)
    assert again.expert_path.read_bytes() == files.expert_path.read_bytes()
    assert again.pre_path.read_bytes() == files.pre_path.read_bytes()


def test_expert_file_is_a_coco_dataset(written):
    files, expert, _ = written
    assert files.images_dir.is_dir() and not any(files.images_dir.iterdir())
    assert [c["id"] for c in expert["categories"]] == list(range(1, 9))
    assert [c["name"] for c in expert["categories"]] == list(CATEGORIES)
    assert len(expert["images"]) == files.images == 500
    assert expert["images"][0] == {"id": 1, "file_name": "img_000001.jpg", "width": 1280, "height": 720}
    assert len(expert["annotations"]) == files.expert_boxes == 5_000
    image_ids = {im["id"] for im in expert["images"]}
    for ann in expert["annotations"]:
        assert set(ann) == {"id", "image_id", "category_id", "bbox", "area", "iscrowd"}
        x, y, w, h = ann["bbox"]
        assert ann["image_id"] in image_ids
        assert 0 <= x and 0 <= y and 0 < w and 0 < h and x + w <= 1280 and y + h <= 720
        assert ann["area"] == w * h
        assert ann["iscrowd"] == 0


def test_pre_file_is_coco_results(written):
    files, expert, pre = written
    assert isinstance(pre, list)
    assert len(pre) == files.pre_boxes == files.expert_boxes - files.missed + files.spurious
    image_ids = {im["id"] for im in expert["images"]}
    for det in pre:
        assert set(det) == {"image_id", "category_id", "bbox", "score"}
        assert det["image_id"] in image_ids
        assert 1 <= det["category_id"] <= 8
        assert 0.0 < det["score"] <= 1.0
        x, y, w, h = det["bbox"]
        assert 0 <= x and 0 <= y and 0 < w and 0 < h and x + w <= 1280 and y + h <= 720


def test_invalid_spec_is_rejected():
    with pytest.raises(ValueError):
        SynthSpec(images=0)
    with pytest.raises(ValueError):
        SynthSpec(missed_rate=1.5)
