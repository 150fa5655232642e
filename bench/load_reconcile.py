"""The load test's reconciliation: the reviewers' reports read back, and the job's event log replayed against the
review states and against those reports.

Every check counts problems (CHECKS); a load reconciles when all of them are 0.
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sqlalchemy import Engine, select, text

from bench.load_worker import ACTION_NAMES
from core.domain.vocabulary import RESULT_STATES
from core.store import models

# Every state a result row can be in: a reworked result (core/jobs/rework_return.py) is replayed like any other.
STATE_CODES = {state: code for code, state in enumerate(RESULT_STATES)}
TARGET_STATES = {name: state for state, name in ACTION_NAMES.items()}  # accept → accepted, ...

CHECKS = {
    "state": "results whose review state differs from the replayed event log",
    "from_state": "results an event moved out of a state the replay did not have them in (decided twice)",
    "event_ids": "events listing a result twice or of another job, or whose result_count is off",
    "reviewed_by": "decided results whose reviewed_by is not the reviewer of their last event",
    "revision": "review_revision increments that differ from the events recorded during the load",
    "unreported": "events recorded during the load that no reviewer process reports",
    "unrecorded": "actions reported with an event the log does not hold under that reviewer",
    "moved": "actions whose moved count differs from their event's result_count",
    "lost": "actions whose event is not exactly their requested results in the state they saw (lost/extra)",
    "undo": "undos whose event is not exactly the undone event's results still where it put them",
    "totals": "Σ moved over reviewers differs from Σ result_count of the load's events",
    "arithmetic": "actions whose changed_elsewhere differs from requested − moved",
    "errors": "review actions that raised an error (deadlock, serialization failure, timeout, ...)",
    "workers": "reviewer processes that failed or wrote no report",
}


@dataclass(kw_only=True)
class WorkerReport:
    name: str
    returncode: int
    actions: list[dict] = field(default_factory=list)
    requested: list[np.ndarray] = field(default_factory=list)  # per action: the ids it asked to move
    refresh_s: list[float] = field(default_factory=list)
    elapsed_s: float = 0.0
    frame_load_s: float = 0.0
    empty_picks: int = 0

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and len(self.requested) == len(self.actions)


def read_worker_report(out: Path, *, name: str, returncode: int) -> WorkerReport:
    report = WorkerReport(name=name, returncode=returncode)
    if not out.exists():
        report.returncode = returncode or 1
        return report
    data = json.loads(out.read_text(encoding="utf-8"))
    with np.load(out.with_suffix(".npz")) as stored:
        ids, offsets = stored["ids"], stored["offsets"]
    report.actions = data["actions"]
    report.requested = [ids[a:b] for a, b in itertools.pairwise(offsets)]
    report.refresh_s = data["refresh_s"]
    report.elapsed_s = data["elapsed_s"]
    report.frame_load_s = data["frame_load_s"]
    report.empty_picks = data["empty_picks"]
    return report


@dataclass(frozen=True)
class Baseline:
    """Where the log stood when the load began: events after last_event_id are the load's."""

    last_event_id: int
    review_revision: int


@dataclass(kw_only=True)
class Reconciliation:
    results: int = 0
    events: int = 0  # every event of the job, replayed
    load_events: int = 0  # those recorded during the load
    load_moved: int = 0  # Σ result_count of the load's events
    problems: Counter = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(self.problems.values())

    def flag(self, check: str, example: str, count: int = 1) -> None:
        self.problems[check] += count
        if len(self.examples) < 20:
            self.examples.append(f"{check}: {example}")


def baseline(engine: Engine, job_id: int) -> Baseline:
    with engine.connect() as conn:
        last = conn.execute(text("SELECT MAX(id) FROM reviewevent WHERE job_id = :j"), {"j": job_id}).scalar()
        revision = conn.execute(text("SELECT review_revision FROM labeljob WHERE id = :j"), {"j": job_id}).scalar()
    return Baseline(last_event_id=last or 0, review_revision=revision or 0)


