"""Exports read back by independent readers: COCO by pycocotools, YOLO and Pascal VOC by supervision, CSV by the
csv module. Counts and boxes equal the accepted results. SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import warnings
import zipfile
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from pycocotools.coco import COCO

from core.domain.errors import BadInput, NotFound
from core.exports import FORMATS, build_download, write_export
from core.exports.voc import voc_corners
from core.jobs import ingest
from core.jobs.summaries import image_root
from core.review.resultsets import create_resultset
from tests.builders import ADMIN, as_admin, write_detection_job
from tests.resultset_builders import CLASS_NAMES, FINAL_LABELS, accept, import_fruit_job, result_ids, set_state

with warnings.catch_warnings():  # it falls back to NumPy without opencv-python; its readers need neither
    warnings.filterwarnings("ignore", message="OpenCV", category=UserWarning)
    import supervision as sv

CSV_HEADER = [
    "result_id",
    "file_path",
    "width",
    "height",
    "class_name",
    "pre_class",
    "change_kind",
    "class_changed",
    "x",
    "y",
    "w",
    "h",
    "iou",
    "area_px",
    "area_fraction",
    "adjustment_factor",
    "pre_confidence",
    "review_state",
    "reviewer",
]


def make_resultset(engine, job, accepted, name="rs"):
    accept(engine, accepted)
    return create_resultset(engine=engine, job_id=job.id, name=name, actor=as_admin("lead"))


def expected_boxes(ids, accepted) -> dict[str, list[tuple[str, tuple]]]:
    """file → [(class, (x, y, w, h))] of the accepted results that have a box, in result order."""
    out: dict[str, list] = {}
    for rid, (file, class_name, box) in zip(ids, FINAL_LABELS):
        if rid in accepted and class_name is not None:
            out.setdefault(file, []).append((class_name, box))
    return out


def download(engine, resultset, fmt, *, include_partial=False) -> bytes:
    return build_download(
        actor=ADMIN, engine=engine, resultset_id=resultset.id, format=fmt, include_partial=include_partial
    ).data


def unzip(data: bytes, into: Path) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extractall(into)
        return {name: archive.read(name).decode() for name in archive.namelist()}


# --- COCO ---------------------------------------------------------------------------------------------------------


def read_coco(engine, resultset, tmp_path, *, include_partial=False) -> COCO:
    path = write_export(
        actor=ADMIN,
        engine=engine,
        resultset_id=resultset.id,
        format="coco",
        out=tmp_path / "export.json",
        include_partial=include_partial,
    )
    return COCO(str(path))


def coco_boxes(coco: COCO) -> dict[str, list[tuple[str, tuple]]]:
    names = {c["id"]: c["name"] for c in coco.loadCats(coco.getCatIds())}
    out: dict[str, list] = {}
    for image in coco.loadImgs(sorted(coco.getImgIds())):
        anns = sorted(coco.loadAnns(coco.getAnnIds(imgIds=[image["id"]])), key=lambda a: a["id"])
        if anns:
            out[image["file_name"]] = [(names[a["category_id"]], tuple(a["bbox"])) for a in anns]
    return out


def test_coco_round_trip_covers_the_accepted_images_and_the_images_without_results(engine, job, ids, tmp_path):
    accepted = ids[:6]  # all of a.png and b.png (with b's removed box); d.png stays pending
    coco = read_coco(engine, make_resultset(engine, job, accepted), tmp_path)

    images = coco.loadImgs(sorted(coco.getImgIds()))
    assert [(i["id"], i["file_name"], i["width"], i["height"]) for i in images] == [
        (1, "a.png", 100, 50),
        (2, "b.png", 40, 40),
        (3, "c.png", 30, 20),
    ]  # c.png: no results, no boxes
    assert [(c["id"], c["name"], c["display_name"]) for c in coco.loadCats(coco.getCatIds())] == [
        (1, "cat", "cat"),
        (2, "dog", "dog"),
        (3, "bird", "bird"),
    ]
    assert {c: len(coco.getAnnIds(catIds=[i])) for i, c in enumerate(CLASS_NAMES, 1)} == {"cat": 2, "dog": 2, "bird": 1}
    assert sorted(coco.getAnnIds()) == [1, 2, 3, 4, 5]
    assert coco_boxes(coco) == expected_boxes(ids, set(accepted))
    anns = coco.loadAnns(coco.getAnnIds())
    assert [a["area"] for a in anns] == [400.0, 400.0, 200.0, 100.0, 100.0]
    assert {a["iscrowd"] for a in anns} == {0}
    assert [a["result_id"] for a in anns] == ids[:5]


def test_coco_with_partial_images_keeps_an_image_whose_only_accepted_result_is_a_removal(engine, job, ids, tmp_path):
    accepted = [ids[5], ids[6]]  # b.png's removed box (its other two results pending) and d.png's cat
    coco = read_coco(engine, make_resultset(engine, job, accepted), tmp_path, include_partial=True)

    assert [(i["file_name"], i["complete"]) for i in coco.loadImgs(sorted(coco.getImgIds()))] == [
        ("b.png", False),
        ("c.png", True),
        ("d.png", True),
    ]
    assert coco_boxes(coco) == {"d.png": [("cat", (5.0, 5.0, 10.0, 10.0))]}
    assert len(coco.getAnnIds()) == 1


def test_coco_of_a_classification_resultset_has_one_annotation_per_image_and_no_bbox(engine, tmp_path):
    fruit = import_fruit_job(engine, tmp_path / "fruit")
    ids = result_ids(engine, fruit.id)
    resultset = make_resultset(engine, fruit, ids[1:])
    coco = read_coco(engine, resultset, tmp_path)

    assert [i["file_name"] for i in coco.loadImgs(sorted(coco.getImgIds()))] == ["c2.png", "c3.png", "c4.png"]
    assert [(c["id"], c["name"]) for c in coco.loadCats(coco.getCatIds())] == [(1, "apple"), (2, "pear"), (3, "plum")]
    anns = coco.loadAnns(sorted(coco.getAnnIds()))
    assert [(a["image_id"], a["category_id"]) for a in anns] == [(1, 2), (2, 2), (3, 1)]  # pear, pear, apple
    assert all("bbox" not in a and "area" not in a for a in anns)
    assert json.loads((tmp_path / "export.json").read_text())["info"]["task"] == "classification"


# --- YOLO ---------------------------------------------------------------------------------------------------------


def read_yolo(engine, job, resultset, tmp_path) -> tuple[dict[str, str], sv.DetectionDataset]:
    folder = tmp_path / "yolo"
    files = unzip(download(engine, resultset, "yolo"), folder)
    dataset = sv.DetectionDataset.from_yolo(
        images_directory_path=str(image_root(job)),
        annotations_directory_path=str(folder / "labels"),
        data_yaml_path=str(folder / "data.yaml"),
    )
    return files, dataset


def read_back(dataset: sv.DetectionDataset, classes: list[str]) -> dict[str, list[tuple[str, tuple]]]:
    """file → [(class, (x, y, w, h))] from a supervision dataset (xyxy in px)."""
    out = {}
    for path, detections in dataset.annotations.items():
        if len(detections):
            out[Path(path).name] = [
                (classes[c], (x0, y0, x1 - x0, y1 - y0))
                for (x0, y0, x1, y1), c in zip(detections.xyxy.tolist(), detections.class_id.tolist())
            ]
    return out


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


# --- CSV ----------------------------------------------------------------------------------------------------------


def test_csv_has_a_row_per_item_with_every_column(engine, job, ids):
    accept(engine, [ids[1]], reviewer="ann")
    accept(engine, [ids[5]], reviewer="bob")
    set_state(engine, [ids[0]], "rejected")
    resultset = create_resultset(engine=engine, job_id=job.id, name="rs", actor=as_admin("lead"))

    # both images are partial: by default the CSV is its header alone, with include_partial the rows as before
    assert download(engine, resultset, "csv").decode().splitlines() == [",".join(CSV_HEADER)]
    rows = list(csv.reader(io.StringIO(download(engine, resultset, "csv", include_partial=True).decode())))

    assert rows[0] == [*CSV_HEADER, "complete_image"]
    assert rows[1:] == [
        [
            str(ids[1]),
            "a.png",
            "100",
            "50",
            "dog",
            "cat",
            "relabeled",
            "true",
            "50.0",
            "10.0",
            "20.0",
            "20.0",
            "1.0",
            "400.0",
            "0.08",
            "1.0",
            "0.8",
            "accepted",
            "ann",
            "false",
        ],
        [
            str(ids[5]),
            "b.png",
            "40",
            "40",
            "",
            "dog",
            "removed",
            "true",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "0.6",
            "accepted",
            "bob",
            "false",
        ],
    ]


def test_csv_of_a_classification_resultset(engine, tmp_path):
    fruit = import_fruit_job(engine, tmp_path / "fruit")
    resultset = make_resultset(engine, fruit, result_ids(engine, fruit.id))
    rows = list(csv.DictReader(io.StringIO(download(engine, resultset, "csv").decode())))
    assert [
        (r["file_path"], r["class_name"], r["pre_class"], r["class_changed"], r["x"], r["pre_confidence"]) for r in rows
    ] == [
        ("c1.png", "apple", "apple", "false", "", "0.9"),
        ("c2.png", "pear", "apple", "true", "", "0.6"),
        ("c3.png", "pear", "pear", "false", "", ""),
        ("c4.png", "apple", "plum", "true", "", "0.3"),
    ]


# --- downloads and files ------------------------------------------------------------------------------------------


def test_downloads_are_named_typed_and_deterministic(engine, job, ids, tmp_path):
    resultset = make_resultset(engine, job, ids, name="golden set")
    names = {fmt: build_download(actor=ADMIN, engine=engine, resultset_id=resultset.id, format=fmt) for fmt in FORMATS}
    assert {fmt: (d.file_name, d.mime) for fmt, d in names.items()} == {
        "coco": ("street-golden_set.json", "application/json"),
        "yolo": ("street-golden_set-yolo.zip", "application/zip"),
        "voc": ("street-golden_set-voc.zip", "application/zip"),
        "csv": ("street-golden_set.csv", "text/csv"),
    }
    for fmt, first in names.items():
        assert build_download(actor=ADMIN, engine=engine, resultset_id=resultset.id, format=fmt).data == first.data, fmt
    # all four images are covered now (d.png's result accepted too)
    assert len(json.loads(names["coco"].data)["images"]) == 4
    assert Counter(n.split("/")[0] for n in unzip(names["voc"].data, tmp_path / "v")) == {
        "Annotations": 4,
        "README.txt": 1,
        "manifest.json": 1,
    }


def test_write_export_to_a_file_or_a_folder(engine, job, ids, tmp_path):
    resultset = make_resultset(engine, job, ids)
    path = write_export(
        actor=ADMIN, engine=engine, resultset_id=resultset.id, format="csv", out=tmp_path / "labels.csv"
    )
    assert path == tmp_path / "labels.csv" and path.read_text().count("\n") == 8
    folder = tmp_path / "out"
    folder.mkdir()
    path = write_export(actor=ADMIN, engine=engine, resultset_id=resultset.id, format="yolo", out=folder)
    assert path == folder / "street-rs-yolo.zip" and zipfile.is_zipfile(path)
    assert sorted(p.name for p in folder.iterdir()) == ["street-rs-yolo.zip"]  # no temporary file left
    with pytest.raises(BadInput, match="does not exist"):
        write_export(
            actor=ADMIN, engine=engine, resultset_id=resultset.id, format="csv", out=tmp_path / "nowhere" / "x.csv"
        )
    with pytest.raises(BadInput, match="use one of coco, yolo, voc, csv"):
        write_export(actor=ADMIN, engine=engine, resultset_id=resultset.id, format="tfrecord", out=tmp_path / "x")
    with pytest.raises(NotFound):
        build_download(actor=ADMIN, engine=engine, resultset_id=resultset.id + 1, format="coco")


def test_label_files_that_would_collide_are_refused(engine, tmp_path):
    images = [
        {"id": 1, "file_name": "x.png", "width": 20, "height": 20},
        {"id": 2, "file_name": "x.jpg", "width": 20, "height": 20},
    ]
    files = write_detection_job(
        tmp_path / "clash",
        images=images,
        categories=[{"id": 1, "name": "cat"}],
        expert_annotations=[{"id": i, "image_id": i, "category_id": 1, "bbox": [1, 1, 5, 5]} for i in (1, 2)],
        pre=[],
    )
    job = ingest.import_detection(
        actor=ADMIN,
        engine=engine,
        name="clash",
        images_dir=files.images_dir,
        pre_path=files.pre_path,
        expert_path=files.expert_path,
    )
    resultset = make_resultset(engine, job, result_ids(engine, job.id))
    with pytest.raises(BadInput, match="labels/x.txt: images x.jpg, x.png would share this label file"):
        build_download(actor=ADMIN, engine=engine, resultset_id=resultset.id, format="yolo")
    assert len(json.loads(download(engine, resultset, "coco"))["images"]) == 2  # COCO names files in full
