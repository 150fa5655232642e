"""`python -m core export ... --split train=0.8,val=0.2 [--seed N] [--stratify]` (issue 12): two runs, two
processes, the same bytes; bad fractions and misplaced flags exit 2 before anything is written."""

from __future__ import annotations

import json
import zipfile

import pytest

from tests.resultset_builders import accept, import_catalog_job, result_ids
from tests.unit.test_cli import run
from tests.unit.test_cli_resultsets import create


@pytest.fixture
def resultset_id(sqlite_engine, tmp_path) -> int:
    job = import_catalog_job(sqlite_engine, tmp_path / "job")
    accept(sqlite_engine, result_ids(sqlite_engine, job.id))
    return create(job.id, "golden")


def test_a_split_export_is_the_same_bytes_in_two_runs(resultset_id, tmp_path):
    args = ["--format", "yolo", "--split", "train=0.5,val=0.5", "--seed", "3", "--stratify"]
    done = run("export", str(resultset_id), *args, "--out", str(tmp_path / "one.zip"))
    assert f"to {tmp_path / 'one.zip'} (split train=0.5,val=0.5, seed 3, stratified)" in done.stdout
    run("export", str(resultset_id), *args, "--out", str(tmp_path / "two.zip"))
    assert (tmp_path / "one.zip").read_bytes() == (tmp_path / "two.zip").read_bytes()
    names = zipfile.ZipFile(tmp_path / "one.zip").namelist()
    assert sorted(n.split("/")[1] for n in names if n.startswith("labels/")) == ["train", "train", "val", "val"]
    assert "manifest.json" in names


def test_json_says_the_split_and_coco_becomes_a_zip(resultset_id, tmp_path):
    done = run(
        "export",
        str(resultset_id),
        "--format",
        "coco",
        "--split",
        "train=0.75,test=0.25",
        "--out",
        str(tmp_path),
        "--json",
    )
    out = json.loads(done.stdout)
    assert out["path"] == str(tmp_path / "street-golden-coco.zip")
    assert out["split"] == {
        "fractions": {"train": 0.75, "test": 0.25},
        "seed": 0,
        "stratify": False,
        "by": "image",
        "stratum": None,
    }
    assert sorted(zipfile.ZipFile(out["path"]).namelist()) == [
        "annotations/instances_test.json",
        "annotations/instances_train.json",
        "manifest.json",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--split", "train=0.8,val=0.3"], "the fractions add up to 1.1, not 1"),
        (["--split", "train=0.8,dev=0.2"], "'dev=0.2' is not train=, val= or test="),
        (["--split", "train=1"], "must be above 0 and below 1"),
        (["--seed", "4"], "--seed and --stratify go with --split"),
        (["--stratify"], "--seed and --stratify go with --split"),
    ],
)
def test_bad_splits_exit_2_and_write_nothing(resultset_id, tmp_path, args, message):
    out = tmp_path / "x.zip"
    done = run("export", str(resultset_id), "--format", "yolo", "--out", str(out), *args, check_rc=2)
    assert message in done.stderr and not out.exists()


def test_a_datalog_table_is_not_split(resultset_id):
    done = run("export", str(resultset_id), "--table", "t", "--split", "train=0.8,val=0.2", check_rc=2)
    assert "a datalog table is not split" in done.stderr
