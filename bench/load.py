"""LabelDeck load test: several reviewer processes accept and reject overlapping slices of one big job at once;
then the event log must reconcile exactly with the review states.

    python -m bench.load [--db URL] [--workers 4] [--duration 60 | --actions N] [--images 100000] [--job-id ID]
                         [--bulk-review]

Without --job-id it generates the benchmark's synthetic 1M-result detection job and imports it through the CLI,
as bench/run.py does (its functions). Each reviewer is a `python -m bench.load_worker` process (at most
MAX_WORKERS); all start together once their frames are loaded. Afterwards bench/load_reconcile.py replays every
review event of the job and checks it against the store and the reviewers' reports, and bench/load_report.py writes
throughput, latency percentiles and the checks to this backend's section of bench/REPORT.md. With --bulk-review,
bench.run's single review action (500k results accepted, then undone) is timed on the job before and after the
load. Exit code 1 when a check fails (the report says FAIL), a reviewer process fails, or the job's log did not
reconcile before the load.
"""

from __future__ import annotations

import argparse
import os
import secrets
import selectors
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from bench.context import REPO_ROOT, BenchContext, db_kind, display_command, log
from bench.load_reconcile import WorkerReport, baseline, read_worker_report, reconcile
from bench.load_report import load_section, store_note, update_report
from bench.measure import CommandFailed
from bench.report import format_value, machine_info
from bench.run_sections import bench_generate, bench_import, bench_review
from bench.synth import SynthSpec
from core.store.db import get_engine

