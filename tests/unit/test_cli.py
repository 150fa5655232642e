"""`python -m core` as a user runs it, with the data folder in the environment: in-process through core.cli.main
(run), and once as a real subprocess (test_python_m_core_in_a_subprocess)."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from core.jobs import ingest
from core.jobs.summaries import list_jobs
from core.settings import PROJECT_ROOT
from core.store.db import get_engine
from tests.builders import ADMIN, IMAGES, table_counts, write_classification_job, write_cut_image, write_detection_job


def run(*args: str, check_rc: int | None = 0, address_space: int | None = None) -> subprocess.CompletedProcess:
    """Run the CLI with this test's environment (its data folder and default store come from conftest): in this
    process, as `python -m core` would (see run_in_process); with `address_space` (bytes) capped, in a subprocess,
    so that a command meant to refuse before costly work aborts if it starts it."""
    done = run_in_process(*args) if address_space is None else run_subprocess(*args, address_space=address_space)
    if check_rc is not None:
        assert done.returncode == check_rc, f"rc {done.returncode}\nstdout: {done.stdout}\nstderr: {done.stderr}"
    return done


def run_in_process(*args: str) -> subprocess.CompletedProcess:
    """`core.cli.main(args)` as a fresh `python -m core` runs it, without paying for a new interpreter: from the
    project folder, its stdout and stderr captured (its log lines too: the "labeldeck" logger is set up anew on the
    captured stderr, then put back), argparse's exit as the return code, and no engine cached from an earlier call
    (each call opens the store and checks its schema as a new process does)."""
    from core import cli
    from core.ops.logs import _CONFIGURED

    out, err = io.StringIO(), io.StringIO()
    logger = logging.getLogger("labeldeck")
    saved = (logger.handlers[:], logger.level, logger.propagate, getattr(logger, _CONFIGURED, False))
    logger.handlers.clear()
    setattr(logger, _CONFIGURED, False)
    get_engine.cache_clear()
    try:
        with contextlib.chdir(PROJECT_ROOT), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                returncode = cli.main(list(args))
            except SystemExit as exit_:  # argparse: --help, or a usage error (2)
                code = exit_.code
                returncode = code if isinstance(code, int) else (0 if code is None else 1)
                if isinstance(code, str):
                    print(code, file=sys.stderr)
    finally:
        logger.handlers[:], logger.level, logger.propagate = saved[0], saved[1], saved[2]
        setattr(logger, _CONFIGURED, saved[3])
        get_engine.cache_clear()
    return subprocess.CompletedProcess(["python", "-m", "core", *args], returncode, out.getvalue(), err.getvalue())


def run_subprocess(*args: str, address_space: int | None = None) -> subprocess.CompletedProcess:
    """`python -m core` in a new interpreter, with this test's environment; `address_space` (bytes) caps it."""

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))

    return subprocess.run(
        [sys.executable, "-m", "core", *args],
        cwd=PROJECT_ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=cap if address_space else None,
    )


def import_detection_args(root: Path, name: str = "street", **files_kwargs) -> list[str]:
    files = write_detection_job(root, **files_kwargs)
    return [
        "import",
        "--task",
        "detection",
        "--name",
        name,
        "--images",
        str(files.images_dir),
        "--pre",
        str(files.pre_path),
        "--expert",
        str(files.expert_path),
        "--quiet",
    ]


