"""One reviewer of the load test (bench/load.py), in a process of its own. Writes its report to OUT (JSON) and the
ids it asked for to OUT with the suffix .npz.

    python -m bench.load_worker DB_URL JOB_ID --name load-1 --out FILE [--seed 0] [--duration 60 | --actions N]

It acts as the Visualize page's review bar does: it holds the job's frame with the review states it last read
(`review_states` + `with_states`), picks a slice (a contiguous id range, a class or a change kind; often inside a
"hot" part of the job that every reviewer returns to, so their slices overlap), takes the ids its view shows in one
state and moves them to another with `from_state` as seen, so results that changed elsewhere since stay put. Now and
then it undoes its last action. Its view is refreshed after an action only sometimes (--refresh-rate): the rest of
the time it acts on a stale view, as a reviewer does who has not reloaded the page.

Protocol with the driver: after loading the frame it prints `ready` and waits for a line on stdin (the start
signal), so every reviewer starts at the same moment and frame loading is not counted.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import polars as pl

from core.analysis import queries
from core.analysis.results_frame import load_results, review_states
from core.auth.access import Actor, Role
from core.domain.vocabulary import REVIEW_STATES
from core.jobs.lookup import get_job
from core.review import decisions as review
from core.store.db import get_engine

SLICE_KINDS = ("range", "class", "change_kind")
SLICE_WEIGHTS = (0.5, 0.25, 0.25)
# Most review work starts from the Pending Review tab; the other tabs are revisited to correct decisions.
FROM_WEIGHTS = {"pending": 0.6, "accepted": 0.2, "rejected": 0.2}
ACTIONS: dict[str, Callable[..., review.ReviewOutcome]] = {
    "accepted": review.accept,
    "rejected": review.reject,
    "pending": review.move_to_pending,
}
ACTION_NAMES = {"accepted": "accept", "rejected": "reject", "pending": "move_to_pending"}
ACTION_TYPES = (*ACTION_NAMES.values(), "undo_last")
MAX_CONSECUTIVE_ERRORS = 20
FRAME_COLUMNS = ["result_id", "class_row", "change_kind"]


class Reviewer:
    def __init__(
        self,
        *,
        engine,
        job_id: int,
        actor: Actor,
        rng: random.Random,
        frame: pl.DataFrame,
        min_slice: int,
        max_slice: int,
        hot_share: float,
        hot_fraction: float,
    ) -> None:
        self.engine, self.job_id, self.actor, self.rng = engine, job_id, actor, rng
        self.frame = frame
        self.min_slice, self.max_slice = min_slice, max_slice
        self.hot_share = hot_share
        self.hot_results = max(1, int(frame.height * hot_fraction))
        self.classes = frame["class_row"].unique().sort().to_list()
        self.kinds = frame["change_kind"].unique().sort().to_list()
        self.view = frame
        self.refresh()

    def refresh(self) -> float:
        """What the page does after an action: the narrow state query merged into the cached frame."""
        started = time.perf_counter()
        self.view = queries.with_states(self.frame, review_states(self.engine, self.job_id))
        return time.perf_counter() - started

    def pick(self) -> tuple[str, str, dict, list[int]] | None:
        """(slice kind, from_state, selection, ids in from_state as the view shows them), or None if empty."""
        kind = self.rng.choices(SLICE_KINDS, SLICE_WEIGHTS)[0]
        from_state = self.rng.choices(list(FROM_WEIGHTS), list(FROM_WEIGHTS.values()))[0]
        size = self.rng.randint(self.min_slice, self.max_slice)
        hot = self.rng.random() < self.hot_share
        in_state = pl.col("review_state") == from_state
        if kind == "range":
            # `size` consecutive results of the job (in id order), those in from_state taken.
            span = self.hot_results if hot else self.view.height
            start = self.rng.randrange(max(1, span - size + 1)) if span > size else 0
            window = self.view.slice(start, size)
            ids = window.filter(in_state)["result_id"]
            selection = {
                "slice": "range",
                "first_id": int(window["result_id"][0]),
                "last_id": int(window["result_id"][-1]),
            }
        else:
            column, values = ("class_row", self.classes) if kind == "class" else ("change_kind", self.kinds)
            value = self.rng.choice(values)
            ids = self.view.filter(in_state & (pl.col(column) == value))["result_id"]
            # A big slice is taken a window at a time, as a reviewer works through a long tab; hot windows start at
            # the head of the slice, where every reviewer starts.
            if ids.len() > size:
                start = 0 if hot else self.rng.randrange(ids.len() - size + 1)
                ids = ids.slice(start, size)
            selection = {"slice": kind, column: value}
        if ids.is_empty():
            return None
        selection |= {"tab": from_state, "hot": hot, "load": self.actor.name}
        return kind, from_state, selection, ids.to_list()

    def act(self, from_state: str, ids: Sequence[int], selection: dict) -> tuple[str, review.ReviewOutcome]:
        to_state = self.rng.choice([s for s in REVIEW_STATES if s != from_state])
        outcome = ACTIONS[to_state](
            engine=self.engine,
            job_id=self.job_id,
            result_ids=ids,
            from_state=from_state,
            actor=self.actor,
            selection=selection,
        )
        return ACTION_NAMES[to_state], outcome

    def undo(self) -> review.ReviewOutcome | None:
        return review.undo_last(engine=self.engine, job_id=self.job_id, actor=self.actor)


def run(args: argparse.Namespace) -> int:
    engine = get_engine(args.db)
    actor = Actor(name=args.name, role=Role.REVIEWER)
    rng = random.Random(f"{args.seed}/{args.name}")
    started = time.perf_counter()
    frame = load_results(engine, get_job(engine, args.job_id), columns=FRAME_COLUMNS)
    reviewer = Reviewer(
        engine=engine,
        job_id=args.job_id,
        actor=actor,
        rng=rng,
        frame=frame,
        min_slice=args.min_slice,
        max_slice=args.max_slice,
        hot_share=args.hot_share,
        hot_fraction=args.hot_fraction,
    )
    load_s = time.perf_counter() - started

    print("ready", flush=True)
    if not sys.stdin.readline():  # the driver went away
        return 1

    actions: list[dict] = []
    requested: list[np.ndarray] = []
    refreshes: list[float] = []
    empty_picks = 0
    errors_in_a_row = 0
    begin = time.perf_counter()
    deadline = begin + args.duration if args.actions is None else float("inf")
    limit = args.actions if args.actions is not None else sys.maxsize
    while len(actions) < limit and time.perf_counter() < deadline:
        record: dict = {"i": len(actions), "t_s": time.perf_counter() - begin}
        ids: list[int] = []
        t0: float | None = None
        try:
            if actions and rng.random() < args.undo_rate:
                record |= {"type": "undo_last", "slice": None, "from_state": None}
                t0 = time.perf_counter()
                outcome = reviewer.undo()
                record["latency_s"] = time.perf_counter() - t0
            else:
                picked = reviewer.pick()
                if picked is None:
                    empty_picks += 1
                    if empty_picks % 50 == 0:  # the view may be all of one state: look again
                        refreshes.append(reviewer.refresh())
                    continue
                kind, from_state, selection, ids = picked
                record |= {"slice": kind, "from_state": from_state}
                t0 = time.perf_counter()
                record["type"], outcome = reviewer.act(from_state, ids, selection)
                record["latency_s"] = time.perf_counter() - t0
            errors_in_a_row = 0
        except Exception as problem:  # noqa: BLE001 -- recorded, not fatal: the driver reports every failed action
            message = str(problem).strip().splitlines()
            record |= {
                "latency_s": time.perf_counter() - t0 if t0 is not None else 0.0,
                "error": f"{type(problem).__name__}: {message[0][:300] if message else ''}",
            }
            record.setdefault("type", "unknown")
            outcome = None
            errors_in_a_row += 1
            traceback.print_exc(limit=3, file=sys.stderr)
        record |= {
            "requested": outcome.requested if outcome else len(ids),
            "moved": outcome.moved if outcome else 0,
            "changed_elsewhere": outcome.changed_elsewhere if outcome else 0,
            "event_id": outcome.event_id if outcome else None,
        }
        actions.append(record)
        requested.append(np.asarray(ids if record["type"] != "undo_last" else [], dtype=np.int64))
        if errors_in_a_row >= MAX_CONSECUTIVE_ERRORS:
            print(f"[{args.name}] {errors_in_a_row} failed actions in a row: stopping", file=sys.stderr, flush=True)
            break
        if rng.random() < args.refresh_rate:
            refreshes.append(reviewer.refresh())
        if args.think_ms:
            time.sleep(rng.uniform(0, 2 * args.think_ms) / 1000)
    elapsed = time.perf_counter() - begin

    out = Path(args.out)
    offsets = np.cumsum([0, *(len(r) for r in requested)], dtype=np.int64)
    np.savez(
        out.with_suffix(".npz"), ids=np.concatenate(requested) if requested else np.empty(0, np.int64), offsets=offsets
    )
    out.write_text(
        json.dumps(
            {
                "name": args.name,
                "job_id": args.job_id,
                "frame_results": frame.height,
                "frame_load_s": load_s,
                "elapsed_s": elapsed,
                "empty_picks": empty_picks,
                "refresh_s": refreshes,
                "actions": actions,
            }
        ),
        encoding="utf-8",
    )
    return 0


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.load_worker", description=__doc__.splitlines()[0])
    parser.add_argument("db")
    parser.add_argument("job_id", type=int)
    parser.add_argument("--name", required=True, help="the reviewer's name, recorded with its review events")
    parser.add_argument("--out", required=True, help="report file (JSON); the requested ids go beside it (.npz)")
    parser.add_argument("--seed", default="0")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of actions (default 60)")
    parser.add_argument("--actions", type=int, help="stop after this many actions instead of after --duration")
    parser.add_argument("--min-slice", type=int, default=100)
    parser.add_argument("--max-slice", type=int, default=20_000)
    parser.add_argument("--undo-rate", type=float, default=0.05)
    parser.add_argument("--refresh-rate", type=float, default=0.5)
    parser.add_argument("--hot-share", type=float, default=0.5, help="share of slices taken in the hot part")
    parser.add_argument("--hot-fraction", type=float, default=0.05, help="the hot part: this share of the job")
    parser.add_argument("--think-ms", type=float, default=0.0, help="mean pause between actions (default none)")
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(run(parse_args()))
