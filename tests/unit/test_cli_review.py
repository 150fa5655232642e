"""`python -m core review | undo | events`: in-process over SQLite and PostgreSQL (`--db`), and once as a user runs
it (on the default store from the environment, through tests/unit/test_cli.py's run)."""

from __future__ import annotations

import json

import polars as pl
import pytest
from sqlalchemy import text

from core import cli
from core.analysis import results_frame
from core.jobs import ingest
from core.jobs.lookup import get_job
from core.review import decisions as review
from tests.builders import ADMIN, as_reviewer, write_detection_job
from tests.resultset_builders import STATE_OF, WITH_STATE
from tests.unit.test_cli import run

# The standard detection job (tests/builders.py), result by result in import order:
# e1 cat unchanged, e2 dog relabeled (changed), e3 cat adjusted, e4 bird added (changed), e5 dog adjusted,
# p4 (removed) (changed).


@pytest.fixture
def job(engine, tmp_path) -> int:
    files = write_detection_job(tmp_path / "in")
    return ingest.import_detection(
        actor=ADMIN,
        engine=engine,
        name="street",
        images_dir=files.images_dir,
        pre_path=files.pre_path,
        expert_path=files.expert_path,
    ).id


def core(store_url: str, capsys, *args: str) -> tuple[int, str, str]:
    rc = cli.main([*args, "--db", store_url])
    out = capsys.readouterr()
    return rc, out.out, out.err


def states(engine, job_id: int) -> list[str]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                text(f"SELECT {STATE_OF} FROM result r {WITH_STATE} WHERE r.job_id = :j ORDER BY r.id"), {"j": job_id}
            ).scalars()
        )


def test_review_moves_the_results_the_filters_select_and_records_the_selection(engine, store_url, job, capsys):
    rc, out, _ = core(
        store_url,
        capsys,
        "review",
        str(job),
        "--to",
        "accepted",
        "--from",
        "pending",
        "--class",
        "cat",
        "--class",
        "dog",
        "--changed",
        "false",
        "--reviewer",
        "ada",
        "--reason",
        "boxes fine",
        "--json",
    )
    assert rc == 0
    outcome = json.loads(out)
    assert outcome == {
        "job_id": job,
        "from": "pending",
        "to": "accepted",
        "reviewer": "ada",
        "event_id": outcome["event_id"],
        "requested": 3,
        "moved": 3,
        "changed_elsewhere": 0,
    }
    assert states(engine, job) == ["accepted", "pending", "accepted", "pending", "accepted", "pending"]
    [event] = review.list_events(engine=engine, job_id=job)
    assert (event.id, event.reviewer, event.reason) == (outcome["event_id"], "ada", "boxes fine")
    assert event.selection == {"via": "cli", "tab": "pending", "classes": ["cat", "dog"], "class_changed": "false"}

    rc, out, _ = core(
        store_url, capsys, "review", str(job), "--to", "rejected", "--class", "(removed)", "--reviewer", "bob"
    )
    assert rc == 0
    assert out.strip() == f"job {job}: moved 1 of 1 selected results any → rejected (event {outcome['event_id'] + 1})"
    assert states(engine, job)[5] == "rejected"

    # without --from: every result not yet in the target state, whatever its state
    rc, out, _ = core(store_url, capsys, "review", str(job), "--to", "pending", "--reviewer", "bob", "--json")
    moved = json.loads(out)
    assert (moved["requested"], moved["moved"], moved["changed_elsewhere"]) == (4, 4, 0)  # the 2 pending not asked
    assert set(states(engine, job)) == {"pending"}
    assert review.list_events(engine=engine, job_id=job)[0].from_states is not None  # left accepted and rejected


def test_review_reports_results_that_changed_since_they_were_selected(engine, store_url, job, capsys, monkeypatch):
    ids = sorted(results_frame.load_results(engine, get_job(engine, job))["result_id"])
    review.accept(engine=engine, job_id=job, result_ids=ids[:2], from_state="pending", actor=as_reviewer("bob"))
    # The CLI's view of the states is taken before bob's action lands: all six still look pending.
    stale = pl.DataFrame(schema={"result_id": pl.Int64, "review_state": pl.String})
    monkeypatch.setattr(results_frame, "review_states", lambda _engine, _job_id: stale)

    rc, out, _ = core(
        store_url, capsys, "review", str(job), "--to", "rejected", "--from", "pending", "--reviewer", "ada"
    )

    assert rc == 0
    assert "moved 4 of 6 selected results pending → rejected" in out
    assert "2 had changed elsewhere, left as they are" in out
    assert states(engine, job) == ["accepted", "accepted", "rejected", "rejected", "rejected", "rejected"]


