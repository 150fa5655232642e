"""Runs in a child process of the bench: one bulk review action on a large job, as the review bar takes it.
Prints one JSON object.

    python -m bench.review_child DB_URL JOB_ID [--results 500000]

Holds the job's frame with its review states as the Visualize page does, takes the first N pending results of it
(the Pending Review tab, unfiltered), and times `review.accept` alone: the bulk load of the ids, the conditional
UPDATE and the review event, in one transaction. Then times what the page does next: `review_states` plus
`with_states` over the cached frame (the job is not reloaded). Last, undoes the action (timed too), which leaves
the job as it was.
"""

from __future__ import annotations

import argparse
import json
import time

import polars as pl

from core.analysis import queries
from core.analysis.results_frame import load_results, review_states
from core.auth.access import Actor, Role
from core.jobs.lookup import get_job
from core.review import decisions as review
from core.store.db import get_engine

BENCH = Actor(name="bench", role=Role.REVIEWER)


def bench_review(url: str, job_id: int, results: int) -> dict:
    engine = get_engine(url)
    frame = load_results(engine, get_job(engine, job_id))
    shown = queries.with_states(frame, review_states(engine, job_id))
    ids = shown.filter(pl.col("review_state") == "pending")["result_id"].head(results).to_list()

    started = time.perf_counter()
    outcome = review.accept(
        engine=engine, job_id=job_id, result_ids=ids, from_state="pending", actor=BENCH, selection={"tab": "pending"}
    )
    move_s = time.perf_counter() - started

    started = time.perf_counter()
    refreshed = queries.with_states(frame, review_states(engine, job_id))
    refresh_s = time.perf_counter() - started
    accepted = queries.tab_counts(refreshed)["accepted"]
    if outcome.moved != len(ids) or accepted < outcome.moved:
        raise RuntimeError(f"moved {outcome.moved:,} of {len(ids):,}; the refreshed frame shows {accepted:,} accepted")

    started = time.perf_counter()
    undo = review.undo_last(engine=engine, job_id=job_id, actor=BENCH)
    undo_s = time.perf_counter() - started
    return {
        "requested": outcome.requested,
        "moved": outcome.moved,
        "move_s": move_s,
        "refresh_s": refresh_s,
        "accepted_after": accepted,
        "undo_moved": undo.moved if undo else 0,
        "undo_s": undo_s,
        "job_results": frame.height,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.review_child")
    parser.add_argument("db_url")
    parser.add_argument("job_id", type=int)
    parser.add_argument("--results", type=int, default=500_000)
    args = parser.parse_args()
    print(json.dumps(bench_review(args.db_url, args.job_id, args.results)))
