"""Browser load bench (`make bench-load-browser`): N concurrent Chromium sessions reviewing one job through HAProxy
in front of two Streamlit replicas (deploy/), against one PostgreSQL database; latency per interaction, the
replicas' memory and CPU, errors, and the event log replayed against the states afterwards.

    python -m bench.load_browser [--sessions 8] [--duration 60] [--pg URL] [--database labeldeck_bench_browser]
                                 [--job street-scenes] [--out bench/REPORT.md] [--json PATH] [--keep]

1. The demo store is seeded anew into a PostgreSQL database of the bench's own (created when missing), the data
   folder in a work dir under bench/.work/; one password account per session (LABELDECK_AUTH=password), and the
   cluster of make scale-demo on free loopback ports.
2. Memory per open job: on each replica in turn (a probe browser pinned to it by the sticky cookie), Visualize of
   every demo job that has one, the replica's RSS after each.
3. N reviewer processes (`python -m bench.load_browser_worker`, each its own Chromium), alternately pinned to app1 and
   app2 as round robin places new browsers, sign in and open Visualize of the job (untimed but the first open),
   then start together and review for --duration seconds: tabs, a filter, the viewer and its A key, a pick and its
   rejection, an undo, Visualize from the card again (every interaction of bench/browser_driver.py timed from the
   click to the settled page by bench/browser_settle.py). A step slower than 30 s, or failing, is an error; the
   session then reloads and signs in again.
4. RSS of each replica (psutil) idle, after the probe's jobs, with the sessions open, at its peak under load
   (sampled each second), at the end and after the browsers closed; CPU seconds of the replicas, HAProxy and the
   browsers over the load. Then the job's event log is replayed against its states (bench/load_browser_replay.py).
5. The section between `<!-- load:start:browser-replicas -->` and `<!-- load:end:browser-replicas -->` of
   bench/REPORT.md is replaced or appended (bench/run.py keeps it as it keeps bench.load's); the raw samples go to
   --json when given. Exit 1 when a reviewer process failed or the log does not replay.

The replicas' memory and CPU and the probe are bench/load_browser_measure.py's, the section's rendering
bench/load_browser_report.py's; this module sets the cluster up, runs the reviewer processes and writes the report.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import load_report
from bench.browser_processes import CHROMIUM, free_port
from bench.context import REPO_ROOT
from bench.load_browser_measure import Replicas, browsers_cpu, memory_per_job
from bench.load_browser_replay import replay_problems
from bench.load_browser_report import SECTION, render, summarize
from bench.report import load_average, machine_info
from core.store.db import get_engine
from deploy.cluster import REPLICA_NAMES, Cluster, haproxy_binary, replica_env
from deploy.scale_demo import DEFAULT_PG, ensure_database, seed


def log(message: str) -> None:
    print(f"[bench.load_browser] {message}", file=sys.stderr, flush=True)


def core_json(env: dict[str, str], *args: str):
    out = subprocess.run(
        [sys.executable, "-m", "core", *args, "--json"],
        cwd=REPO_ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out)


def add_accounts(database_url: str, names: list[str], password: str) -> None:
    from core.auth import users
    from core.auth.access import operator

    engine = get_engine(database_url)
    for name in names:  # a database of an earlier run keeps its accounts (demo --reset drops jobs only)
        if any(u.name == name for u in users.list_users(engine=engine)):
            users.set_password(engine=engine, name=name, password=password, actor=operator("bench"))
        else:
            users.add_user(engine=engine, name=name, role="reviewer", password=password, actor=operator("bench"))


def start_workers(args, cluster: Cluster, job_id: int, password: str, workdir: Path) -> list[tuple]:
    workers = []
    for i in range(args.sessions):
        replica = REPLICA_NAMES[i % len(REPLICA_NAMES)]
        out = workdir / f"session{i + 1}.json"
        err = (workdir / f"session{i + 1}.log").open("w")
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.load_browser_worker",
                "--url",
                cluster.url,
                "--replica",
                replica,
                "--user",
                f"load{i + 1}",
                "--password",
                password,
                "--job-id",
                str(job_id),
                "--duration",
                str(args.duration),
                "--out",
                str(out),
                "--slot",
                str(i),
            ],
            cwd=REPO_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            start_new_session=True,
        )
        workers.append((proc, out, err, replica))
    return workers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=8, help="concurrent Chromium sessions (default 8)")
    parser.add_argument("--duration", type=float, default=60, help="seconds of reviewing (default 60)")
    parser.add_argument(
        "--pg",
        default=os.environ.get("LABELDECK_BENCH_PG", DEFAULT_PG),
        help="a PostgreSQL server URL; the bench makes a database of its own on it",
    )
    parser.add_argument("--database", default="labeldeck_bench_browser")
    parser.add_argument("--job", default="street-scenes", help="the demo job the sessions review")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "bench" / "REPORT.md")
    parser.add_argument("--json", type=Path, help="also write the raw samples here")
    parser.add_argument("--keep", action="store_true", help="keep the work dir (logs, each session's report)")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        log(f"{CHROMIUM} not found: apt-get install -y chromium (Playwright's own browsers are never used)")
        return 2
    haproxy_binary()

    (REPO_ROOT / "bench" / ".work").mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="load-browser-", dir=REPO_ROOT / "bench" / ".work"))
    data_dir = workdir / "data"
    log(f"work dir {workdir}")
    run: dict = {
        "started": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "sessions": args.sessions,
        "duration": args.duration,
        "job": args.job,
        "command": " ".join(["python -m bench.load_browser", *(sys.argv[1:] if argv is None else argv)]),
        "machine": machine_info(db_kind="postgresql", repo_root=REPO_ROOT),
        "load_start": load_average(),
    }
    database_url = ensure_database(args.pg, args.database)
    seed(database_url, data_dir, reset=True)
    password = secrets.token_urlsafe(12)
    add_accounts(database_url, ["probe", *(f"load{i + 1}" for i in range(args.sessions))], password)
    jobs = core_json(replica_env(database_url=database_url, data_dir=data_dir), "jobs")
    job = next(j for j in jobs if j["name"] == args.job)
    run["job_results"] = job["results"]

    cluster = Cluster(
        database_url=database_url,
        data_dir=data_dir,
        log_dir=workdir / "logs",
        proxy_port=free_port(),
        ports=(free_port(), free_port()),
        settings={"LABELDECK_AUTH": "password"},
    )
    workers: list[tuple] = []
    ok = True
    try:
        cluster.start()
        replicas = Replicas(cluster)
        rss = {"idle": replicas.rss()}
        log("memory per open job (probe sessions)")
        run["jobs_memory"] = memory_per_job(
            cluster, replicas, [j for j in jobs if j["status"] == "READY"], password, workdir
        )
        rss["jobs_opened"] = replicas.rss()
        log(f"starting {args.sessions} sessions")
        workers = start_workers(args, cluster, job["id"], password, workdir)
        for proc, _, _, _ in workers:
            proc.stdout.readline()  # "ready" (or EOF when it died)
        rss["sessions_open"] = replicas.rss()
        engine = get_engine(database_url)
        events_before = len(replay_problems(engine, job["id"])[0])
        cpu_before, browsers_before = replicas.cpu(), browsers_cpu([w[0] for w in workers])
        cpu_started = time.monotonic()
        replicas.sample()
        log(f"reviewing for {args.duration:.0f} s")
        started = time.monotonic()
        for proc, _, _, _ in workers:
            try:
                proc.stdin.write("go\n")
                proc.stdin.flush()
            except OSError:
                pass
        # the browsers' CPU is read just before they finish (a process that has exited has no CPU time to read)
        time.sleep(max(args.duration - 1, 0))
        browsers_after = browsers_cpu([w[0] for w in workers])
        cpu_after = replicas.cpu()
        run["cpu_window_s"] = time.monotonic() - cpu_started
        rss["end"] = replicas.rss()
        for proc, _, _, _ in workers:
            try:
                proc.wait(timeout=args.duration + 300)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        run["load_s"] = time.monotonic() - started
        replicas.stop_sampling()
        rss["peak"] = {name: max(replicas.peak[name], rss["end"][name]) for name in REPLICA_NAMES}
        time.sleep(5)  # the replicas notice the closed WebSockets and drop the sessions
        rss["closed"] = replicas.rss()
        run["rss"] = rss
        run["cpu_s"] = {k: cpu_after[k] - cpu_before[k] for k in cpu_after}
        run["browsers_cpu_s"] = browsers_after - browsers_before
        run["load_end"] = load_average()

        reports = []
        for proc, out, err, replica in workers:
            err.close()
            report = json.loads(out.read_text()) if out.exists() else {"fatal": f"no report (exit {proc.returncode})"}
            report.setdefault("replica", replica)
            reports.append(report)
        run["samples"], run["errors"] = summarize(reports)
        run["rounds"] = [r.get("rounds", 0) for r in reports]
        run["session_s"] = max([r.get("elapsed_s", 0) for r in reports] + [1e-9])
        run["lost_clicks"] = sum(r.get("lost_clicks", 0) for r in reports)
        run["decided_elsewhere"] = sum(r.get("decided_elsewhere", 0) for r in reports)
        run["unobserved"] = sum(r.get("unobserved", 0) for r in reports)
        run["sessions_on"] = {name: sum(1 for r in reports if r.get("cookie") == name) for name in REPLICA_NAMES}
        events, problems = replay_problems(engine, job["id"])
        run["events"] = len(events) - events_before
        run["moved"] = sum(e.result_count for e in events[events_before:])
        run["replay_problems"] = problems
        ok = not problems and not any("fatal" in r for r in reports)
    finally:
        for proc, _, err, _ in workers:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            err.close()
        cluster.stop()

    block = render(run)
    load_report.update_report(args.out, SECTION, block)
    if args.json:
        args.json.write_text(json.dumps(run, indent=1, default=str), encoding="utf-8")
    print(block)
    if args.keep or not ok:
        log(f"kept {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
