"""Imports whose images are in a bucket (moto's S3 server on 127.0.0.1): every label format imports to the same
stats as from the local folder, with and without the image check, and the job's root is the bucket URL."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from core.domain.errors import BadInput
from core.jobs import ingest
from tests.builders import ADMIN
from tests.s3_server import s3_root, s3_server  # noqa: F401
from tests.store.label_format_helpers import _close, imported_stats, written  # noqa: F401


@pytest.mark.parametrize("fmt", ["coco", "yolo", "voc", "cvat", "label_studio"])
def test_each_format_imports_from_a_bucket_to_the_stats_of_its_folder_import(engine, written, s3_root, fmt):
    paths, images_dir = written
    expected = imported_stats(
        engine, name="folder", images_dir=images_dir, expert=paths["coco"][0], pre=paths["coco"][1]
    )
    s3_root.put_folder(images_dir)
    expert, pre = paths[fmt]
    _close(imported_stats(engine, name=fmt, images_dir=s3_root.root, expert=expert, pre=pre), expected)
    _close(
        imported_stats(
            engine, name=f"{fmt} unchecked", images_dir=s3_root.root, expert=expert, pre=pre, check_image_files=False
        ),
        expected,
    )
    with engine.connect() as conn:
        roots = conn.execute(text("SELECT name, image_root FROM labeljob WHERE name <> 'folder' ORDER BY id")).all()
    assert roots == [(fmt, s3_root.root), (f"{fmt} unchecked", s3_root.root)]


def test_an_import_from_a_bucket_stores_the_url_and_progress_counts_the_images(engine, written, s3_root):
    paths, images_dir = written
    s3_root.put_folder(images_dir)
    steps = []
    job = ingest.import_detection(
        engine=engine,
        name="bucket",
        images_dir=s3_root.root,
        expert_path=paths["coco"][0],
        pre_path=paths["coco"][1],
        actor=ADMIN,
        progress=lambda stage, fraction: steps.append(stage),
    )
    assert job.image_root == s3_root.root
    assert "checked 2 of 2 image files" in steps


def test_a_missing_object_is_named_with_the_bucket_root(engine, written, s3_root):
    paths, images_dir = written
    s3_root.put_folder(images_dir)
    first = sorted(p.name for p in images_dir.iterdir())[0]
    s3_root.server.client().delete_object(Bucket=s3_root.name, Key=f"images/{first}")
    with pytest.raises(BadInput, match=f"'{first}' \\(under {s3_root.root}\\): file not found"):
        ingest.import_detection(
            engine=engine,
            name="bucket",
            images_dir=s3_root.root,
            expert_path=paths["coco"][0],
            pre_path=paths["coco"][1],
            actor=ADMIN,
        )
