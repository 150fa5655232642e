"""Review actions: move results between review states, one set-based conditional statement per state left and one
review event per action, and undo a reviewer's last action. Each function owns its transaction.

Where decisions live. A result that is not pending has a row in the narrow reviewstate table (models.ReviewState);
a pending one has none. Leaving pending inserts rows, returning to it deletes them, and accepted ↔ rejected updates
them: a bulk action writes a few bytes per result and two small indexes, never the wide result row.

Concurrency. The reviewer acted on what their page showed, which may be stale: a result moves only if it is still
in the state the reviewer saw (`from_state`), so two reviewers acting on overlapping slices never both decide the
same result, and the one who comes second is told how many had changed elsewhere. Review transactions of a job
also queue behind each other: SQLite takes its write lock up front (db.write_transaction), PostgreSQL locks the
job's row first. Without that, two PostgreSQL UPDATEs locking overlapping rows in different orders could deadlock,
and an undo could pick an event another undo is undoing; with it, event ids follow commit order, so replaying a
job's events in id order gives its review states.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict, Unpack

import polars as pl
from sqlalchemy import Engine, exists
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from core.auth.access import Actor, Permission, require
from core.domain.errors import BadInput, NotFound
from core.domain.vocabulary import REVIEW_STATES, ReviewState
from core.jobs.summaries import lock_job
from core.ops.logs import log_event
from core.review.state_statements import distinct_ids, drop_action_ids, load_action_ids, record_event, update_states
from core.store import models
from core.store.db import write_transaction

log = logging.getLogger("labeldeck.review")


@dataclass(frozen=True)
class ReviewOutcome:
    # None when move() moved nothing (no event is recorded then). An undo always records its event, even when
    # every result had changed since, so that the next undo goes one action further back.
    event_id: int | None
    requested: int  # distinct ids the reviewer acted on
    moved: int  # results that moved
    changed_elsewhere: int  # requested - moved: no longer in the state the reviewer saw, or not of this job


def move(
    *,
    engine: Engine,
    job_id: int,
    result_ids: Sequence[int],
    from_state: str | None,
    to_state: str,
    actor: Actor,
    reason: str | None = None,
    selection: dict[str, Any] | None = None,
) -> ReviewOutcome:
    """Move the job's results among `result_ids` that are in `from_state` (None: in any state but `to_state`) to
    `to_state`, recording one review event of the moved ids under the actor's name."""
    reviewer = require(actor, Permission.REVIEW, to=f"move results to {to_state}")
    _check_state("to_state", to_state)
    if from_state is not None:
        _check_state("from_state", from_state)
        if from_state == to_state:
            raise BadInput(f"from_state and to_state are both {str(to_state)!r}: nothing would move")
    _check_json("selection", selection)
    ids = distinct_ids(result_ids)
    # Each state left is its own conditional UPDATE, so the event knows which state every moved result left
    # (RETURNING gives new values only) and an undo can send each one back exactly.
    sources = [from_state] if from_state is not None else [s for s in REVIEW_STATES if s != to_state]
    started = time.perf_counter()
    with write_transaction(engine) as session:
        _locked_job(session, job_id)
        if ids.is_empty():
            return ReviewOutcome(event_id=None, requested=0, moved=0, changed_elsewhere=0)
        now = models.utcnow()
        load_action_ids(session, ids)
        moved = {
            s: update_states(session, job_id=job_id, from_state=s, to_state=to_state, reviewer=reviewer, now=now)
            for s in sources
        }
        moved = {s: found for s, found in moved.items() if found}
        count = sum(len(found) for found in moved.values())
        if not count:
            drop_action_ids(session)
            return ReviewOutcome(event_id=None, requested=ids.len(), moved=0, changed_elsewhere=ids.len())
        event = record_event(
            session,
            job_id=job_id,
            reviewer=reviewer,
            now=now,
            left=moved,
            reached={to_state: []},
            reason=reason,
            selection=selection or {},
        )
    outcome = ReviewOutcome(event_id=event.id, requested=ids.len(), moved=count, changed_elsewhere=ids.len() - count)
    _log(
        "review.move",
        outcome,
        started,
        job_id=job_id,
        reviewer=reviewer,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
    )
    return outcome


class ReviewAction(TypedDict):
    """The keywords of accept, reject and move_to_pending: move's, but the state the results go to."""

    engine: Engine
    job_id: int
    result_ids: Sequence[int]
    from_state: str | None
    actor: Actor
    reason: NotRequired[str | None]
    selection: NotRequired[dict[str, Any] | None]


def accept(**action: Unpack[ReviewAction]) -> ReviewOutcome:
    return move(**action, to_state=ReviewState.ACCEPTED)


def reject(**action: Unpack[ReviewAction]) -> ReviewOutcome:
    return move(**action, to_state=ReviewState.REJECTED)


def move_to_pending(**action: Unpack[ReviewAction]) -> ReviewOutcome:
    return move(**action, to_state=ReviewState.PENDING)