def reconcile(
    engine: Engine, job_id: int, *, since: Baseline | None = None, reports: Sequence[WorkerReport] | None = None
) -> Reconciliation:
    """Replay every review event of the job in id order from all-pending: each move must leave the state the replay
    has the result in, and the replay must end in the store's review_state (and reviewed_by) of every result. With
    `since` and `reports`, every event after `since` must be exactly the action one reviewer reports: the requested
    ids that the replay has in the state the reviewer saw (an undo: the undone event's results still where it put
    them), no more, no fewer."""
    check = Reconciliation()
    ids, stored_states, stored_reviewers = result_table(engine, job_id)
    check.results = ids.size
    state = np.zeros(ids.size, dtype=np.int8)  # everything starts pending
    last_reviewer = np.full(ids.size, -1, dtype=np.int32)
    reviewers: list[str] = []
    reviewer_index: dict[str, int] = {}

    by_event: dict[int, tuple[WorkerReport, dict, np.ndarray]] = {}
    for report in reports or ():
        for action, requested in zip(report.actions, report.requested, strict=False):
            if action.get("event_id") is None:
                continue
            if action["event_id"] in by_event:
                check.flag("unrecorded", f"event {action['event_id']} is reported by two actions")
            by_event[action["event_id"]] = (report, action, requested)
    load_events: dict[int, tuple[np.ndarray, int, str]] = {}  # id → (its results, the state it put them in, who)
    seen_reported: set[int] = set()

    for event in review_events(engine, job_id):
        check.events += 1
        moved = np.asarray(event.result_ids, dtype=np.int64)
        unique = np.unique(moved)
        pos = np.searchsorted(ids, unique)
        in_job = (pos < ids.size) & (ids[np.minimum(pos, ids.size - 1)] == unique)
        if unique.size != moved.size or event.result_count != moved.size or not in_job.all():
            check.flag(
                "event_ids",
                f"event {event.id}: result_count {event.result_count}, {moved.size} ids, "
                f"{unique.size} distinct, {int((~in_job).sum())} not of job {job_id}",
            )
        unique, pos = unique[in_job], pos[in_job]
        left = _codes(unique, event.from_state, event.from_states)
        reached = _codes(unique, event.to_state, event.to_states)
        if (left < 0).any() or (reached < 0).any():
            check.flag(
                "event_ids",
                f"event {event.id}: {int(((left < 0) | (reached < 0)).sum())} results have no from-state or to-state",
            )
            keep = (left >= 0) & (reached >= 0)
            unique, pos, left, reached = unique[keep], pos[keep], left[keep], reached[keep]

        in_load = since is not None and event.id > since.last_event_id
        if in_load and reports is not None:
            _check_against_report(check, event, unique, ids, state, by_event, load_events)
            seen_reported.add(event.id)
        if in_load:
            check.load_events += 1
            check.load_moved += event.result_count
            load_events[event.id] = (unique, int(reached[0]) if reached.size else -1, event.reviewer)

        wrong = state[pos] != left
        if wrong.any():
            first = int(unique[np.argmax(wrong)])
            check.flag(
                "from_state",
                f"event {event.id} ({event.reviewer}) moved {int(wrong.sum())} results from a "
                f"state they were not in, e.g. result {first}",
                int(wrong.sum()),
            )
        state[pos] = reached
        who = reviewer_index.setdefault(event.reviewer, len(reviewers))
        if who == len(reviewers):
            reviewers.append(event.reviewer)
        last_reviewer[pos] = who

    differs = state != stored_states
    if differs.any():
        first = int(np.argmax(differs))
        check.flag(
            "state",
            f"{int(differs.sum()):,} results, e.g. result {int(ids[first])}: store "
            f"{RESULT_STATES[stored_states[first]]}, log {RESULT_STATES[state[first]]}",
            int(differs.sum()),
        )
    expected_reviewer = np.array([None, *reviewers], dtype=object)[last_reviewer + 1]
    expected_reviewer[state == STATE_CODES["pending"]] = None  # a pending result keeps no decision, no reviewer
    wrong_reviewer = expected_reviewer != stored_reviewers
    if wrong_reviewer.any():
        first = int(np.argmax(wrong_reviewer))
        check.flag(
            "reviewed_by",
            f"result {int(ids[first])}: store {stored_reviewers[first]!r}, log {expected_reviewer[first]!r}",
            int(wrong_reviewer.sum()),
        )

    if since is not None:
        revision = baseline(engine, job_id).review_revision - since.review_revision
        if revision != check.load_events:
            check.flag("revision", f"review_revision went up by {revision}, {check.load_events} events recorded")
    if since is not None and reports is not None:
        _check_reports(check, reports, by_event, seen_reported)
    for name in CHECKS:
        check.problems.setdefault(name, 0)
    return check


