"""`python -m core export ... --with-images` (issue 12): the zip carries the images, progress goes to stderr as
`[ 50%   0.1s] images 2/4`, `--json` says so; a format without a zip, a datalog table or a missing image exits 2
and writes nothing."""

from __future__ import annotations

import json
import zipfile

import pytest

from core.jobs.summaries import image_root
from tests.resultset_builders import accept, import_catalog_job, result_ids
from tests.unit.test_cli import run
from tests.unit.test_cli_resultsets import create

IMAGES = ["a.png", "b.png", "c.png", "d.png"]


@pytest.fixture
def job(sqlite_engine, tmp_path):
    job = import_catalog_job(sqlite_engine, tmp_path / "job")
    accept(sqlite_engine, result_ids(sqlite_engine, job.id))
    return job


def test_coco_with_images_is_a_zip_and_progress_goes_to_stderr(job, tmp_path):
    resultset_id = create(job.id, "golden")
    done = run("export", str(resultset_id), "--format", "coco", "--with-images", "--out", str(tmp_path))
    path = tmp_path / "street-golden-coco.zip"
    assert f"wrote coco export of ResultSet {resultset_id} with its images to {path}" in done.stdout
    progress = done.stderr.splitlines()
    assert [line.split("] ")[1] for line in progress] == [f"images {n}/4" for n in range(1, 5)]
    assert progress[-1].startswith("[100%")
    names = zipfile.ZipFile(path).namelist()
    assert sorted(n for n in names if n.startswith("images/")) == [f"images/{f}" for f in IMAGES]
    assert "annotations/instances.json" in names and names[-1] == "manifest.json"
    assert zipfile.ZipFile(path).read("images/a.png") == (image_root(job) / "a.png").read_bytes()

    quiet = run(
        "export", str(resultset_id), "--format", "yolo", "--with-images", "--out", str(tmp_path), "--json", "--quiet"
    )
    assert quiet.stderr == "" and json.loads(quiet.stdout)["images_included"] is True
    assert "images_included" not in json.loads(
        run("export", str(resultset_id), "--format", "yolo", "--out", str(tmp_path / "plain.zip"), "--json").stdout
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "csv", "--out", "{tmp}/x.csv"], "csv export cannot carry images"),
        (["--table", "t"], "--with-images is for zip files"),
    ],
)
def test_with_images_where_no_image_fits_exits_2(job, tmp_path, args, message):
    resultset_id = create(job.id, "golden")
    done = run("export", str(resultset_id), "--with-images", *[a.format(tmp=tmp_path) for a in args], check_rc=2)
    assert message in done.stderr


def test_a_missing_image_exits_2_naming_it_and_writes_nothing(job, tmp_path):
    resultset_id = create(job.id, "golden")
    (image_root(job) / "c.png").unlink()
    out = tmp_path / "out"
    out.mkdir()
    done = run("export", str(resultset_id), "--format", "voc", "--with-images", "--out", str(out), check_rc=2)
    assert "1 of 4 images cannot be read" in done.stderr and "'c.png'" in done.stderr
    assert list(out.iterdir()) == []