def test_undo_and_events(engine, store_url, job, capsys):
    core(
        store_url,
        capsys,
        "review",
        str(job),
        "--to",
        "accepted",
        "--from",
        "pending",
        "--class",
        "cat",
        "--reviewer",
        "ada",
    )
    core(
        store_url,
        capsys,
        "review",
        str(job),
        "--to",
        "rejected",
        "--from",
        "pending",
        "--changed",
        "true",
        "--reviewer",
        "ada",
        "--reason",
        "wrong class",
    )

    rc, out, _ = core(store_url, capsys, "undo", str(job), "--reviewer", "ada", "--json")
    assert rc == 0
    undo = json.loads(out)
    assert (undo["requested"], undo["moved"], undo["changed_elsewhere"]) == (3, 3, 0)
    assert states(engine, job) == ["accepted", "pending", "accepted", "pending", "pending", "pending"]

    rc, out, _ = core(store_url, capsys, "events", str(job))
    lines = out.strip().splitlines()
    assert len(lines) == 3
    assert "rejected → pending" in lines[0] and "undoes 2" in lines[0]
    assert "pending → rejected" in lines[1] and "“wrong class”" in lines[1]
    assert f"undone by {undo['event_id']}" in lines[1]
    assert "pending → accepted" in lines[2] and "2 results" in lines[2]

    rc, out, _ = core(store_url, capsys, "events", str(job), "--json", "--ids", "--limit", "2")
    listed = json.loads(out)
    assert [e["id"] for e in listed] == [3, 2]
    assert listed[1]["result_ids"] == listed[0]["result_ids"] and len(listed[1]["result_ids"]) == 3
    assert listed[1]["undone_by"] == 3 and listed[0]["undoes_event_id"] == 2
    rc, out, _ = core(store_url, capsys, "events", str(job), "--json", "--reviewer", "nobody")
    assert json.loads(out) == []

    core(store_url, capsys, "undo", str(job), "--reviewer", "ada")
    rc, out, _ = core(store_url, capsys, "undo", str(job), "--reviewer", "ada")
    assert rc == 0 and "ada has no review action left to undo" in out
    assert set(states(engine, job)) == {"pending"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--to", "accepted", "--class", "truck"], "--class truck: not a class of job"),
        (["--to", "accepted", "--from", "accepted"], "both accepted"),
        (["--to", "accepted", "--reviewer", " "], "a user name is needed"),
    ],
)
def test_bad_review_input_exits_2_and_changes_nothing(engine, store_url, job, capsys, args, message):
    rc, out, err = core(store_url, capsys, "review", str(job), *args)
    assert rc == 2 and out == ""
    assert message in err
    assert set(states(engine, job)) == {"pending"}
    assert review.list_events(engine=engine, job_id=job) == []


def test_unknown_jobs_exit_2(store_url, job, capsys):
    for args in (["review", "999", "--to", "accepted"], ["undo", "999", "--reviewer", "ada"], ["events", "999"]):
        rc, _, err = core(store_url, capsys, *args)
        assert rc == 2 and "job 999 not found" in err


def test_argument_errors_exit_2(store_url, job, capsys):
    for args in (["review", str(job)], ["review", str(job), "--to", "done"], ["undo", str(job)]):
        with pytest.raises(SystemExit) as exit_:
            cli.main([*args, "--db", store_url])
        assert exit_.value.code == 2
    capsys.readouterr()


def test_as_a_user_runs_it(tmp_path):
    """As a user runs it, on the default store: import, review, undo, events; a bad class exits 2 with the reason."""
    files = write_detection_job(tmp_path / "in")
    imported = json.loads(
        run(
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
            "--json",
        ).stdout
    )
    job = str(imported["id"])
    reviewed = json.loads(
        run("review", job, "--to", "accepted", "--from", "pending", "--reviewer", "ada", "--json").stdout
    )
    assert (reviewed["requested"], reviewed["moved"]) == (6, 6)
    assert "undid ada's last action" in run("undo", job, "--reviewer", "ada").stdout
    assert len(json.loads(run("events", job, "--json").stdout)) == 2
    stats = json.loads(run("stats", job, "--json").stdout)
    assert stats["by_state"] == {"pending": 6, "accepted": 0, "rejected": 0}
    refused = run("review", job, "--to", "rejected", "--class", "truck", check_rc=2)
    assert "error: --class truck: not a class of job" in refused.stderr
