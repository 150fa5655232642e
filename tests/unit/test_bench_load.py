"""The load test (bench/load.py, load_reconcile.py, load_report.py) at a tiny scale, on SQLite and (with
LABELDECK_TEST_PG_URL) PostgreSQL: a real run of reviewer processes must reconcile, and the reconciliation must catch
a lost decision, a decision taken twice, a state changed behind the log's back and an event nobody reports. Its
timings are never asserted."""

from __future__ import annotations

import dataclasses
from contextlib import closing

import numpy as np
import pytest
from sqlalchemy import text

from bench import load, load_reconcile, load_report
from core.store import models
from core.store.db import get_engine, transaction
from tests.resultset_builders import set_state


def test_a_tiny_load_reconciles_and_the_reconciliation_catches_what_it_must(store_url, tmp_path):
    """One load (3 reviewer processes, 25 actions each), then its checks, then the same checks fed false reports
    and a tampered store: each must fail."""
    report = tmp_path / "REPORT.md"
    report.write_text("# LabelDeck benchmark report\n\nEarlier sections.\n", encoding="utf-8")
    code = load.main(
        [
            "--db",
            store_url,
            "--images",
            "60",
            "--boxes-per-image",
            "4",
            "--workers",
            "3",
            "--actions",
            "25",
            "--min-slice",
            "3",
            "--max-slice",
            "80",
            "--undo-rate",
            "0.15",
            "--hot-fraction",
            "0.3",
            "--workdir",
            str(tmp_path / "work"),
            "--out",
            str(report),
            "--keep",
        ]
    )
    assert code == 0

    written = report.read_text(encoding="utf-8")
    backend = "postgresql" if store_url.startswith("postgresql") else "sqlite"
    assert written.startswith("# LabelDeck benchmark report\n\nEarlier sections.\n")
    assert f"<!-- load:start:{backend} -->" in written and f"<!-- load:end:{backend} -->" in written
    assert "**Reconciliation PASS" in written and "**FAIL**" not in written

    engine = get_engine(store_url)
    with engine.connect() as conn:
        job_id = conn.execute(text("SELECT MAX(id) FROM labeljob")).scalar()
    reports = [
        load_reconcile.read_worker_report(out, name=out.stem, returncode=0)
        for out in sorted((tmp_path / "work").glob("load-*/load*.json"))
    ]
    assert len(reports) == 3 and all(len(r.actions) == 25 for r in reports)
    assert any(a["changed_elsewhere"] for r in reports for a in r.actions), "the slices should have overlapped"
    since = load_reconcile.Baseline(last_event_id=0, review_revision=0)
    check = load_reconcile.reconcile(engine, job_id, since=since, reports=reports)
    assert check.ok, check.examples
    assert check.load_events == check.events > 0 and check.load_moved > 0

    _lost_decision_is_caught(engine, job_id, since, reports)
    _unreported_or_miscounted_events_are_caught(engine, job_id, since, reports)
    _tampered_store_is_caught(engine, job_id)


def _replaced(reports, old, new):
    return [new if r is old else r for r in reports]


def _lost_decision_is_caught(engine, job_id, since, reports) -> None:
    """The load's first event moved results from pending when every result was pending: had its reviewer asked for
    one more, that one was due too, and an event without it has lost a decision."""
    with closing(load_reconcile.review_events(engine, job_id)) as events:
        first = next(events)
    reporter, index = next((r, i) for r in reports for i, a in enumerate(r.actions) if a["event_id"] == first.id)
    assert reporter.actions[index]["from_state"] == "pending"
    ids = load_reconcile.result_table(engine, job_id)[0]
    claims = dataclasses.replace(reporter, requested=[*reporter.requested])
    claims.requested[index] = np.union1d(reporter.requested[index], np.setdiff1d(ids, first.result_ids)[:1])
    check = load_reconcile.reconcile(engine, job_id, since=since, reports=_replaced(reports, reporter, claims))
    assert check.problems["lost"] == 1 and not check.ok


def _unreported_or_miscounted_events_are_caught(engine, job_id, since, reports) -> None:
    reporter, index = next(
        (r, i) for r in reports for i, a in enumerate(r.actions) if a["event_id"] and a["type"] != "undo_last"
    )

    silent = dataclasses.replace(reporter, actions=[dict(a) for a in reporter.actions])
    silent.actions[index]["event_id"] = None  # its event is now nobody's, and it moved results without one
    check = load_reconcile.reconcile(engine, job_id, since=since, reports=_replaced(reports, reporter, silent))
    assert check.problems["unreported"] == 1 and check.problems["moved"] == 1 and not check.ok

    inflated = dataclasses.replace(reporter, actions=[dict(a) for a in reporter.actions])
    inflated.actions[index]["moved"] += 1
    inflated.actions[index]["changed_elsewhere"] -= 1
    check = load_reconcile.reconcile(engine, job_id, since=since, reports=_replaced(reports, reporter, inflated))
    assert check.problems["moved"] == 1 and check.problems["totals"] == 1 and not check.ok

    failed = dataclasses.replace(reports[-1], returncode=1)
    check = load_reconcile.reconcile(engine, job_id, since=since, reports=[*reports[:-1], failed])
    assert check.problems["workers"] == 1 and not check.ok


