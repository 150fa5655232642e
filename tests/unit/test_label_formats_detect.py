"""Telling label formats apart from the files, and taking Label Studio's image references apart."""

from __future__ import annotations

import json

import pytest

from core.domain.errors import BadInput
from core.labels.formats import detect_format
from core.labels.formats.label_studio import candidate_paths


def test_formats_are_told_from_the_files(tmp_path):
    (tmp_path / "coco.json").write_text(json.dumps({"images": [], "annotations": [], "categories": []}))
    (tmp_path / "results.json").write_text(json.dumps([{"image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1]}]))
    (tmp_path / "ls.json").write_text(json.dumps([{"id": 1, "annotations": [], "data": {"image": "a.png"}}]))
    (tmp_path / "cvat.xml").write_text(
        '<?xml version="1.0"?>\n<!-- CVAT -->\n<annotations><version>1.1</version></annotations>'
    )
    (tmp_path / "voc").mkdir()
    (tmp_path / "voc" / "a.xml").write_text("<annotation><filename>a.png</filename></annotation>")
    (tmp_path / "yolo" / "labels").mkdir(parents=True)
    (tmp_path / "yolo" / "data.yaml").write_text("names: [cat]\n")
    (tmp_path / "yolo" / "labels" / "a.txt").write_text("0 0.5 0.5 0.1 0.1\n")
    (tmp_path / "odd.txt").write_text("hello")
    assert {
        name: detect_format(tmp_path / name)
        for name in ("coco.json", "results.json", "ls.json", "cvat.xml", "voc", "yolo", "yolo/labels", "odd.txt")
    } == {
        "coco.json": "coco",
        "results.json": "coco",
        "ls.json": "label_studio",
        "cvat.xml": "cvat",
        "voc": "voc",
        "yolo": "yolo",
        "yolo/labels": "yolo",
        "odd.txt": "coco",
    }
    (tmp_path / "empty").mkdir()
    with pytest.raises(BadInput, match="cannot tell the label format of this folder"):
        detect_format(tmp_path / "empty")


@pytest.mark.parametrize(
    ("reference", "first"),
    [
        ("/data/upload/3/1a2b3c4d-street.jpg", ["street.jpg", "1a2b3c4d-street.jpg"]),
        ("/data/local-files/?d=datasets/street/a%20b.jpg", ["datasets/street/a b.jpg", "street/a b.jpg", "a b.jpg"]),
        ("s3://bucket/prefix/a.jpg", ["prefix/a.jpg", "a.jpg"]),
        ("https://example.com/media/a.jpg?X-Amz=1", ["media/a.jpg", "a.jpg"]),
        ("images/a.jpg", ["images/a.jpg", "a.jpg"]),
        ("../a.jpg", ["../a.jpg"]),
        ("/data/local-files/?d=/etc/passwd", ["/etc/passwd"]),
    ],
)
def test_label_studio_references_become_paths_under_the_image_root(reference, first):
    assert candidate_paths(reference)[: len(first)] == first
