"""`review` (move the selected results of a job to a review state), `rework` (send rejected results back for
relabelling), `undo` and `events`."""

from __future__ import annotations

import argparse
import json

from core.auth.access import operator
from core.cli.common import Parents, default_reviewer, escaped
from core.domain.errors import BadInput
from core.domain.plural import plural
from core.domain.vocabulary import REVIEW_STATES
from core.store.ids import stored_id

CLASS_HELP = "expert review class, repeatable ((removed) for removed boxes)"


def register(sub, parents: Parents) -> None:
    store, as_json = parents.store, parents.json
    rev = sub.add_parser(
        "review", parents=[store, as_json], help="move the selected results of a job to a review state"
    )
    rev.add_argument("job_id", type=int)
    rev.add_argument("--to", dest="to_state", choices=REVIEW_STATES, required=True)
    rev.add_argument(
        "--from",
        dest="from_state",
        choices=REVIEW_STATES,
        help="only results in this state, the tab the reviewer looks at (default: any other state)",
    )
    rev.add_argument("--class", dest="classes", action="append", metavar="NAME", help=CLASS_HELP)
    rev.add_argument("--changed", choices=["true", "false"], help="Class Changed")
    rev.add_argument("--reviewer", default=default_reviewer(), help="recorded with the action (default: login name)")
    rev.add_argument("--reason")
    rev.set_defaults(func=cmd_review)

    rework = sub.add_parser(
        "rework",
        parents=[store, as_json],
        help="send rejected results back for relabelling: a new manual label job on their images",
    )
    rework.add_argument("job_id", type=int)
    rework.add_argument("--from", dest="from_state", choices=["rejected"], default="rejected")
    rework.add_argument("--class", dest="classes", action="append", metavar="NAME", help=CLASS_HELP)
    rework.add_argument("--name", required=True, help="the rework job's name")
    rework.add_argument("--reviewer", default=default_reviewer(), help="recorded as the sender (default: login name)")
    rework.set_defaults(func=cmd_rework)

    undo = sub.add_parser("undo", parents=[store, as_json], help="undo a reviewer's last review action on a job")
    undo.add_argument("job_id", type=int)
    undo.add_argument("--reviewer", required=True)
    undo.set_defaults(func=cmd_undo)

    events = sub.add_parser("events", parents=[store, as_json], help="a job's review events, newest first")
    events.add_argument("job_id", type=int)
    events.add_argument("--reviewer")
    events.add_argument("--limit", type=int)
    events.add_argument("--ids", action="store_true", help="with --json: each event's result ids too")
    events.set_defaults(func=cmd_events)


def cmd_review(args: argparse.Namespace) -> int:
    """Select results as the Visualize page does (core.review.selection: the filters over the results frame with
    its review states), then one review action on them."""
    from core.analysis.filters import ResultFilter
    from core.domain.vocabulary import REMOVED_ROW
    from core.jobs.lookup import get_job
    from core.jobs.summaries import spec_classes
    from core.review import decisions as review
    from core.review.selection import select_results
    from core.store.db import get_engine

    engine = get_engine(args.db)
    job = get_job(engine, args.job_id)
    classes = tuple(dict.fromkeys(args.classes or ()))
    known = [c.name for c in spec_classes(engine=engine, spec_id=job.spec_id)] + [REMOVED_ROW]
    unknown = [c for c in classes if c not in known]
    if unknown:
        raise BadInput(f"--class {', '.join(unknown)}: not a class of job {job.id} ({', '.join(known)})")
    if args.from_state == args.to_state:
        raise BadInput(f"--from and --to are both {args.to_state}: nothing would move")
    changed = None if args.changed is None else args.changed == "true"
    result_filter = ResultFilter(classes=classes, class_changed=changed)
    ids, selection = select_results(
        engine=engine,
        job=job,
        result_filter=result_filter,
        from_state=args.from_state,
        to_state=args.to_state,
        via="cli",
    )
    outcome = review.move(
        engine=engine,
        job_id=args.job_id,
        result_ids=ids,
        from_state=args.from_state,
        to_state=args.to_state,
        actor=operator(args.reviewer),
        reason=args.reason,
        selection=selection,
    )
    if args.json:
        print(
            json.dumps(
                {
                    "job_id": job.id,
                    "from": args.from_state,
                    "to": args.to_state,
                    "reviewer": args.reviewer,
                    **outcome_json(outcome),
                }
            )
        )
        return 0
    print(
        f"job {job.id}: moved {outcome.moved:,} of {outcome.requested:,} selected results "
        f"{args.from_state or 'any'} → {args.to_state}"
        + (f" (event {outcome.event_id})" if outcome.event_id else "")
        + (
            f"; {outcome.changed_elsewhere:,} had changed elsewhere, left as they are"
            if outcome.changed_elsewhere
            else ""
        )
    )
    return 0


