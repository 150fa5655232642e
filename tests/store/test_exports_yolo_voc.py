"""YOLO and Pascal VOC exports read back by supervision: the counts and boxes equal the accepted results, both
formats refuse a classification ResultSet, fractional boxes round outward in VOC and keep 6 decimals in YOLO, and
VOC corners stay inside the image. SQLite and PostgreSQL."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from core.domain.errors import BadInput
from core.exports import build_download
from core.exports.voc import voc_corners
from core.jobs import ingest
from core.jobs.summaries import image_root
from tests.builders import ADMIN, write_detection_job
from tests.resultset_builders import CLASS_NAMES, import_fruit_job, result_ids
from tests.store.export_helpers import download, expected_boxes, make_resultset, read_back, unzip

with warnings.catch_warnings():  # it falls back to NumPy without opencv-python; its readers need neither
    warnings.filterwarnings("ignore", message="OpenCV", category=UserWarning)
    import supervision as sv


def read_yolo(engine, job, resultset, tmp_path) -> tuple[dict[str, str], sv.DetectionDataset]:
    folder = tmp_path / "yolo"
    files = unzip(download(engine, resultset, "yolo"), folder)
    dataset = sv.DetectionDataset.from_yolo(
        images_directory_path=str(image_root(job)),
        annotations_directory_path=str(folder / "labels"),
        data_yaml_path=str(folder / "data.yaml"),
    )
    return files, dataset


def test_yolo_round_trip(engine, job, ids, tmp_path):
    accepted = ids[:6]
    files, dataset = read_yolo(engine, job, make_resultset(engine, job, accepted), tmp_path)

    assert sorted(files) == [
        "README.txt",
        "classes.txt",
        "data.yaml",
        "labels/a.txt",
        "labels/b.txt",
        "labels/c.txt",
        "manifest.json",
    ]
    assert files["classes.txt"] == "cat\ndog\nbird\n"
    assert files["labels/c.txt"] == ""  # an image without boxes
    assert files["labels/a.txt"].splitlines() == [
        "0 0.200000 0.400000 0.200000 0.400000",
        "1 0.600000 0.400000 0.200000 0.400000",
        "0 0.100000 0.700000 0.200000 0.200000",
    ]
    assert dataset.classes == CLASS_NAMES
    got = read_back(dataset, dataset.classes)
    want = expected_boxes(ids, set(accepted))
    assert sorted(got) == sorted(want) == ["a.png", "b.png"]
    for file, boxes in want.items():
        assert [c for c, _ in got[file]] == [c for c, _ in boxes]
        np.testing.assert_allclose([b for _, b in got[file]], [b for _, b in boxes], atol=1e-4)
    assert sum(len(d) for d in dataset.annotations.values()) == 5


def test_yolo_and_voc_refuse_classification(engine, tmp_path):
    fruit = import_fruit_job(engine, tmp_path / "fruit")
    resultset = make_resultset(engine, fruit, result_ids(engine, fruit.id))
    for fmt, name in (("yolo", "YOLO"), ("voc", "Pascal VOC")):
        with pytest.raises(BadInput, match=f"{name} export is for detection only"):
            build_download(actor=ADMIN, engine=engine, resultset_id=resultset.id, format=fmt)


# --- Pascal VOC ---------------------------------------------------------------------------------------------------


def test_voc_round_trip(engine, job, ids, tmp_path):
    accepted = [*ids[:6]]
    files = unzip(download(engine, make_resultset(engine, job, accepted), "voc"), tmp_path / "voc")
    assert sorted(files) == [
        "Annotations/a.xml",
        "Annotations/b.xml",
        "Annotations/c.xml",
        "README.txt",
        "manifest.json",
    ]
    assert "Every image of the ResultSet is complete" in files["README.txt"]
    assert "<object>" not in files["Annotations/c.xml"]
    assert "<width>30</width>" in files["Annotations/c.xml"] and "<depth>3</depth>" in files["Annotations/c.xml"]

    dataset = sv.DetectionDataset.from_pascal_voc(
        images_directory_path=str(image_root(job)), annotations_directory_path=str(tmp_path / "voc" / "Annotations")
    )
    got = read_back(dataset, dataset.classes)
    # whole-pixel boxes come back exactly
    assert got == expected_boxes(ids, set(accepted))
    assert "<xmin>11</xmin>" in files["Annotations/a.xml"] and "<xmax>30</xmax>" in files["Annotations/a.xml"]


def fractional_job(engine, root: Path):
    image = {"id": 1, "file_name": "f.png", "width": 64, "height": 48}
    boxes = [[10.4, 5.5, 20.2, 10.0], [0.25, 40.5, 63.75, 7.5]]
    files = write_detection_job(
        root,
        images=[image],
        categories=[{"id": 1, "name": "cat"}],
        expert_annotations=[{"id": i, "image_id": 1, "category_id": 1, "bbox": b} for i, b in enumerate(boxes, 1)],
        pre=[{"image_id": 1, "category_id": 1, "bbox": b, "score": 0.5} for b in boxes],
    )
    job = ingest.import_detection(
        actor=ADMIN,
        engine=engine,
        name="fractional",
        images_dir=files.images_dir,
        pre_path=files.pre_path,
        expert_path=files.expert_path,
    )
    return job, boxes


def test_fractional_boxes_round_outward_in_voc_and_keep_6_decimals_in_yolo(engine, tmp_path):
    job, boxes = fractional_job(engine, tmp_path / "frac")
    resultset = make_resultset(engine, job, result_ids(engine, job.id))

    files = unzip(download(engine, resultset, "voc"), tmp_path / "voc")
    dataset = sv.DetectionDataset.from_pascal_voc(
        images_directory_path=str(image_root(job)), annotations_directory_path=str(tmp_path / "voc" / "Annotations")
    )
    [detections] = [d for d in dataset.annotations.values()]
    # devkit 1-based inclusive: xmin = floor(x) + 1, xmax = ceil(x + w); read back as (xmin - 1, ..., xmax, ymax)
    assert detections.xyxy.tolist() == [[10.0, 5.0, 31.0, 16.0], [0.0, 40.0, 64.0, 48.0]]
    for (x0, y0, x1, y1), (x, y, w, h) in zip(detections.xyxy.tolist(), boxes):
        assert x0 <= x < x0 + 1 and y0 <= y < y0 + 1 and x1 - 1 < x + w <= x1 and y1 - 1 < y + h <= y1
    assert files["Annotations/f.xml"].count("<object>") == 2

    labels = unzip(download(engine, resultset, "yolo"), tmp_path / "yolo")["labels/f.txt"]
    # cx = (10.4 + 10.1) / 64 = 0.3203125 → 0.320312 (ties to even, as printf's %.6f); cy = 10.5 / 48 = 0.21875
    assert labels.splitlines() == [
        "0 0.320312 0.218750 0.315625 0.208333",
        "0 0.501953 0.921875 0.996094 0.156250",
    ]  # 32.125 / 64 = 0.501953125


def test_voc_corners_stay_inside_the_image():
    import polars as pl

    boxes = pl.DataFrame(
        {
            "x": [0.0, 99.2, 10.0],
            "y": [0.0, 49.5, 10.000000000001],
            "w": [100.0, 0.8, 19.999999999999],
            "h": [50.0, 0.5, 20.0],
            "width": [100] * 3,
            "height": [50] * 3,
        }
    )
    assert voc_corners(boxes).select("xmin", "ymin", "xmax", "ymax").rows() == [
        (1, 1, 100, 50),
        (100, 50, 100, 50),
        (11, 11, 30, 30),
    ]
