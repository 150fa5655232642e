"""`python -m core resultset ...` and `python -m core export ...` as a user runs them: exit codes 0 / 2, stdout,
the files and tables they write."""

from __future__ import annotations

import json
import zipfile

import pytest
from sqlalchemy import text

from tests.builders import table_counts
from tests.resultset_builders import accept, import_catalog_job, import_fruit_job, result_ids
from tests.unit.test_cli import run


@pytest.fixture
def job(sqlite_engine, tmp_path):
    """The catalog job in the default store of this test (the CLI's too), a.png and b.png accepted."""
    job = import_catalog_job(sqlite_engine, tmp_path / "job")
    accept(sqlite_engine, result_ids(sqlite_engine, job.id)[:6], reviewer="ann")
    return job


def create(job_id: int, name: str, *extra: str) -> int:
    return int(run("resultset", "create", str(job_id), "--name", name, "--quiet", *extra).stdout.strip())


def test_create_prints_the_id_and_list_shows_it(job, sqlite_engine):
    first = create(job.id, "first", "--note", "week 1", "--created-by", "lead")
    second = create(job.id, "second")

    listed = json.loads(run("resultset", "list", str(job.id), "--json").stdout)
    assert [(r["id"], r["name"], r["item_count"], r["note"], r["created_by"]) for r in listed] == [
        (second, "second", 6, None, "cli"),
        (first, "first", 6, "week 1", "lead"),
    ]
    lines = run("resultset", "list", str(job.id)).stdout.splitlines()
    assert lines[1].split()[0] == str(first) and lines[1].endswith("lead         first")
    # each line says how many of the ResultSet's images were complete when it was saved, as the page does
    (saved,) = [r for r in listed if r["id"] == first]
    assert f"{saved['complete_images']:,} complete / {saved['partial_images']:,} partial images" in lines[1]
    done = run("resultset", "create", str(job.id), "--name", "third")
    assert done.stdout.strip().isdigit() and "created ResultSet" in done.stderr and "6 accepted results" in done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--name", "first"], "already has a ResultSet of that name"),
        (["--name", "   "], "empty"),
        (["--name", "x" * 101], "at most 100"),
    ],
)
def test_create_refuses_bad_names_with_exit_code_2(job, args, message):
    create(job.id, "first")
    done = run("resultset", "create", str(job.id), *args, check_rc=2)
    assert message in done.stderr and done.stdout == ""


def test_create_refuses_a_job_without_accepted_results_and_an_unknown_job(sqlite_engine, tmp_path):
    fruit = import_fruit_job(sqlite_engine, tmp_path / "fruit")
    assert "no accepted results" in run("resultset", "create", str(fruit.id), "--name", "x", check_rc=2).stderr
    assert "job 999 not found" in run("resultset", "create", "999", "--name", "x", check_rc=2).stderr
    assert table_counts(sqlite_engine)["resultset"] == 0


def test_export_files_in_every_format(job, tmp_path):
    rs = create(job.id, "golden")
    out = tmp_path / "out"
    out.mkdir()
    for fmt, name in (("coco", "labels.json"), ("csv", "labels.csv"), ("yolo", "yolo.zip"), ("voc", "voc.zip")):
        done = run("export", str(rs), "--format", fmt, "--out", str(out / name))
        assert f"wrote {fmt} export of ResultSet {rs} to {out / name}" in done.stdout
    coco = json.loads((out / "labels.json").read_text())
    assert (len(coco["images"]), len(coco["annotations"]), len(coco["categories"])) == (3, 5, 3)
    assert (out / "labels.csv").read_text().count("\n") == 7  # header + 6 items
    assert sorted(zipfile.ZipFile(out / "yolo.zip").namelist()) == [
        "README.txt",
        "classes.txt",
        "data.yaml",
        "labels/a.txt",
        "labels/b.txt",
        "labels/c.txt",
        "manifest.json",
    ]
    assert len(zipfile.ZipFile(out / "voc.zip").namelist()) == 5  # three images, README.txt and manifest.json
    run("export", str(rs), "--format", "coco", "--out", str(out))  # a folder: the download's file name
    assert (out / "street-golden.json").read_text() == (out / "labels.json").read_text()


def test_export_to_a_datalog_table(job, sqlite_engine):
    rs = create(job.id, "golden")
    assert run("export", str(rs), "--table", "golden_labels").stdout.splitlines() == [
        f"datalog table golden_labels: 6 rows from ResultSet {rs}",
        "3 complete images. Every image of the ResultSet is complete: it holds every result of each in the job.",
    ]
    again = run("export", str(rs), "--table", "golden_labels", check_rc=2)
    assert "exists (6 rows from ResultSet 'golden'); pass --replace" in again.stderr
    run("export", str(rs), "--table", "golden_labels", "--replace", "--created-by", "bob")
    with sqlite_engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM golden_labels")).scalar_one() == 6
        assert conn.execute(text("SELECT created_by, row_count FROM datalogtable")).one() == ("bob", 6)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("x; drop table result", "lower-case letters"),
        ("Labels", "lower-case letters"),
        ("a" * 64, "lower-case"),
        ("result", "LabelDeck's own table"),
        ("select", "reserved word"),
    ],
)
def test_export_refuses_bad_table_names(job, sqlite_engine, table, message):
    rs = create(job.id, "golden")
    before = table_counts(sqlite_engine)
    assert message in run("export", str(rs), "--table", table, check_rc=2).stderr
    assert table_counts(sqlite_engine) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "needs --format coco|yolo|voc|csv and --out PATH, or --table NAME"),
        (["--format", "coco"], "needs --format"),
        (["--table", "t", "--format", "csv"], "leave out --format and --out"),
        (["--format", "csv", "--out", "x.csv", "--replace"], "--replace is for --table only"),
    ],
)
def test_export_argument_mistakes_exit_2(job, args, message):
    rs = create(job.id, "golden")
    assert message in run("export", str(rs), *args, check_rc=2).stderr


def test_yolo_of_a_classification_resultset_and_unknown_resultsets_exit_2(sqlite_engine, tmp_path):
    fruit = import_fruit_job(sqlite_engine, tmp_path / "fruit")
    accept(sqlite_engine, result_ids(sqlite_engine, fruit.id))
    rs = create(fruit.id, "fruit")
    done = run("export", str(rs), "--format", "yolo", "--out", str(tmp_path / "y.zip"), check_rc=2)
    assert "YOLO export is for detection only" in done.stderr
    assert not (tmp_path / "y.zip").exists()
    assert (
        "ResultSet 99 not found"
        in run("export", "99", "--format", "csv", "--out", str(tmp_path / "x.csv"), check_rc=2).stderr
    )


def test_db_option_after_the_subcommand_names_another_store(job, tmp_path):
    other = f"sqlite:///{tmp_path / 'other.db'}"
    assert run("resultset", "list", str(job.id), "--json", "--db", other).stdout.strip() == "[]"
    assert (
        f"job {job.id} not found"
        in run("resultset", "create", str(job.id), "--name", "x", "--db", other, check_rc=2).stderr
    )
