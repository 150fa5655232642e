"""Exports with images of a bucket-backed job (moto's S3 server on 127.0.0.1): the same zip, byte for byte, as the
same job's export from its local folder; a missing object refuses the export, naming it and the root."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from core.domain.errors import BadInput
from core.storage import remote
from tests.s3_server import s3_root, s3_server  # noqa: F401
from tests.store.test_export_images import FILES, NESTED, export, import_job, root_of


@pytest.mark.parametrize("fmt", ["yolo", "coco"])
def test_a_bucket_job_exports_the_same_zip_as_its_folder(engine, tmp_path, s3_root, monkeypatch, fmt):
    resultset = import_job(engine, tmp_path / "flat", FILES + NESTED)
    local = export(engine, resultset, fmt).data
    s3_root.put_folder(root_of(engine, resultset))
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE labeljob SET image_root = :r WHERE id = :j"), {"r": s3_root.root, "j": resultset.job_id}
        )
    # A cache bound of about two images: the copy fetches a batch ahead, it never needs the whole export cached.
    monkeypatch.setenv("LABELDECK_CACHE_MAX_GB", str(2000 / 2**30))
    remote.requests.clear()
    assert export(engine, resultset, fmt).data == local
    assert remote.requests["cat"] >= len(FILES + NESTED)


def test_a_missing_object_refuses_the_export_naming_it(engine, tmp_path, s3_root):
    resultset = import_job(engine, tmp_path / "flat", FILES)
    s3_root.put_folder(root_of(engine, resultset))
    s3_root.server.client().delete_object(Bucket=s3_root.name, Key=f"images/{FILES[0]}")
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE labeljob SET image_root = :r WHERE id = :j"), {"r": s3_root.root, "j": resultset.job_id}
        )
    with pytest.raises(BadInput, match=f"image '{FILES[0]}' \\(under {s3_root.root}\\): file not found"):
        export(engine, resultset, "yolo")
