"""A job whose images are in a bucket (moto's S3 server on 127.0.0.1): the image checks at import read each object
once, many at a time, with progress; tiles, the viewer and the annotator read through the disk cache, so a second
view makes no request; `health` says whether each job's image root is reachable, naming it without credentials."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from PIL import Image
from sqlalchemy import text
from sqlmodel import Session

from core import cli, storage
from core.domain.errors import BadInput
from core.images.image_files import check_images, folder_images
from core.images.thumbnails import ImageUnavailable, Overlay, fetch_originals, render_tile
from core.images.viewer_image import viewer_image
from core.jobs.expert_labels import editor_file
from core.jobs.summaries import image_root
from core.ops.health import health
from core.settings import get_settings
from core.storage import remote
from core.store.models import LabelJob
from tests.builders import ROTATED_SIZE, write_image, write_rotated_photo, write_truncated_image
from tests.resultset_builders import import_catalog_job
from tests.s3_server import s3_root, s3_server  # noqa: F401

OVERLAY = Overlay(colors={}, display_names={})
NO_BOXES = pl.DataFrame(
    schema={
        "result_id": pl.Int64,
        "change_kind": pl.String,
        "expert_class": pl.String,
        "pre_class": pl.String,
        **{f"{p}{c}": pl.Float64 for p in ("expert_", "pre_") for c in "xywh"},
    }
)


@pytest.fixture
def bucket_images(s3_root, tmp_path):
    """Three images in the bucket (one in a sub-folder) and a cut one, as a folder would hold them."""
    folder = tmp_path / "local"
    write_image(folder / "a.png", 40, 30)
    write_image(folder / "sub" / "b.jpg", 20, 10)
    write_rotated_photo(folder / "turned.jpg")
    write_truncated_image(folder / "cut.png")
    s3_root.put_folder(folder)
    remote.requests.clear()
    return s3_root


def test_the_image_check_reads_each_object_once_concurrently_with_progress(bucket_images):
    images = pl.DataFrame(
        {
            "image_id": [1, 2, 3],
            "file_name": ["a.png", "sub/b.jpg", "turned.jpg"],
            "width": [40, 20, ROTATED_SIZE[0]],
            "height": [30, 10, ROTATED_SIZE[1]],
        }
    )
    seen = []
    sizes = check_images(
        root=bucket_images.root,
        label_file=Path("expert.json"),
        images=images,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert sizes.rows() == [(1, 40, 30), (2, 20, 10), (3, *ROTATED_SIZE)]
    assert seen[-1] == (3, 3)
    assert remote.requests["cat"] == 3  # one GET per object
    check_images(root=bucket_images.root, label_file=Path("expert.json"), images=images)
    assert remote.requests["cat"] == 3  # the second check reads the disk cache


def test_the_image_check_names_each_problem_and_the_root_without_credentials(bucket_images):
    images = pl.DataFrame(
        {
            "image_id": [1, 2, 3],
            "file_name": ["a.png", "cut.png", "gone.png"],
            "width": [41, None, None],
            "height": [30, None, None],
        }
    )
    with pytest.raises(BadInput) as refused:
        check_images(root=bucket_images.root, label_file=Path("expert.json"), images=images)
    text_ = "\n".join(refused.value.problems)
    assert f"'a.png' (under {bucket_images.root}): the file is 40x30 but the label file says 41x30" in text_
    assert "'cut.png'" in text_ and "corrupt or truncated" in text_
    assert "'gone.png'" in text_ and "file not found" in text_


def test_a_bucket_that_cannot_be_listed_is_one_message_naming_it(s3_root):
    images = pl.DataFrame({"image_id": [1], "file_name": ["a.png"]})
    with pytest.raises(BadInput, match="s3://no-such-labeldeck-bucket/images: no bucket or prefix"):
        check_images(root="s3://no-such-labeldeck-bucket/images", label_file=Path("x.json"), images=images)
    with pytest.raises(BadInput, match="no objects under this prefix"):
        check_images(root=f"s3://{s3_root.name}/empty", label_file=Path("x.json"), images=images)


def test_a_bucket_prefix_lists_its_images_for_a_new_job(bucket_images):
    bucket_images.put("notes.txt", b"not an image")
    bucket_images.put(".thumbs/a.png", b"hidden")
    with pytest.raises(BadInput, match="'cut.png'"):
        folder_images(bucket_images.root)
    bucket_images.server.client().delete_object(Bucket=bucket_images.name, Key="images/cut.png")
    frame = folder_images(bucket_images.root)
    assert frame.rows() == [("a.png", 40, 30), ("sub/b.jpg", 20, 10), ("turned.jpg", *ROTATED_SIZE)]


@pytest.fixture
def bucket_job(sqlite_engine, s3_root, tmp_path) -> LabelJob:
    """The catalog job imported from a folder, then its images moved to the bucket and its root pointed there."""
    job = import_catalog_job(sqlite_engine, tmp_path / "job")
    with sqlite_engine.connect() as conn:
        stored = conn.execute(text("SELECT image_root FROM labeljob WHERE id = :j"), {"j": job.id}).scalar()
    s3_root.put_folder(Path(stored) if Path(stored).is_absolute() else get_settings().data_dir / stored)
    with sqlite_engine.begin() as conn:
        conn.execute(text("UPDATE labeljob SET image_root = :r WHERE id = :j"), {"r": s3_root.root, "j": job.id})
    with Session(sqlite_engine) as session:
        job = session.get(LabelJob, job.id)
    remote.requests.clear()
    return job


def _first_sample(engine, job_id: int) -> dict:
    with engine.connect() as conn:
        sample_id, file_path = conn.execute(
            text("SELECT id, file_path FROM sample WHERE job_id = :j ORDER BY id"), {"j": job_id}
        ).first()
    return {"sample_id": sample_id, "file_path": file_path}


def test_tiles_of_a_bucket_job_are_drawn_from_the_cache(bucket_job, sqlite_engine):
    root = image_root(bucket_job)
    assert root == bucket_job.image_root and storage.is_remote(root)
    sample = _first_sample(sqlite_engine, bucket_job.id)
    fetch_originals(root, [sample["file_path"]])  # a page's originals, fetched at once
    assert remote.requests["cat"] == 1
    path = render_tile(
        job_id=bucket_job.id, revision=1, root=root, sample=sample, boxes=NO_BOXES, overlay=OVERLAY, size=64
    )
    with Image.open(path) as tile:
        assert max(tile.size) == 64
    render_tile(
        job_id=bucket_job.id, revision=1, root=root, sample=sample, boxes=NO_BOXES, overlay=OVERLAY, size=128
    )  # another size: drawn again, from the cached original
    assert remote.requests.total() == 1
    with pytest.raises(ImageUnavailable, match=f"gone.png: file not found under {root}"):
        render_tile(
            job_id=bucket_job.id,
            revision=1,
            root=root,
            sample={"sample_id": 999, "file_path": "gone.png"},
            boxes=NO_BOXES,
            overlay=OVERLAY,
        )


def test_the_viewer_and_the_editor_of_a_bucket_job_read_the_cached_original(bucket_job, sqlite_engine, s3_root):
    root = image_root(bucket_job)
    sample = _first_sample(sqlite_engine, bucket_job.id)
    shown = viewer_image(root=root, file_path=sample["file_path"], job_id=bucket_job.id, sample_id=sample["sample_id"])
    assert shown.as_is
    assert (
        shown.data
        == s3_root.server.client().get_object(Bucket=s3_root.name, Key=f"images/{sample['file_path']}")["Body"].read()
    )
    assert editor_file(root, sample["file_path"]).read_bytes() == shown.data
    assert remote.requests["cat"] == 1  # the viewer fetched it; the editor found it cached


def test_a_turned_photo_in_a_bucket_is_shown_upright_as_a_copy(s3_root, tmp_path):
    s3_root.put("turned.jpg", write_rotated_photo(tmp_path / "turned.jpg").read_bytes())
    shown = viewer_image(root=s3_root.root, file_path="turned.jpg", job_id=1, sample_id=5)
    assert not shown.as_is and (shown.width, shown.height) == ROTATED_SIZE
    again = viewer_image(root=s3_root.root, file_path="turned.jpg", job_id=1, sample_id=5)
    assert again.data == shown.data and remote.requests["cat"] == 1


def test_health_checks_each_job_image_root(bucket_job, sqlite_engine, data_dir, capsys):
    settings = get_settings()
    checks = {c.name: c for c in health(settings)}
    (bucket,) = [c for name, c in checks.items() if name.startswith("images of job")]
    assert bucket.ok and bucket.name == f"images of job {bucket_job.id} 'street'"
    assert bucket.detail == f"{bucket_job.image_root}: listable"
    with sqlite_engine.begin() as conn:
        conn.execute(text("UPDATE labeljob SET image_root = 's3://labeldeck-missing-bucket/images'"))
    (bucket,) = [c for c in health(settings) if c.name.startswith("images of job")]
    assert not bucket.ok and "s3://labeldeck-missing-bucket/images: no bucket or prefix" in bucket.detail
    with sqlite_engine.begin() as conn:
        conn.execute(text("UPDATE labeljob SET image_root = 's3://AKIAEXAMPLE:very-secret@bucket/images'"))
    assert cli.main(["health", "--db", settings.database_url]) == 1
    out = capsys.readouterr().out
    assert "very-secret" not in out and "AKIAEXAMPLE" not in out
    (bucket,) = [c for c in json.loads(out)["checks"] if c["name"].startswith("images of job")]
    assert not bucket["ok"] and "credentials" in bucket["detail"]


def test_health_names_a_missing_local_folder(sqlite_engine, tmp_path):
    job = import_catalog_job(sqlite_engine, tmp_path / "job")
    (ok,) = [c for c in health(get_settings()) if c.name.startswith("images of job")]
    assert ok.ok and ok.detail.endswith("folder exists")
    with sqlite_engine.begin() as conn:
        conn.execute(
            text("UPDATE labeljob SET image_root = :r WHERE id = :j"), {"r": str(tmp_path / "gone"), "j": job.id}
        )
    (gone,) = [c for c in health(get_settings()) if c.name.startswith("images of job")]
    assert not gone.ok and gone.detail == f"{tmp_path / 'gone'}: folder not found"