def test_import_detection_then_jobs_and_stats_as_json(tmp_path):
    imported = json.loads(run(*import_detection_args(tmp_path / "in"), "--json").stdout)
    assert imported == {"id": imported["id"], "name": "street", "tag": "M-LA-OD", "images": 2, "results": 6}

    jobs = json.loads(run("jobs", "--json").stdout)
    assert len(jobs) == 1
    job = jobs[0]
    assert {"id", "name", "tag", "status", "images", "results"} <= set(job)
    assert (job["id"], job["name"], job["tag"], job["status"], job["images"], job["results"]) == (
        imported["id"],
        "street",
        "M-LA-OD",
        "READY",
        2,
        6,
    )
    assert job["classes"] == ["cat", "dog", "bird"]

    stats = json.loads(run("stats", str(imported["id"]), "--json").stdout)
    assert stats["job_id"] == imported["id"] and stats["results"] == 6
    assert stats["by_state"] == {"pending": 6, "accepted": 0, "rejected": 0}
    assert stats["change_kinds"] == {"unchanged": 1, "adjusted": 2, "relabeled": 1, "added": 1, "removed": 1}
    assert stats["class_changed"] == {
        "cat": {"true": 0, "false": 2},
        "dog": {"true": 1, "false": 1},
        "bird": {"true": 1, "false": 0},
        "(removed)": {"true": 1, "false": 0},
    }
    area = stats["expert_review_area"]
    assert (area["px"]["count"], area["px"]["min"], area["px"]["max"], area["px"]["mean"]) == (5, 100.0, 400.0, 240.0)
    assert (area["fraction"]["min"], area["fraction"]["max"]) == (pytest.approx(0.04), pytest.approx(0.08))
    factor = stats["adjustment_factor"]
    assert (factor["count"], factor["min"], factor["median"], factor["max"]) == (4, 0.5, 1.0, 2.0)


def test_import_classification_and_its_stats(tmp_path, sqlite_engine):
    files = write_classification_job(tmp_path / "in")
    out = run(
        "import",
        "--task",
        "classification",
        "--name",
        "fruit",
        "--images",
        str(files.images_dir),
        "--csv",
        str(files.csv_path),
        "--classes",
        "apple, pear,plum,kiwi",
        "--quiet",
    ).stdout
    assert "imported job" in out and "'fruit' (M-LA-CL): 4 images, 4 results" in out

    [job] = list_jobs(engine=sqlite_engine)
    assert (job.tag, job.images, job.results, job.classes) == ("M-LA-CL", 4, 4, ["apple", "pear", "plum", "kiwi"])
    stats = json.loads(run("stats", str(job.id), "--json").stdout)
    assert stats["change_kinds"] == {"unchanged": 2, "adjusted": 0, "relabeled": 2, "added": 0, "removed": 0}
    assert stats["class_changed"] == {"apple": {"true": 1, "false": 1}, "pear": {"true": 1, "false": 1}}

    text_out = run("stats", str(job.id)).stdout
    assert "50.0% class changed" in text_out and "relabeled 2" in text_out


def test_a_bad_file_exits_2_with_the_problem_on_stderr(tmp_path, sqlite_engine):
    done = run(*import_detection_args(tmp_path / "in", image_files=IMAGES[:1]), check_rc=2)
    assert done.stdout == ""
    assert done.stderr.startswith("error: ")
    assert "expert.json: image 2 'b.png'" in done.stderr and "file not found" in done.stderr
    assert "Traceback" not in done.stderr
    assert table_counts(sqlite_engine)["labeljob"] == 0


def test_a_cut_jpeg_is_refused_by_import_and_job_create_and_nothing_is_written(engine, store_url, tmp_path):
    """Its header reads as a whole file's would: only decoding it shows that its data stops short."""
    files = write_detection_job(
        tmp_path / "in", images=[{**IMAGES[0], "file_name": "a.jpg"}, IMAGES[1]], image_files=IMAGES[1:]
    )
    write_cut_image(files.images_dir / "a.jpg", keep=0.9, width=100, height=50)
    done = run(
        "import",
        "--task",
        "detection",
        "--name",
        "street",
        "--images",
        str(files.images_dir),
        "--pre",
        str(files.pre_path),
        "--expert",
        str(files.expert_path),
        "--quiet",
        "--db",
        store_url,
        check_rc=2,
    )
    assert "expert.json: image 1 'a.jpg'" in done.stderr and "corrupt or truncated image" in done.stderr
    run(
        "spec",
        "create",
        "--name",
        "animals",
        "--task",
        "detection",
        "--classes",
        "cat,dog,bird",
        "--quiet",
        "--db",
        store_url,
    )
    done = run(
        "job",
        "create",
        "--name",
        "street",
        "--spec",
        "animals",
        "--images",
        str(files.images_dir),
        "--quiet",
        "--db",
        store_url,
        check_rc=2,
    )
    assert "'a.jpg': corrupt or truncated image" in done.stderr and "Traceback" not in done.stderr
    counts = table_counts(engine)
    assert (counts["labeljob"], counts["sample"], counts["result"]) == (0, 0, 0)


