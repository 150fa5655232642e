"""`python -m core export` leaves partial images out by default and says so, in text and --json; with
--include-partial it exports them as before (issue 12)."""

from __future__ import annotations

import json
import zipfile

import pytest
from sqlalchemy import text

from tests.complete_image_builders import import_partial_job, saved_resultset
from tests.unit.test_cli import run

LEFT_OUT_TEXT = (
    "2 complete images. Complete images only: 3 partially reviewed images left out (1 image still has "
    "pending results, 2 have rejected results). Pass --include-partial to export them too."
)
COUNTS = {"pending": 1, "rejected": 2, "accepted_since_saved": 0}


@pytest.fixture
def resultset(sqlite_engine, tmp_path):
    return saved_resultset(sqlite_engine, import_partial_job(sqlite_engine, tmp_path / "scenes"))


def test_export_leaves_partial_images_out_and_says_how_many_and_why(resultset, tmp_path):
    out = tmp_path / "labels.json"
    done = run("export", str(resultset.id), "--format", "coco", "--out", str(out))
    assert done.stdout.splitlines() == [f"wrote coco export of ResultSet {resultset.id} to {out}", LEFT_OUT_TEXT]
    coco = json.loads(out.read_text())
    assert [i["file_name"] for i in coco["images"]] == ["full.png", "empty.png"]
    assert coco["info"]["left_out"] == COUNTS


def test_include_partial_exports_every_image_and_json_gives_the_counts(resultset, tmp_path):
    out = tmp_path / "labels-yolo.zip"
    done = run("export", str(resultset.id), "--format", "yolo", "--out", str(out), "--include-partial", "--json")
    assert json.loads(done.stdout) == {
        "resultset_id": resultset.id,
        "format": "yolo",
        "path": str(out),
        "complete_images": 2,
        "partial_images_included": True,
        "partial_images": COUNTS,
    }
    labels = [n for n in zipfile.ZipFile(out).namelist() if n.startswith("labels/")]
    assert len(labels) == 5

    default = json.loads(
        run("export", str(resultset.id), "--format", "csv", "--out", str(tmp_path / "x.csv"), "--json").stdout
    )
    assert (default["partial_images_included"], default["partial_images"]) == (False, COUNTS)


def test_a_datalog_table_export_counts_too(resultset, sqlite_engine):
    done = run("export", str(resultset.id), "--table", "complete_only")
    assert done.stdout.splitlines() == [
        f"datalog table complete_only: 2 rows from ResultSet {resultset.id}",
        LEFT_OUT_TEXT,
    ]
    done = run("export", str(resultset.id), "--table", "everything", "--include-partial", "--json")
    assert json.loads(done.stdout)["rows"] == 5
    with sqlite_engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM everything")).scalar_one() == 5
    text_out = run("export", str(resultset.id), "--table", "everything", "--replace", "--include-partial").stdout
    assert "Partially reviewed images included (1 image still has pending results, 2 have rejected results)" in text_out
