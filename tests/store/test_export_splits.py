"""Exports split into train/val(/test) by image, and manifest.json in every zip (issue 12): the same seed gives the
same bytes, every image lands in one split, YOLO's data.yaml and COCO's file names follow the split, the manifest's
sha256s are the files', and pycocotools and supervision read the parts. SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import warnings
import zipfile
from pathlib import Path

import pytest
import yaml
from pycocotools.coco import COCO
from sqlmodel import Session

from core.exports import build_download, parse_split, write_export
from core.jobs import ingest
from core.jobs.summaries import image_root
from core.review.resultsets import create_resultset
from core.store import models
from tests.builders import ADMIN, as_admin, write_detection_job
from tests.resultset_builders import accept, result_ids

with warnings.catch_warnings():  # it falls back to NumPy without opencv-python; its readers need neither
    warnings.filterwarnings("ignore", message="OpenCV", category=UserWarning)
    import supervision as sv

FILES = [f"s{i:02d}.png" for i in range(1, 21)]
BIRD_IMAGES = FILES[:4]  # the rare class: a stratified split shares it exactly
EMPTY_IMAGES = FILES[16:]  # no boxes


@pytest.fixture
def resultset(engine, tmp_path):
    """20 images: a cat on each of s01..s16, a bird too on s01..s04, s17..s20 without boxes; all accepted."""
    images = [{"id": i, "file_name": f, "width": 32, "height": 32} for i, f in enumerate(FILES, 1)]
    boxes = [(i, 1, [2, 2, 10, 10]) for i in range(1, 17)] + [(i, 3, [15, 15, 8, 8]) for i in range(1, 5)]
    files = write_detection_job(
        tmp_path / "split",
        images=images,
        pre=[],
        expert_annotations=[
            {"id": n, "image_id": i, "category_id": c, "bbox": b} for n, (i, c, b) in enumerate(boxes, 1)
        ],
    )
    job = ingest.import_detection(
        actor=ADMIN,
        engine=engine,
        name="street",
        images_dir=files.images_dir,
        pre_path=files.pre_path,
        expert_path=files.expert_path,
    )
    accept(engine, result_ids(engine, job.id))
    return create_resultset(engine=engine, job_id=job.id, name="rs", actor=as_admin("lead"))


def export(engine, resultset, fmt, split=None, **spec):
    return build_download(
        actor=ADMIN,
        engine=engine,
        resultset_id=resultset.id,
        format=fmt,
        split=parse_split(split, **spec) if split else None,
    )


def entries(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def yolo_splits(files: dict[str, bytes]) -> dict[str, set[str]]:
    """split → image stems, from labels/<split>/<stem>.txt."""
    out: dict[str, set[str]] = {}
    for name in files:
        if name.startswith("labels/"):
            _, split, label = name.split("/")
            out.setdefault(split, set()).add(label.removesuffix(".txt"))
    return out


def assert_manifest_matches(files: dict[str, bytes]) -> dict:
    manifest = json.loads(files["manifest.json"])
    assert manifest["files"] == {
        name: hashlib.sha256(data).hexdigest() for name, data in files.items() if name != "manifest.json"
    }
    return manifest


def test_yolo_split_follows_ultralytics_layout_and_every_image_is_in_one_split(engine, resultset):
    download = export(engine, resultset, "yolo", "train=0.7,val=0.2,test=0.1", seed=7)
    files = entries(download.data)
    splits = yolo_splits(files)
    assert {split: len(stems) for split, stems in splits.items()} == {"train": 14, "val": 4, "test": 2}
    assert sorted(stem for stems in splits.values() for stem in stems) == [f.removesuffix(".png") for f in FILES]
    data_yaml = yaml.safe_load(files["data.yaml"])
    assert data_yaml == {
        "path": ".",
        "train": "images/train",
        "val": "images/val",
        "test": "images/test",
        "nc": 3,
        "names": ["cat", "dog", "bird"],
    }

    manifest = assert_manifest_matches(files)
    assert manifest["split"] == {
        "fractions": {"train": 0.7, "val": 0.2, "test": 0.1},
        "seed": 7,
        "stratify": False,
        "by": "image",
        "stratum": None,
    }
    assert {name: part["images"] for name, part in manifest["counts"].items()} == {"train": 14, "val": 4, "test": 2}
    assert sum(part["classes"]["cat"] for part in manifest["counts"].values()) == 16
    assert sum(part["labels"] for part in manifest["counts"].values()) == 20
    assert (
        manifest["job"]["name"],
        manifest["resultset"]["name"],
        manifest["resultset"]["created_by"],
        manifest["format"],
        manifest["include_partial"],
    ) == ("street", "rs", "lead", "yolo", False)


def test_the_same_seed_gives_the_same_bytes_and_another_seed_another_split(engine, resultset):
    first = export(engine, resultset, "yolo", "train=0.8,val=0.2", seed=1).data
    assert export(engine, resultset, "yolo", "train=0.8,val=0.2", seed=1).data == first
    assert (
        export(engine, resultset, "coco", "train=0.8,val=0.2", seed=1).data
        == export(engine, resultset, "coco", "train=0.8,val=0.2", seed=1).data
    )
    others = [yolo_splits(entries(export(engine, resultset, "yolo", "train=0.8,val=0.2", seed=s).data)) for s in (2, 3)]
    assert any(other != yolo_splits(entries(first)) for other in others)


def test_a_stratified_split_shares_the_rare_class_exactly(engine, resultset):
    files = entries(export(engine, resultset, "yolo", "train=0.5,val=0.5", seed=3, stratify=True).data)
    counts = assert_manifest_matches(files)["counts"]
    assert (counts["train"]["classes"]["bird"], counts["val"]["classes"]["bird"]) == (2, 2)
    assert (counts["train"]["images"], counts["val"]["images"]) == (10, 10)
    splits = yolo_splits(files)
    assert len(splits["train"] & {f.removesuffix(".png") for f in EMPTY_IMAGES}) == 2


def test_coco_split_is_a_zip_of_one_dataset_per_split_that_pycocotools_reads(engine, resultset, tmp_path):
    download = export(engine, resultset, "coco", "train=0.75,val=0.25", seed=5)
    assert (download.file_name, download.mime) == ("street-rs-coco.zip", "application/zip")
    files = entries(download.data)
    assert sorted(files) == ["annotations/instances_train.json", "annotations/instances_val.json", "manifest.json"]
    assert_manifest_matches(files)
    zipfile.ZipFile(io.BytesIO(download.data)).extractall(tmp_path / "coco")
    folder = tmp_path / "coco" / "annotations"
    parts = {split: COCO(str(folder / f"instances_{split}.json")) for split in ("train", "val")}
    names = {split: {i["file_name"] for i in coco.loadImgs(coco.getImgIds())} for split, coco in parts.items()}
    assert (len(names["train"]), len(names["val"])) == (15, 5)
    assert names["train"] | names["val"] == set(FILES) and not names["train"] & names["val"]
    assert sum(len(coco.getAnnIds()) for coco in parts.values()) == 20
    for coco in parts.values():  # each a dataset of its own: ids from 1, every annotation on one of its images
        assert sorted(coco.getImgIds()) == list(range(1, len(coco.getImgIds()) + 1))
        assert {a["image_id"] for a in coco.loadAnns(coco.getAnnIds())} <= set(coco.getImgIds())
    yolo = yolo_splits(entries(export(engine, resultset, "yolo", "train=0.75,val=0.25", seed=5).data))
    assert {f.removesuffix(".png") for f in names["val"]} == yolo["val"]  # the same split in every format


def test_coco_without_a_split_stays_one_json_file(engine, resultset):
    download = export(engine, resultset, "coco")
    assert download.file_name == "street-rs.json" and len(json.loads(download.data)["images"]) == 20


def test_supervision_reads_each_yolo_split(engine, resultset, tmp_path):
    data = export(engine, resultset, "yolo", "train=0.8,val=0.2", seed=2).data
    files = entries(data)
    zipfile.ZipFile(io.BytesIO(data)).extractall(tmp_path / "yolo")
    with Session(engine) as session:
        root = image_root(session.get(models.LabelJob, resultset.job_id))
    total = 0
    for split, stems in yolo_splits(files).items():
        folder = tmp_path / "yolo" / "images" / split
        folder.mkdir(parents=True)
        for stem in stems:
            shutil.copy(root / f"{stem}.png", folder)
        dataset = sv.DetectionDataset.from_yolo(
            images_directory_path=str(folder),
            annotations_directory_path=str(tmp_path / "yolo" / "labels" / split),
            data_yaml_path=str(tmp_path / "yolo" / "data.yaml"),
        )
        assert len(dataset) == len(stems)
        total += sum(len(d) for _, _, d in dataset)
    assert total == 20


def test_voc_split_lists_image_sets_and_csv_gets_a_split_column(engine, resultset):
    files = entries(export(engine, resultset, "voc", "train=0.8,val=0.2", seed=4).data)
    assert_manifest_matches(files)
    sets = {split: files[f"ImageSets/Main/{split}.txt"].decode().split() for split in ("train", "val")}
    assert (len(sets["train"]), len(sets["val"])) == (16, 4)
    assert sorted(sets["train"] + sets["val"]) == [f.removesuffix(".png") for f in FILES]
    assert len([n for n in files if n.startswith("Annotations/")]) == 20

    rows = export(engine, resultset, "csv", "train=0.8,val=0.2", seed=4).data.decode().splitlines()
    assert rows[0].endswith(",split")
    in_val = {row.split(",")[1].removesuffix(".png") for row in rows[1:] if row.endswith(",val")}
    assert in_val == set(sets["val"]) & {f.removesuffix(".png") for f in FILES[:16]}  # CSV rows: images with boxes


def test_an_unsplit_zip_carries_a_manifest_too(engine, resultset, tmp_path):
    path = write_export(actor=ADMIN, engine=engine, resultset_id=resultset.id, format="voc", out=tmp_path)
    manifest = assert_manifest_matches(entries(Path(path).read_bytes()))
    assert manifest["split"] is None and manifest["left_out"] == {
        "pending": 0,
        "rejected": 0,
        "accepted_since_saved": 0,
    }
    assert manifest["counts"] == {"all": {"images": 20, "labels": 20, "classes": {"cat": 16, "dog": 0, "bird": 4}}}
