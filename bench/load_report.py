"""The load test's section of bench/REPORT.md: throughput, latency per action type and the reconciliation's checks,
between `<!-- load:start:BACKEND -->` and `<!-- load:end:BACKEND -->`. One section per backend; writing one leaves
the rest of the file as it is, and bench/run.py keeps them when it rewrites the report.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import numpy as np
from sqlalchemy import Engine, inspect, text

from bench.load_reconcile import CHECKS, Reconciliation, WorkerReport
from bench.load_worker import ACTION_TYPES
from bench.report import Measurement, format_value, measurement_table

_BLOCK = re.compile(r"<!-- load:start:(?P<backend>[\w-]+) -->\n.*?<!-- load:end:(?P=backend) -->\n?", re.DOTALL)


def latency_rows(reports: Sequence[WorkerReport]) -> list[dict]:
    """Per action type (and all together, and the page refresh): count, results moved, latency percentiles."""
    actions = [a for r in reports for a in r.actions if not a.get("error")]
    rows = []
    for kind in (*ACTION_TYPES, None):
        chosen = [a for a in actions if kind is None or a["type"] == kind]
        if not chosen:
            continue
        rows.append(
            _latency_row(
                "all review actions" if kind is None else kind,
                [a["latency_s"] for a in chosen],
                moved=sum(a["moved"] for a in chosen),
                requested=sum(a["requested"] for a in chosen),
                elsewhere=sum(a["changed_elsewhere"] for a in chosen),
            )
        )
    refreshes = [s for r in reports for s in r.refresh_s]
    if refreshes:
        rows.append(_latency_row("page refresh (review_states + with_states)", refreshes))
    return rows


def _latency_row(
    name: str,
    latencies: Sequence[float],
    *,
    moved: int | None = None,
    requested: int | None = None,
    elsewhere: int | None = None,
) -> dict:
    ms = np.asarray(latencies) * 1000
    p50, p95, p99 = np.percentile(ms, [50, 95, 99])
    return {
        "name": name,
        "count": len(ms),
        "requested": requested,
        "moved": moved,
        "elsewhere": elsewhere,
        "p50": p50,
        "p95": p95,
        "p99": p99,
        "max": ms.max(),
    }


def load_section(
    *,
    args: argparse.Namespace,
    command: str,
    engine: Engine,
    job_id: int,
    reports: Sequence[WorkerReport],
    check: Reconciliation,
    wall_s: float,
    reconcile_s: float,
    started: datetime,
    machine: dict[str, str],
    run_notes: Sequence[str],
) -> str:
    """The section, markers included. `run_notes` (how the job and the store were prepared, what was timed besides
    the load) come first in its notes."""
    backend = engine.dialect.name
    done = [a for r in reports for a in r.actions if not a.get("error")]
    busy_s = max((r.elapsed_s for r in reports), default=0.0) or wall_s
    moved = sum(a["moved"] for a in done)
    rows = latency_rows(reports)
    overall = next((row for row in rows if row["name"] == "all review actions"), None)

    measurements = [
        Measurement(name="reviewer processes", value=len(reports)),
        Measurement(name="load duration (start signal → last action done)", value=busy_s, unit="s"),
        Measurement(name="review actions (accept, reject, move to pending, undo)", value=len(done)),
        Measurement(name="throughput: review actions", value=len(done) / busy_s if busy_s else 0.0, unit="/s"),
        Measurement(name="throughput: results moved", value=moved / busy_s if busy_s else 0.0, unit="/s"),
        Measurement(name="p95 latency, all review actions", value=overall["p95"] if overall else 0.0, unit="ms"),
        Measurement(
            name="results requested / moved / changed elsewhere",
            value=f"{sum(a['requested'] for a in done):,} / {moved:,} / {sum(a['changed_elsewhere'] for a in done):,}",
        ),
        Measurement(name="review events recorded during the load", value=check.load_events),
        Measurement(name="review events replayed (the job's whole log)", value=check.events),
        Measurement(name="results reconciled", value=check.results),
        *[
            Measurement(name=label, value=check.problems[name], ok=check.problems[name] == 0)
            for name, label in CHECKS.items()
        ],
        Measurement(name="reconciliation time (driver)", value=reconcile_s, unit="s"),
    ]
    verdict = (
        "PASS: the event log reconciles exactly with the review states, and every event is one reported action"
        if check.ok
        else f"FAIL: {sum(check.problems.values()):,} problems, see the checks below"
    )
    lines = [
        f"<!-- load:start:{backend} -->",
        f"## Concurrent review load on {'PostgreSQL' if backend == 'postgresql' else 'SQLite'} (python -m bench.load)",
        "",
        f"Run {started.strftime('%Y-%m-%d %H:%M UTC')} with `{command}`: {len(reports)} reviewer processes, "
        + (f"{args.actions} actions each" if args.actions is not None else f"{args.duration:g} s")
        + f", on job {job_id} ({check.results:,} results). {machine['CPU']}, {machine['cores']}, load average at "
        f"start {machine['load average at start']}; {machine['database']}; commit {machine['commit']}.",
        "",
        f"**Reconciliation {verdict}.**",
        "",
        *measurement_table(measurements),
        "",
        "| action | actions | results requested | moved | changed elsewhere | p50 | p95 | p99 | max |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        *[
            f"| {row['name']} | {row['count']:,} | {_count(row['requested'])} | {_count(row['moved'])} | "
            f"{_count(row['elsewhere'])} | {format_value(row['p50'])} ms | {format_value(row['p95'])} ms | "
            f"{format_value(row['p99'])} ms | {format_value(row['max'])} ms |"
            for row in rows
        ],
        "",
        *[f"- {note}" for note in [*run_notes, *_method_notes(args, reports, check)]],
        f"<!-- load:end:{backend} -->",
    ]
    return "\n".join(lines) + "\n"


def _method_notes(args: argparse.Namespace, reports: Sequence[WorkerReport], check: Reconciliation) -> list[str]:
    errors = Counter(a["error"].split(":")[0] for r in reports for a in r.actions if a.get("error"))
    notes = [
        "each reviewer (`python -m bench.load_worker`) holds the job's frame and the states it last read, picks a "
        f"slice (a contiguous range of {args.min_slice:,}–{args.max_slice:,} results, a class or a change kind, "
        f"{args.hot_share:.0%} of them in the first {args.hot_fraction:.0%} of the job or at the head of the slice, "
        "so reviewers collide), takes its ids in one state (pending 60%, accepted 20%, rejected 20%) and moves them "
        f"to another with `from_state` as seen; {args.undo_rate:.0%} of actions are `undo_last`; the view is "
        f"reread after {args.refresh_rate:.0%} of actions, the others act on the view they hold, which the other "
        "reviewers' actions have made stale; "
        + (f"think time {args.think_ms:g} ms on average" if args.think_ms else "no think time"),
        (
            "latency is one `core.review.decisions` call in the reviewer's process, commit included: review actions of a "
            "job queue on the job's row lock (PostgreSQL) or the write lock (SQLite), so it includes waiting for the "
            "others; throughput is over the whole load"
        ),
        (
            "reconciliation replays every review event of the job in id order from all-pending (each move must leave "
            "the state the replay has the result in, so no result is decided twice) and compares the result with every "
            "result's review_state and reviewed_by; each event of the load must be exactly one reported action: its "
            "requested ids that the replay has in the state the reviewer saw (none lost, none extra), an undo the "
            "undone event's results still where it put them"
        ),
        (
            f"reviewer processes: frame loaded in {', '.join(f'{r.frame_load_s:.1f}' for r in reports)} s (not timed); "
            f"{sum(r.empty_picks for r in reports):,} picks found nothing in the chosen state and were not actions"
        ),
        "failed actions: "
        + (", ".join(f"{n} × {e}" for e, n in errors.most_common()) if errors else "none")
        + "; no action is retried",
    ]
    if check.examples:
        notes.append("first problems: " + "; ".join(check.examples[:5]))
    return notes


def store_note(engine: Engine) -> str:
    """The result table's indexes and, on PostgreSQL, what its planner knew of it: the review UPDATE's plans
    depend on both."""
    note = f"indexes on result: {', '.join(sorted(i['name'] for i in inspect(engine).get_indexes('result')))}"
    if engine.dialect.name != "postgresql":
        return note
    with engine.connect() as conn:
        autovacuum = conn.execute(text("SHOW autovacuum")).scalar()
        stats = conn.execute(
            text(
                "SELECT GREATEST(last_analyze, last_autoanalyze), GREATEST(last_vacuum, last_autovacuum), n_live_tup, "
                "n_dead_tup FROM pg_stat_user_tables WHERE relid = 'result'::regclass"
            )
        ).first()
    analyzed, vacuumed, live, dead = stats or (None, None, 0, 0)
    return (
        f"{note}; PostgreSQL autovacuum {autovacuum}, result table last analyzed {_when(analyzed)}, last "
        f"vacuumed {_when(vacuumed)}, {dead:,} dead rows after the load (about {live:,} live)"
    )


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "never"


def _count(value: int | None) -> str:
    return "" if value is None else f"{value:,}"


def load_blocks(report: str) -> list[str]:
    """The load sections of a report, each from its start marker to its end marker."""
    return [m.group(0) for m in _BLOCK.finditer(report)]


def with_load_blocks(report: str, previous: str) -> str:
    """`report` followed by the load sections of `previous` that it lacks (for bench/run.py, which rewrites the
    report and would otherwise drop them)."""
    present = {m.group("backend") for m in _BLOCK.finditer(report)}
    kept = [m.group(0) for m in _BLOCK.finditer(previous) if m.group("backend") not in present]
    if not kept:
        return report
    return report.rstrip("\n") + "\n\n" + "\n".join(block.rstrip("\n") + "\n" for block in kept)


def update_report(path: Path, backend: str, block: str) -> None:
    """Replace this backend's load section of the report, or append it; the rest of the file stays as it is."""
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    own = next((m for m in _BLOCK.finditer(old) if m.group("backend") == backend), None)
    if own:
        new = old[: own.start()] + block + old[own.end() :]
    else:
        new = (old.rstrip("\n") + "\n\n" if old.strip() else "") + block
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(new, encoding="utf-8")