def _tampered_store_is_caught(engine, job_id) -> None:
    ids, states, _ = load_reconcile.result_table(engine, job_id)
    decided = int(ids[states != load_reconcile.STATE_CODES["pending"]][0])
    # Any result will do, in whatever state the load left it: a load can decide every result of the tiny job.
    tampered = int(ids[0])
    other = "rejected" if states[0] != load_reconcile.STATE_CODES["rejected"] else "pending"

    set_state(engine, [tampered], other)  # a state changed without an event
    check = load_reconcile.reconcile(engine, job_id)
    assert check.problems["state"] == 1 and not check.ok
    # Tampering may leave a reviewer the log does not name (a pending result decided without an event, or a
    # decision deleted): counted, but not what the event below is about.
    tampered_reviewers = check.problems["reviewed_by"]
    assert tampered_reviewers <= 1

    with transaction(engine) as session:  # an event that decides an already decided result again, listing it twice
        session.add(
            models.ReviewEvent(
                job_id=job_id,
                reviewer="intruder",
                from_state="pending",
                to_state="accepted",
                result_count=2,
                result_ids=[decided, decided],
            )
        )
    check = load_reconcile.reconcile(engine, job_id)
    assert check.problems["from_state"] == 1 and check.problems["event_ids"] == 1
    # the intruder is now the last reviewer of `decided` in the log, not in the store
    assert check.problems["reviewed_by"] == tampered_reviewers + (decided != tampered)


# One store: the timing code is the same on both, and the test above runs the load and its checks on each.
@pytest.mark.parametrize("store_url", ["postgresql"], indirect=True)
def test_the_bulk_review_is_timed_before_and_after_the_load_outside_it(store_url, tmp_path):
    """--bulk-review's accept and undo are review events of their own: the load's checks must not count them."""
    report = tmp_path / "REPORT.md"
    code = load.main(
        [
            "--db",
            store_url,
            "--images",
            "20",
            "--boxes-per-image",
            "3",
            "--workers",
            "2",
            "--actions",
            "5",
            "--min-slice",
            "2",
            "--max-slice",
            "20",
            "--bulk-review",
            "--workdir",
            str(tmp_path / "work"),
            "--out",
            str(report),
        ]
    )
    assert code == 0
    notes = [line for line in report.read_text(encoding="utf-8").splitlines() if line.startswith("- ")]
    for when in ("before the load", "after the load"):
        timed = next(note for note in notes if f"review action {when}" in note)
        assert "results in one action, its event included: " in timed and "undo of that action" in timed
    with get_engine(store_url).connect() as conn:
        bulk = conn.execute(text("SELECT COUNT(*) FROM reviewevent WHERE reviewer = 'bench'")).scalar()
    assert bulk == 4  # two accepts, two undos


def test_the_report_keeps_other_sections_and_replaces_its_own(tmp_path):
    path = tmp_path / "REPORT.md"
    path.write_text("# Report\n\n## Import\n\nnumbers\n", encoding="utf-8")
    first = "<!-- load:start:sqlite -->\n## Load one\n<!-- load:end:sqlite -->\n"
    load_report.update_report(path, "sqlite", first)
    pg = "<!-- load:start:postgresql -->\n## PG\n<!-- load:end:postgresql -->\n"
    load_report.update_report(path, "postgresql", pg)
    load_report.update_report(path, "sqlite", first.replace("one", "two"))
    content = path.read_text(encoding="utf-8")
    assert content.startswith("# Report\n\n## Import\n\nnumbers\n\n")
    assert "Load one" not in content and content.count("Load two") == 1 and content.count("## PG") == 1

    rewritten = load_report.with_load_blocks("# Report\n\n## Import\n\nnew numbers\n", content)
    assert rewritten.startswith("# Report\n\n## Import\n\nnew numbers\n\n<!-- load:start:sqlite -->")
    assert load_report.load_blocks(rewritten) == load_report.load_blocks(content)


def test_reviewers_are_bounded():
    with pytest.raises(SystemExit):
        load._parse_args(["--workers", str(load.MAX_WORKERS + 1)])
