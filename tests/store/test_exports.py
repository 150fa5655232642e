"""Export downloads and files: each format's download is named, typed and deterministic, write_export writes to
a file or into a folder and refuses a missing folder or an unknown format, and YOLO label files that would collide
are refused. The formats' contents are tested in tests/store/test_exports_coco.py, test_exports_yolo_voc.py and
test_exports_csv.py. SQLite and PostgreSQL."""

from __future__ import annotations

import json
import zipfile
from collections import Counter

import pytest

from core.domain.errors import BadInput, NotFound
from core.exports import FORMATS, build_download, write_export
from core.jobs import ingest
from tests.builders import ADMIN, write_detection_job
from tests.resultset_builders import result_ids
from tests.store.export_helpers import download, make_resultset, unzip


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