def cmd_rework(args: argparse.Namespace) -> int:
    from core.jobs.rework import create_rework_job
    from core.store.db import get_engine

    made = create_rework_job(
        engine=get_engine(args.db),
        job_id=args.job_id,
        from_state=args.from_state,
        classes=args.classes,
        name=args.name,
        actor=operator(args.reviewer),
    )
    job = made.job
    if args.json:
        print(
            json.dumps(
                {
                    "id": job.id,
                    "name": job.name,
                    "status": job.status,
                    "origin_job_id": job.origin_job_id,
                    "images": job.image_count,
                    "results": made.results,
                    "already_sent_back": made.already_sent_back,
                }
            )
        )
    else:
        print(
            f"rework job {job.id} {job.name!r} ({job.tag}, {job.status}): {made.results:,} rejected results of "
            f"job {job.origin_job_id} on {plural(job.image_count, 'image')} sent back for relabelling"
            + (f"; {made.already_sent_back:,} already in a rework job, left out" if made.already_sent_back else "")
        )
    return 0


def cmd_undo(args: argparse.Namespace) -> int:
    from core.review import decisions as review
    from core.store.db import get_engine

    outcome = review.undo_last(engine=get_engine(args.db), job_id=args.job_id, actor=operator(args.reviewer))
    if args.json:
        print(json.dumps(None if outcome is None else {"job_id": args.job_id, **outcome_json(outcome)}))
        return 0
    if outcome is None:
        print(f"job {args.job_id}: {args.reviewer} has no review action left to undo")
        return 0
    print(
        f"job {args.job_id}: undid {args.reviewer}'s last action (event {outcome.event_id}): moved "
        f"{outcome.moved:,} of {plural(outcome.requested, 'result')} back"
        + (
            f"; {outcome.changed_elsewhere:,} had changed elsewhere since, left as they are"
            if outcome.changed_elsewhere
            else ""
        )
    )
    return 0


def cmd_events(args: argparse.Namespace) -> int:
    from core.review import decisions as review
    from core.store.db import get_engine

    events = review.list_events(
        engine=get_engine(args.db), job_id=args.job_id, reviewer=args.reviewer, limit=args.limit
    )
    undone_by = {e.undoes_event_id: stored_id(e) for e in events if e.undoes_event_id is not None}
    if args.json:
        detail = {"result_ids", "from_states", "to_states"}
        print(
            json.dumps(
                [
                    {
                        **e.model_dump(exclude=set() if args.ids else detail),
                        "created_at": e.created_at.isoformat(),
                        "undone_by": undone_by.get(stored_id(e)),
                    }
                    for e in events
                ],
                indent=2,
            )
        )
        return 0
    for e in events:
        notes = [f"“{escaped(e.reason)}”"] if e.reason else []
        notes += [f"undoes {e.undoes_event_id}"] if e.undoes_event_id else []
        notes += [f"undone by {undone_by[e.id]}"] if e.id in undone_by else []
        print(
            f"{e.id:>6}  {e.created_at:%Y-%m-%d %H:%M:%S}  {e.reviewer:<12} {e.from_state or 'mixed':>8} → "
            f"{e.to_state or 'mixed':<8} {plural(e.result_count, 'result'):>18}  {'  '.join(notes)}".rstrip()
        )
    return 0


def outcome_json(outcome) -> dict:
    return {
        "event_id": outcome.event_id,
        "requested": outcome.requested,
        "moved": outcome.moved,
        "changed_elsewhere": outcome.changed_elsewhere,
    }