def undo_last(*, engine: Engine, job_id: int, actor: Actor) -> ReviewOutcome | None:
    """Undo the reviewer's last action on the job that is not undone yet: its results that are still where it put
    them go back to where they were; the others (moved since by someone) are counted as changed elsewhere.
    Undos themselves are not actions one can undo: calling this again undoes the action before, and so on back.
    None when the reviewer has nothing left to undo on the job."""
    reviewer = require(actor, Permission.REVIEW, to="undo a review action")
    started = time.perf_counter()
    with write_transaction(engine) as session:
        _locked_job(session, job_id)
        target = _last_undoable(session, job_id=job_id, reviewer=reviewer)
        if target is None:
            return None
        assert target.to_state is not None  # only undos reach several states, and they are never undone
        back_to = target.from_states if target.from_state is None else {target.from_state: target.result_ids}
        now = models.utcnow()
        moved: dict[str, list[int]] = {}
        for state, ids in (back_to or {}).items():
            load_action_ids(session, pl.Series("id", ids, dtype=pl.Int64))
            found = update_states(
                session, job_id=job_id, from_state=target.to_state, to_state=state, reviewer=reviewer, now=now
            )
            if found:
                moved[state] = found
        # Nothing left to move still records the undo (with the states it meant to restore): the action is undone.
        event = record_event(
            session,
            job_id=job_id,
            reviewer=reviewer,
            now=now,
            left={target.to_state: []},
            reached=moved or {state: [] for state in back_to or {}},
            undoes=target.id,
        )
    count = sum(len(found) for found in moved.values())
    outcome = ReviewOutcome(
        event_id=event.id, requested=target.result_count, moved=count, changed_elsewhere=target.result_count - count
    )
    _log("review.undo", outcome, started, job_id=job_id, reviewer=reviewer, undoes_event_id=target.id)
    return outcome


def move_for_rework(
    session: Session,
    *,
    job_id: int,
    moves: Sequence[tuple[str, str, Sequence[int]]],
    reviewer: str,
    rework_job_id: int,
    reason: str,
) -> dict[str, list[int]]:
    """In the rework service's transaction, which holds the job's lock: move each (from state, to state, ids) group
    of the job's results that are still in its from state (the same state again is allowed: the event then only
    records that the results were sent back), and record one event linked to the rework job. Returns the ids that
    moved by from state. No event when nothing moved."""
    now = models.utcnow()
    left: dict[str, list[int]] = {}
    reached: dict[str, list[int]] = {}
    for from_state, to_state, ids in moves:
        load_action_ids(session, distinct_ids(ids))
        found = update_states(
            session, job_id=job_id, from_state=from_state, to_state=to_state, reviewer=reviewer, now=now
        )
        if found:
            left.setdefault(from_state, []).extend(found)
            reached.setdefault(to_state, []).extend(found)
    if not left:
        drop_action_ids(session)
        return {}
    record_event(
        session,
        job_id=job_id,
        reviewer=reviewer,
        now=now,
        left=left,
        reached=reached,
        reason=reason,
        selection={"rework_job_id": rework_job_id},
        rework_job_id=rework_job_id,
    )
    return left


def list_events(
    *, engine: Engine, job_id: int, reviewer: str | None = None, to_state: str | None = None, limit: int | None = None
) -> list[models.ReviewEvent]:
    """The job's review events, newest first."""
    if to_state is not None:
        _check_state("to_state", to_state)
    if limit is not None and limit < 1:
        raise BadInput(f"limit {limit}: give a positive number of events")
    query = select(models.ReviewEvent).where(models.ReviewEvent.job_id == job_id)
    if reviewer is not None:
        query = query.where(models.ReviewEvent.reviewer == reviewer)
    if to_state is not None:
        query = query.where(models.ReviewEvent.to_state == to_state)
    query = query.order_by(col(models.ReviewEvent.id).desc()).limit(limit)
    with Session(engine) as session:
        if session.get(models.LabelJob, job_id) is None:
            raise NotFound(f"job {job_id} not found")
        return list(session.exec(query).all())


def _log(event: str, outcome: ReviewOutcome, started: float, **fields: Any) -> None:
    """After the commit: the audit trail is the review event table; this is for operators watching the logs."""
    log_event(
        log,
        event,
        **fields,
        event_id=outcome.event_id,
        requested=outcome.requested,
        moved=outcome.moved,
        changed_elsewhere=outcome.changed_elsewhere,
        duration_ms=round((time.perf_counter() - started) * 1000),
    )


# ---- the steps of an action, inside its transaction --------------------------------------------------------------


def _locked_job(session: Session, job_id: int) -> models.LabelJob:
    """The job, its row locked on PostgreSQL until commit (SQLite's transaction holds the write lock already)."""
    job = lock_job(session, job_id)
    if not job.is_reviewable:
        raise BadInput(
            f"job {job_id} ({job.name}, {job.tag}, {job.status}) has no results to review: only READY "
            "manual label jobs do"
        )
    return job


def _last_undoable(session: Session, *, job_id: int, reviewer: str) -> models.ReviewEvent | None:
    event, undo = models.ReviewEvent, aliased(models.ReviewEvent)
    return session.exec(
        select(event)
        .where(
            event.job_id == job_id,
            event.reviewer == reviewer,
            col(event.undoes_event_id).is_(None),
            # Sending back and bringing back rework changes labels, not decisions: no undo reverts it.
            col(event.rework_job_id).is_(None),
            ~exists().where(col(undo.undoes_event_id) == event.id),
        )
        .order_by(col(event.id).desc())
        .limit(1)
    ).first()


# ---- checks before any write ---------------------------------------------------------------------------------------


def _check_state(name: str, state: str) -> None:
    if state not in REVIEW_STATES:
        raise BadInput(f"{name} {state!r}: a review state is one of {', '.join(REVIEW_STATES)}")


def _check_json(name: str, value: Any) -> None:
    try:
        json.dumps(value)
    except (TypeError, ValueError) as problem:
        raise BadInput(f"{name}: must be JSON (it is stored with the review event): {problem}") from None