def test_an_unknown_job_id_exits_2(tmp_path):
    done = run("stats", "4242", "--json", check_rc=2)
    assert done.stdout == ""
    assert done.stderr.strip() == "error: job 4242 not found"


def import_in_process(engine, root: Path) -> None:
    """A job in the default store without paying for a subprocess (the CLI's import has its own tests)."""
    files = write_detection_job(root)
    ingest.import_detection(
        actor=ADMIN,
        engine=engine,
        name="street",
        images_dir=files.images_dir,
        pre_path=files.pre_path,
        expert_path=files.expert_path,
    )


def test_a_missing_option_and_a_taken_name_exit_2(tmp_path, sqlite_engine):
    files = write_detection_job(tmp_path / "in")
    done = run("import", "--task", "detection", "--name", "x", "--images", str(files.images_dir), "--quiet", check_rc=2)
    assert "needs --pre PRE.json and --expert EXPERT.json" in done.stderr
    import_in_process(sqlite_engine, tmp_path / "again")
    done = run(*import_detection_args(tmp_path / "again2"), check_rc=2)
    assert "a job named 'street' already exists" in done.stderr and "--replace" in done.stderr
    replaced = json.loads(run(*import_detection_args(tmp_path / "again3"), "--replace", "--json").stdout)
    assert replaced["results"] == 6


def test_progress_goes_to_stderr_unless_quiet(tmp_path):
    args = [a for a in import_detection_args(tmp_path / "in") if a != "--quiet"]
    done = run(*args)
    assert "writing to the store" in done.stderr and "done" in done.stderr
    assert "imported job" in done.stdout


def test_db_option_is_honoured(store_url, tmp_path, sqlite_engine):
    """--db names the store, before or after the subcommand; the default store stays empty."""
    imported = json.loads(run(*import_detection_args(tmp_path / "in"), "--json", "--db", store_url).stdout)
    with get_engine(store_url).connect() as conn:
        names = conn.execute(text("SELECT id, name FROM labeljob")).all()
    assert [tuple(r) for r in names] == [(imported["id"], "street")]
    assert [j["name"] for j in json.loads(run("--db", store_url, "jobs", "--json").stdout)] == ["street"]
    assert table_counts(sqlite_engine)["labeljob"] == 0  # the store LABELDECK_DATABASE_URL names


def test_demo_if_empty_leaves_a_store_with_jobs_alone(tmp_path, data_dir, sqlite_engine):
    import_in_process(sqlite_engine, tmp_path / "in")
    done = run("demo", "--if-empty", "--quiet")
    assert "nothing to do" in done.stdout
    assert [j.name for j in list_jobs(engine=sqlite_engine)] == ["street"]
    assert not (data_dir / "demo").exists()


def test_python_m_core_in_a_subprocess(tmp_path, sqlite_engine):
    """The one real `python -m core` of these tests (the rest call core.cli.main in-process): the entry point
    imports, reads the store from the environment, writes JSON to stdout and exits with main's return code."""
    imported = json.loads(run_subprocess(*import_detection_args(tmp_path / "in"), "--json").stdout)
    assert (imported["name"], imported["images"], imported["results"]) == ("street", 2, 6)
    listed = run_subprocess("jobs", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [(j["id"], j["name"]) for j in json.loads(listed.stdout)] == [(imported["id"], "street")]
    assert [j.name for j in list_jobs(engine=sqlite_engine)] == ["street"]
    refused = run_subprocess("stats", "4242", "--json")
    assert (refused.returncode, refused.stdout, refused.stderr.strip()) == (2, "", "error: job 4242 not found")
