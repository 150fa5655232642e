"""The event log of a job replayed against its review states, through the services the pages use (review events,
review_states): for the browser load bench and the two-replica e2e test, which act through the UI and so report no
requested ids (bench/load_reconcile.py checks those, for the reviewer processes of make bench-load)."""

from __future__ import annotations

from sqlalchemy import Engine, text

from core.analysis.results_frame import review_states
from core.review import decisions as review
from core.review.history import move_of


def replay_problems(engine: Engine, job_id: int) -> tuple[list, list[str]]:
    """(the job's events oldest first, what is wrong). Replaying them in id order from all-pending, each move must
    leave the state the replay has the result in (nothing decided twice), no event may list a result twice, the
    replay must end in the store's states, and review_revision must count the events."""
    events = list(reversed(review.list_events(engine=engine, job_id=job_id)))
    problems: list[str] = []
    if [e.id for e in events] != sorted(e.id for e in events):
        problems.append("events are not listed in id order")
    replay: dict[int, str] = {}
    for event in events:
        if not event.result_count == len(event.result_ids) == len(set(event.result_ids)):
            problems.append(
                f"event {event.id}: result_count {event.result_count}, {len(event.result_ids)} ids, "
                f"{len(set(event.result_ids))} distinct"
            )
        for result_id in event.result_ids:
            left, reached = move_of(event, result_id)
            if replay.get(result_id, "pending") != left:
                problems.append(
                    f"event {event.id} ({event.reviewer}) moved result {result_id} from {left}, the "
                    f"log has it {replay.get(result_id, 'pending')}"
                )
            replay[result_id] = reached
    decided = {i: s for i, s in replay.items() if s != "pending"}
    stored = {i: str(s) for i, s in review_states(engine, job_id).select("result_id", "review_state").iter_rows()}
    differs = sorted(set(decided.items()) ^ set(stored.items()))
    if differs:
        problems.append(
            f"{len({i for i, _ in differs})} results whose state differs from the replayed log, e.g. "
            f"result {differs[0][0]}: log {decided.get(differs[0][0], 'pending')}, store "
            f"{stored.get(differs[0][0], 'pending')}"
        )
    with engine.connect() as conn:
        revision = conn.execute(text("SELECT review_revision FROM labeljob WHERE id = :j"), {"j": job_id}).scalar()
    if revision != len(events):
        problems.append(f"review_revision {revision}, {len(events)} events")
    return events, problems