MAX_WORKERS = 8
DEFAULT_WORKERS = 4
READY_TIMEOUT_S = 600.0  # the first reviewer builds the job's results frame from the store


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    started = datetime.now(UTC)
    args.workdir.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="load-", dir=args.workdir))
    db_url = args.db or f"sqlite:///{workdir / 'bench.db'}"
    env = {**os.environ, "LABELDECK_DATA_DIR": str(workdir / "data")}
    ctx = BenchContext(python=args.python, db_url=db_url, workdir=workdir, env=env, job_name=args.job_name)
    log(f"work dir {workdir}")
    run_notes: list[str] = []
    try:
        if ensure_database(db_url):
            run_notes.append(f"database {make_url(db_url).database} created by this run")
        if args.job_id is None:
            spec = SynthSpec(images=args.images, boxes_per_image=args.boxes_per_image, seed=args.seed)
            bench_generate(ctx, spec)
            imported = bench_import(ctx)
            import_s = next(m.value for m in imported.measurements if m.name == "import wall time")
            run_notes.append(
                f"job imported by `python -m core import --skip-image-check` in {import_s:.1f} s "
                f"({args.images:,} images × {args.boxes_per_image:g} boxes, seed {args.seed})"
            )
        else:
            ctx.job_id = args.job_id
            run_notes.append(f"existing job {args.job_id} (--job-id), its earlier review history kept")
    except CommandFailed as failure:
        log(f"FAILED (exit code {failure.run.returncode}): {display_command(failure.run.argv, db_url)}")
        log(f"report not written; inputs kept in {workdir}")
        return 1

    engine = get_engine(db_url)
    job_id = int(ctx.job_id)
    before = reconcile(engine, job_id)
    if not before.ok:
        log(
            f"FAILED: job {job_id}'s review states do not match its event log before the load (changed outside "
            "review events, e.g. by bench.export_child's untimed UPDATE); use a freshly imported job"
        )
        for example in before.examples:
            log(f"  {example}")
        return 1
    log(f"job {job_id}: {before.results:,} results, {before.events:,} earlier events reconcile")
    if args.bulk_review:
        run_notes.append(time_bulk_review(ctx, "before the load"))
    since = baseline(engine, job_id)
    if settled := settle(engine):
        run_notes.append(settled)

    machine = machine_info(db_kind=_database_kind(engine, db_url), repo_root=REPO_ROOT)  # its load average: now
    tag = secrets.token_hex(2)
    names = [f"load{i + 1}-{tag}" for i in range(args.workers)]
    try:
        reports, wall_s = run_workers(ctx, job_id=job_id, names=names, args=args)
    except RuntimeError as problem:  # a reviewer never got ready: no load ran
        log(f"FAILED: {problem}; report not written, work dir kept: {workdir}")
        return 1
    run_notes.append(store_note(engine))  # now: the bulk review after the load leaves dead rows of its own
    log(f"load done in {wall_s:.1f} s; reconciling")
    t0 = time.perf_counter()
    check = reconcile(engine, job_id, since=since, reports=reports)
    reconcile_s = time.perf_counter() - t0
    log(
        f"reconciliation {'PASS' if check.ok else 'FAIL'} in {reconcile_s:.1f} s: {check.events:,} events replayed "
        f"over {check.results:,} results"
    )
    for example in check.examples:
        log(f"  {example}")
    if args.bulk_review:
        run_notes.append(time_bulk_review(ctx, "after the load"))

    command = display_command(["python", "-m", "bench.load", *(sys.argv[1:] if argv is None else argv)], db_url)
    section = load_section(
        args=args,
        command=command,
        engine=engine,
        job_id=job_id,
        reports=reports,
        check=check,
        wall_s=wall_s,
        reconcile_s=reconcile_s,
        started=started,
        machine=machine,
        run_notes=run_notes,
    )
    out = args.out if args.out is not None else REPO_ROOT / "bench" / "REPORT.md"
    update_report(out, engine.dialect.name, section)
    log(f"report section load:{engine.dialect.name} written to {out}")

    if args.keep or not check.ok:
        log(f"kept {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0 if check.ok else 1


def time_bulk_review(ctx: BenchContext, when: str) -> str:
    """bench.run's review action on the job (`python -m bench.review_child`: up to 500k pending results accepted in
    one action, the page's refresh, the undo), as a note for the report."""
    try:
        section = bench_review(ctx)
    except CommandFailed as failure:
        log(f"bulk review {when} FAILED (exit code {failure.run.returncode})")
        return f"bench.run's review action {when} failed with exit code {failure.run.returncode}"
    timings = "; ".join(
        f"{m.name}: {format_value(m.value)} {m.unit}"
        + (f" (bench.run's target < {format_value(m.target)} {m.unit})" if m.target is not None else "")
        for m in section.measurements
    )
    return f"bench.run's review action {when} (`python -m bench.review_child`, on this job): {timings}"


def run_workers(
    ctx: BenchContext, *, job_id: int, names: Sequence[str], args: argparse.Namespace
) -> tuple[list[WorkerReport], float]:
    """Start the reviewers, the first alone (it builds the job's frame cache the others read), release them together
    and wait. Returns their reports and the wall time from the start signal to the last one's exit."""
    common = [
        "--seed",
        str(args.seed),
        "--min-slice",
        str(args.min_slice),
        "--max-slice",
        str(args.max_slice),
        "--undo-rate",
        str(args.undo_rate),
        "--refresh-rate",
        str(args.refresh_rate),
        "--hot-share",
        str(args.hot_share),
        "--hot-fraction",
        str(args.hot_fraction),
        "--think-ms",
        str(args.think_ms),
    ]
    common += ["--actions", str(args.actions)] if args.actions is not None else ["--duration", str(args.duration)]
    outs = [ctx.workdir / f"{name}.json" for name in names]
    processes: list[subprocess.Popen] = []
    try:
        for name, out in zip(names, outs, strict=True):
            argv = [
                ctx.python,
                "-m",
                "bench.load_worker",
                ctx.db_url,
                str(job_id),
                "--name",
                name,
                "--out",
                str(out),
                *common,
            ]
            if not processes:
                log(f"$ {display_command(argv, ctx.db_url)} (and {len(names) - 1} more)")
            processes.append(
                subprocess.Popen(
                    argv, cwd=REPO_ROOT, env=ctx.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
                )
            )
            if len(processes) == 1:
                _await_ready(processes[:1], READY_TIMEOUT_S)
        _await_ready(processes[1:], READY_TIMEOUT_S)
        log(f"{len(processes)} reviewers ready: go")
        go = time.perf_counter()
        for process in processes:
            process.stdin.write("go\n")
            process.stdin.close()
        limit = args.timeout if args.actions is not None else args.duration + max(120.0, args.duration)
        for process in processes:
            try:
                process.wait(timeout=max(1.0, go + limit - time.perf_counter()))
            except subprocess.TimeoutExpired:
                log(f"reviewer pid {process.pid} still running after {limit:.0f} s: killing it")
                process.kill()
                process.wait()
        wall_s = time.perf_counter() - go
    finally:
        for process in processes:  # only our own children, by pid
            if process.poll() is None:
                process.kill()
                process.wait()
    reports = [
        read_worker_report(out, name=name, returncode=process.returncode)
        for name, out, process in zip(names, outs, processes, strict=True)
    ]
    return reports, wall_s


def _await_ready(processes: Sequence[subprocess.Popen], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    for process in processes:
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ)
            if not selector.select(timeout=max(0.0, deadline - time.monotonic())):
                raise RuntimeError(f"reviewer pid {process.pid} not ready after {timeout_s:.0f} s")
        line = process.stdout.readline().strip()
        if line != "ready":
            process.wait()
            raise RuntimeError(f"reviewer pid {process.pid} exited with {process.returncode} before it was ready")


def ensure_database(url: str) -> bool:
    """Create the PostgreSQL database the URL names when it does not exist yet (the bench's own, not `test`).
    True when it did."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return False
    probe = create_engine(parsed)
    try:
        with probe.connect():
            return False
    except OperationalError as problem:
        if "does not exist" not in str(problem):
            raise
    finally:
        probe.dispose()
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            name = parsed.database.replace('"', '""')
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        log(f"created database {parsed.database}")
    finally:
        admin.dispose()
    return True


def settle(engine: Engine) -> str | None:
    """Untimed, before the load, on PostgreSQL: VACUUM ANALYZE the result table, so that the load starts from the
    same state whatever came before it (earlier loads and bulk reviews leave dead rows, and autovacuum may be off or
    late), then CHECKPOINT, so that the import and the vacuum are written out now rather than during the load.
    Returns what it did, for the report."""
    if engine.dialect.name != "postgresql":
        return None
    done = []
    for statement in ("VACUUM ANALYZE result", "CHECKPOINT"):
        started = time.perf_counter()
        try:
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text(statement))
        except Exception as problem:  # noqa: BLE001 -- CHECKPOINT needs a privileged role; the load runs without it
            log(f"  {statement} skipped: {problem}")
            done.append(f"`{statement}` skipped ({type(problem).__name__})")
            continue
        elapsed = time.perf_counter() - started
        log(f"  {statement}: {elapsed:.2f} s (not counted)")
        done.append(f"`{statement}` ({elapsed:.1f} s)")
    return "before the load, untimed: " + ", then ".join(done)


def _database_kind(engine: Engine, url: str) -> str:
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            version = conn.execute(text("SHOW server_version")).scalar()
        return f"PostgreSQL {version} ({make_url(url).drivername}, {make_url(url).host or 'socket'})"
    return db_kind(url)


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--db",
        help="database URL (default: a fresh SQLite file in the work dir); a PostgreSQL "
        "database that does not exist yet is created",
    )
    parser.add_argument("--job-id", type=int, help="load an existing job of --db instead of importing one")
    parser.add_argument(
        "--workers",
        type=int,
        default=DEFAULT_WORKERS,
        help=f"reviewer processes (default {DEFAULT_WORKERS}, at most {MAX_WORKERS})",
    )
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load (default 60)")
    parser.add_argument("--actions", type=int, help="review actions per reviewer, instead of --duration")
    parser.add_argument("--images", type=int, default=100_000, help="images of the generated job (default 100000)")
    parser.add_argument("--boxes-per-image", type=float, default=10.0, help="average expert boxes per image (10)")
    parser.add_argument("--seed", type=int, default=0, help="generator and reviewer seed (0)")
    parser.add_argument("--job-name", default="bench-load", help="name of the imported job (bench-load)")
    parser.add_argument("--min-slice", type=int, default=100, help="fewest results in a slice (100)")
    parser.add_argument("--max-slice", type=int, default=20_000, help="most results in a slice (20000)")
    parser.add_argument("--undo-rate", type=float, default=0.05, help="share of actions that are undos (0.05)")
    parser.add_argument(
        "--refresh-rate",
        type=float,
        default=0.5,
        help="share of actions after which a reviewer rereads the states (0.5)",
    )
    parser.add_argument("--hot-share", type=float, default=0.5, help="share of slices in the hot part (0.5)")
    parser.add_argument("--hot-fraction", type=float, default=0.05, help="the hot part: share of the job (0.05)")
    parser.add_argument("--think-ms", type=float, default=0.0, help="mean pause between actions (0)")
    parser.add_argument(
        "--bulk-review",
        action="store_true",
        help="also time bench.run's review action (500k "
        "results accepted in one action, then undone) on the job before and after the load",
    )
    parser.add_argument("--timeout", type=float, default=1800.0, help="with --actions: kill reviewers after (s)")
    parser.add_argument("--out", type=Path, help="report path (default bench/REPORT.md)")
    parser.add_argument("--keep", action="store_true", help="keep the work dir")
    parser.add_argument(
        "--workdir",
        type=Path,
        default=REPO_ROOT / "bench" / ".work",
        help="parent of the temporary work dir (default bench/.work, git-ignored)",
    )
    parser.add_argument("--python", default=sys.executable, help="interpreter for the children (this one)")
    args = parser.parse_args(argv)
    if not 1 <= args.workers <= MAX_WORKERS:
        parser.error(f"--workers {args.workers}: between 1 and {MAX_WORKERS}")
    if args.actions is not None and args.actions < 1:
        parser.error("--actions: at least 1")
    if not 1 <= args.min_slice <= args.max_slice:
        parser.error("--min-slice and --max-slice: 1 <= min <= max")
    if args.job_id is not None and not args.db:
        parser.error("--job-id needs --db (the store that holds the job)")
    for name in ("undo_rate", "refresh_rate", "hot_share", "hot_fraction"):
        if not 0.0 <= getattr(args, name) <= 1.0:
            parser.error(f"--{name.replace('_', '-')}: between 0 and 1")
    return args


if __name__ == "__main__":
    sys.exit(main())