def _check_against_report(
    check: Reconciliation,
    event,
    unique: np.ndarray,
    ids: np.ndarray,
    state: np.ndarray,
    by_event: dict,
    load_events: dict,
) -> None:
    """One event of the load against the action that reports it, before the replay applies the event."""
    if event.id not in by_event:
        check.flag("unreported", f"event {event.id} by {event.reviewer} ({event.result_count} results)")
        return
    report, action, requested = by_event[event.id]
    if report.name != event.reviewer:
        check.flag("unrecorded", f"{report.name} reports event {event.id}, recorded under {event.reviewer}")
    if action["moved"] != event.result_count:
        check.flag("moved", f"{report.name} moved {action['moved']}, event {event.id} lists {event.result_count}")
    if event.undoes_event_id is not None:
        target = load_events.get(event.undoes_event_id)
        if action["type"] != "undo_last" or target is None or target[2] != event.reviewer:
            check.flag(
                "undo",
                f"event {event.id} undoes event {event.undoes_event_id}, which is not an earlier "
                f"action of {event.reviewer} in this load (reported as {action['type']})",
            )
            return
        target_ids, put_in, _ = target
        still_there = target_ids[state[np.searchsorted(ids, target_ids)] == put_in]
        if not np.array_equal(still_there, unique):
            check.flag(
                "undo",
                f"event {event.id} moved {unique.size} results back, {still_there.size} were still "
                f"where event {event.undoes_event_id} put them",
            )
        return
    to_state = TARGET_STATES.get(action["type"])
    if (event.from_state, event.to_state) != (action["from_state"], to_state):
        check.flag(
            "lost",
            f"event {event.id} moved {event.from_state} → {event.to_state}, {report.name} asked "
            f"{action['from_state']} → {to_state}",
        )
        return
    asked = np.unique(requested)
    asked_pos = np.searchsorted(ids, asked)
    asked_in_job = (asked_pos < ids.size) & (ids[np.minimum(asked_pos, ids.size - 1)] == asked)
    asked, asked_pos = asked[asked_in_job], asked_pos[asked_in_job]
    due = asked[state[asked_pos] == STATE_CODES[action["from_state"]]]
    if not np.array_equal(due, unique):
        lost = np.setdiff1d(due, unique).size
        extra = np.setdiff1d(unique, due).size
        check.flag(
            "lost",
            f"event {event.id} ({report.name}): {lost} requested results in "
            f"{action['from_state']} did not move, {extra} moved that were not due",
        )


def _check_reports(check: Reconciliation, reports: Sequence[WorkerReport], by_event: dict, seen: set[int]) -> None:
    for event_id in sorted(set(by_event) - seen):
        check.flag("unrecorded", f"{by_event[event_id][0].name} reports event {event_id}, which the log lacks")
    moved = 0
    for report in reports:
        if not report.ok:
            check.flag(
                "workers",
                f"{report.name} exited with {report.returncode}" + ("" if report.actions else " and wrote no report"),
            )
        for action in report.actions:
            if action.get("error"):
                check.flag("errors", f"{report.name} {action['type']}: {action['error']}")
                continue
            moved += action["moved"]
            if action["event_id"] is None and action["moved"]:
                check.flag("moved", f"{report.name} moved {action['moved']} results without an event")
            if action["changed_elsewhere"] != action["requested"] - action["moved"]:
                check.flag(
                    "arithmetic",
                    f"{report.name}: requested {action['requested']}, moved "
                    f"{action['moved']}, changed elsewhere {action['changed_elsewhere']}",
                )
    if moved != check.load_moved:
        check.flag("totals", f"reviewers report {moved:,} results moved, the load's events list {check.load_moved:,}")


def _codes(ids: np.ndarray, state: str | None, by_state: dict[str, list[int]] | None) -> np.ndarray:
    """The state code of each of `ids` on one side of an event; -1 where the event names none."""
    codes = np.full(ids.size, -1, dtype=np.int8)
    if state is not None:
        codes[:] = STATE_CODES.get(state, -1)
        return codes
    for name, group in (by_state or {}).items():
        group = np.asarray(group, dtype=np.int64)
        at = np.searchsorted(ids, group)
        found = (at < ids.size) & (ids[np.minimum(at, ids.size - 1)] == group)
        codes[at[found]] = STATE_CODES.get(name, -1)
    return codes


def result_table(engine: Engine, job_id: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The job's result ids (ascending), their review states as codes and their reviewed_by."""
    with engine.connect() as conn:
        cursor = conn.connection.driver_connection.cursor()
        mark = "?" if conn.dialect.name == "sqlite" else "%s"
        try:
            cursor.execute(
                "SELECT r.id, COALESCE(s.state, 'pending'), s.reviewed_by FROM result r "
                f"LEFT JOIN reviewstate s ON s.result_id = r.id WHERE r.job_id = {mark} ORDER BY r.id",
                (job_id,),
            )
            rows = cursor.fetchall()
        finally:
            cursor.close()
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    states = np.fromiter((STATE_CODES.get(r[1], -1) for r in rows), dtype=np.int8, count=len(rows))
    reviewers = np.array([r[2] for r in rows], dtype=object)
    return ids, states, reviewers


def review_events(engine: Engine, job_id: int) -> Iterator:
    """The job's review events in id order, streamed."""
    table = models.ReviewEvent.__table__
    query = (
        select(
            table.c.id,
            table.c.reviewer,
            table.c.from_state,
            table.c.to_state,
            table.c.result_count,
            table.c.result_ids,
            table.c.from_states,
            table.c.to_states,
            table.c.undoes_event_id,
        )
        .where(table.c.job_id == job_id)
        .order_by(table.c.id)
    )
    with engine.connect() as conn:
        yield from conn.execution_options(stream_results=True, yield_per=200).execute(query)
