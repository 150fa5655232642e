"""`python -m core rework`: in-process over SQLite and PostgreSQL (`--db`), and once as a user runs it (on the default
store from the environment, through tests/unit/test_cli.py's run)."""

from __future__ import annotations

import json

from core.jobs.lookup import get_job
from tests.unit.test_cli import import_detection_args, run
from tests.unit.test_cli_review import core, job  # noqa: F401  (the standard detection job, imported)


def test_rework_sends_the_rejected_results_of_a_class_back(engine, store_url, job, capsys):  # noqa: F811
    core(
        store_url,
        capsys,
        "review",
        str(job),
        "--to",
        "rejected",
        "--changed",
        "true",
        "--reviewer",
        "rita",
        "--reason",
        "wrong",
    )
    rc, out, err = core(
        store_url,
        capsys,
        "rework",
        str(job),
        "--from",
        "rejected",
        "--class",
        "bird",
        "--class",
        "(removed)",
        "--name",
        "street rework",
        "--reviewer",
        "rita",
        "--json",
    )
    assert (rc, err) == (0, "")
    made = json.loads(out)
    assert (made["status"], made["origin_job_id"], made["images"], made["results"], made["already_sent_back"]) == (
        "IN_PROGRESS",
        job,
        1,
        2,
        0,
    )
    assert get_job(engine, made["id"]).tag == "M-LA-OD"
    rc, out, _ = core(store_url, capsys, "rework", str(job), "--name", "the rest", "--reviewer", "rita")
    assert rc == 0
    assert out.strip() == (
        f"rework job {made['id'] + 1} 'the rest' (M-LA-OD, IN_PROGRESS): 1 rejected results of "
        f"job {job} on 1 image sent back for relabelling; 2 already in a rework job, left out"
    )


def test_rework_refusals_exit_2_and_say_why(engine, store_url, job, capsys):  # noqa: F811
    rc, out, err = core(store_url, capsys, "rework", str(job), "--name", "nothing")
    assert (rc, out) == (2, "")
    assert "has no rejected results: nothing to send back" in err
    rc, _, err = core(store_url, capsys, "rework", str(job), "--class", "horse", "--name", "x")
    assert rc == 2 and "not a class of job" in err


def test_rework_as_a_user_runs_it(tmp_path):
    run(*import_detection_args(tmp_path / "in"))
    run("review", "1", "--to", "rejected", "--from", "pending", "--class", "dog", "--quiet")
    out = run("rework", "1", "--from", "rejected", "--name", "dogs again", "--quiet").stdout
    assert "2 rejected results of job 1 on 2 images sent back for relabelling" in out
    listed = {j["name"]: j for j in json.loads(run("jobs", "--json").stdout)}
    assert (listed["dogs again"]["status"], listed["dogs again"]["images"]) == ("IN_PROGRESS", 2)
    assert (
        run("rework", "1", "--name", "again", check_rc=2)
        .stderr.strip()
        .endswith("were sent back already, to a rework job still being labelled")
    )
