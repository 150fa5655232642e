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
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path

import psutil

from bench import load_report
from bench.browser_processes import CHROMIUM, CHROMIUM_ARGS, VIEWPORT
from bench.browser_driver import VisualizeDriver
from bench.browser_report import percentile
from bench.browser_settle import LostClick, Settler
from bench.load_browser_replay import replay_problems
from bench.report import load_average, machine_info
from core.store.db import get_engine
from deploy.cluster import REPLICA_NAMES, STICKY_COOKIE, Cluster, haproxy_binary, replica_env
from deploy.scale_demo import DEFAULT_PG, ensure_database, seed

REPO_ROOT = Path(__file__).resolve().parent.parent
SECTION = "browser-replicas"  # bench/load_report.py's marker: <!-- load:start:browser-replicas -->
MIB = 2**20


def log(message: str) -> None:
    print(f"[bench.load_browser] {message}", file=sys.stderr, flush=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Replicas:
    """psutil views of the replica processes (and the proxy): RSS now, the peak of a sampling thread, CPU time."""

    def __init__(self, cluster: Cluster) -> None:
        self.procs = {name: psutil.Process(pid) for name, pid in cluster.replica_pids().items()}
        self.proxy = psutil.Process(cluster.proxy.pid) if cluster.proxy and cluster.proxy.pid else None
        self.peak: dict[str, float] = defaultdict(float)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def rss(self) -> dict[str, float]:
        out = {}
        for name, proc in self.procs.items():
            try:
                out[name] = proc.memory_info().rss / MIB
            except psutil.Error:
                out[name] = float("nan")
        return out

    def cpu(self) -> dict[str, float]:
        out = {}
        for name, proc in [*self.procs.items(), *([("haproxy", self.proxy)] if self.proxy else [])]:
            try:
                times = proc.cpu_times()
                out[name] = times.user + times.system
            except psutil.Error:
                out[name] = float("nan")
        return out

    def sample(self) -> None:
        def run() -> None:
            while not self._stop.wait(1.0):
                for name, mib in self.rss().items():
                    self.peak[name] = max(self.peak[name], mib)

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()

    def stop_sampling(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join()


def browsers_cpu(workers: list[subprocess.Popen]) -> float:
    """CPU seconds so far of the reviewer processes and everything below them (Playwright's driver, Chromium)."""
    total = 0.0
    for worker in workers:
        try:
            proc = psutil.Process(worker.pid)
            for p in [proc, *proc.children(recursive=True)]:
                times = p.cpu_times()
                total += times.user + times.system
        except psutil.Error:
            continue
    return total


def core_json(env: dict[str, str], *args: str):
    out = subprocess.run([sys.executable, "-m", "core", *args, "--json"], cwd=REPO_ROOT, env=env, check=True,
                         capture_output=True, text=True).stdout
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


def run_untimed(settler: Settler, make, *, shot: Path, attempts: int = 3) -> None:
    """A step done until it takes (a click that lands while the page is still laying out starts no rerun); a
    screenshot of the page when it never does."""
    for attempt in range(attempts):
        try:
            settler.run(make())
            return
        except LostClick:
            if attempt == attempts - 1:
                settler.page.screenshot(path=str(shot), full_page=True)
                raise


def memory_per_job(cluster: Cluster, replicas: Replicas, jobs: list[dict], password: str,
                   workdir: Path) -> dict[str, list]:
    """On each replica, a probe session opens Visualize of every job in turn: (job, results, RSS after) rows."""
    from playwright.sync_api import sync_playwright

    rows: dict[str, list] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for name in REPLICA_NAMES:
                context = browser.new_context(viewport=VIEWPORT)
                context.add_cookies([{"name": STICKY_COOKIE, "value": name, "url": cluster.url}])
                Settler.install(context)
                VisualizeDriver.install(context)
                page = context.new_page()
                page.set_default_timeout(120_000)
                settler = Settler(page, timeout_ms=120_000)
                driver = VisualizeDriver(page, settler, cluster.url)
                page.goto(cluster.url + "/")
                form = page.get_by_test_id("stForm")
                form.get_by_role("textbox", name="User name").fill("probe")
                form.get_by_label("Password", exact=True).fill(password)
                form.get_by_role("button", name="Sign in").click()
                settler.wait("() => document.querySelector('[class*=\"st-key-job_card_\"]') !== null")
                rows[name] = [("signed in, Labeling Jobs", None, replicas.rss()[name])]
                for job in jobs:
                    button = page.locator(f".st-key-visualize_{job['id']} button").filter(visible=True)
                    if not button.count() or button.first.is_disabled():
                        continue  # Visualize is for manual label jobs
                    run_untimed(settler, lambda j=job: driver.open_from_card(j["id"]),
                                shot=workdir / f"probe-{name}-{job['id']}.png")
                    rows[name].append((job["name"], job["results"], replicas.rss()[name]))
                    run_untimed(settler, driver.back_to_jobs, shot=workdir / f"probe-{name}-back.png")
                context.close()
        finally:
            browser.close()
    return rows


def start_workers(args, cluster: Cluster, job_id: int, password: str, workdir: Path) -> list[tuple]:
    workers = []
    for i in range(args.sessions):
        replica = REPLICA_NAMES[i % len(REPLICA_NAMES)]
        out = workdir / f"session{i + 1}.json"
        err = (workdir / f"session{i + 1}.log").open("w")
        proc = subprocess.Popen(
            [sys.executable, "-m", "bench.load_browser_worker", "--url", cluster.url, "--replica", replica,
             "--user", f"load{i + 1}", "--password", password, "--job-id", str(job_id),
             "--duration", str(args.duration), "--out", str(out), "--slot", str(i)],
            cwd=REPO_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, text=True,
            start_new_session=True,
        )
        workers.append((proc, out, err, replica))
    return workers


def summarize(reports: list[dict]) -> tuple[dict[str, list[float]], list[dict]]:
    samples: dict[str, list[float]] = defaultdict(list)
    errors: list[dict] = []
    for report in reports:
        for key, values in report.get("samples", {}).items():
            samples[key] += values
        errors += [{**e, "user": report.get("user")} for e in report.get("errors", [])]
        if "fatal" in report:
            errors.append({"key": "session", "message": report["fatal"].strip().splitlines()[-1],
                           "user": report.get("user")})
    return samples, errors


def ms(value: float) -> str:
    return f"{value:,.0f} ms"


def render(run: dict) -> str:
    lines = [f"<!-- load:start:{SECTION} -->",
             "## Reviewers in Chromium through the proxy: two replicas (python -m bench.load_browser)", ""]
    lines.append(
        f"{run['started']}: {run['sessions']} Chromium sessions (each a browser process of its own, "
        f"{VIEWPORT['width']} × {VIEWPORT['height']}) reviewed `{run['job']}` ({run['job_results']:,} results, "
        f"the demo store in PostgreSQL) for {run['duration']:.0f} s through HAProxy (deploy/haproxy.cfg) in front of "
        "two Streamlit replicas sharing one data folder; the sessions alternate between the replicas by the sticky "
        "cookie, as round robin places new browsers, each signed in with an account of its own. "
        f"Machine: {run['machine']['CPU']}, {run['machine']['cores']}, {run['machine']['RAM']}; the replicas, "
        "HAProxy, PostgreSQL and every Chromium share it. Load average (`uptime`) at start "
        f"{run['load_start']}, at the end {run['load_end']}. Command: `{run['command']}`.")
    lines += ["", "| interaction | n | p50 | p95 | max | errors |", "| --- | ---: | ---: | ---: | ---: | ---: |"]
    error_counts: dict[str, int] = defaultdict(int)
    for e in run["errors"]:
        error_counts[e["key"]] += 1
    everything: list[float] = []
    for key, values in run["samples"].items():
        if key.endswith("(first)"):
            continue
        everything += values
    keys = list(run["samples"]) + [k for k in error_counts if k not in run["samples"]]
    for key in keys:
        values = run["samples"].get(key, [])
        stats = (f"{ms(percentile(values, 50))} | {ms(percentile(values, 95))} | {ms(max(values))}" if values
                 else "n/a | n/a | n/a")
        lines.append(f"| {key} | {len(values):,} | {stats} | {error_counts.get(key, 0)} |")
    if everything:
        lines.append(f"| **every interaction under load** | {len(everything):,} | "
                     f"**{ms(percentile(everything, 50))}** | **{ms(percentile(everything, 95))}** | "
                     f"{ms(max(everything))} | {sum(v for k, v in error_counts.items() if k != 'recover')} |")
    lines += ["", "Memory (RSS, MiB) and CPU of each replica:", "",
              "| replica | sessions | idle | after the probe opened every job | sessions open | peak under load | "
              "end of load | browsers closed | per session (open / end) | CPU under load |",
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name in REPLICA_NAMES:
        r = run["rss"]
        n = run["sessions_on"].get(name, 0)
        per_open = (r["sessions_open"][name] - r["jobs_opened"][name]) / n if n else float("nan")
        per_end = (r["end"][name] - r["jobs_opened"][name]) / n if n else float("nan")
        cpu = run["cpu_s"].get(name, float("nan"))
        lines.append(f"| {name} | {n} | {r['idle'][name]:,.0f} | {r['jobs_opened'][name]:,.0f} | "
                     f"{r['sessions_open'][name]:,.0f} | {r['peak'][name]:,.0f} | {r['end'][name]:,.0f} | "
                     f"{r['closed'][name]:,.0f} | {per_open:,.1f} / {per_end:,.1f} | "
                     f"{cpu:,.1f} s ({100 * cpu / run['cpu_window_s']:.0f}% of a core) |")
    lines += ["", "Memory per open job (a probe session opens Visualize of each job in turn; RSS of the replica "
              "after each, MiB):", "", "| replica | " + " | ".join(
                  f"{job}" + (f" ({results:,})" if results else "") for job, results, _ in run["jobs_memory"][REPLICA_NAMES[0]]) + " |",
              "| --- |" + " ---: |" * len(run["jobs_memory"][REPLICA_NAMES[0]])]
    for name in REPLICA_NAMES:
        lines.append(f"| {name} | " + " | ".join(f"{mib:,.0f}" for _, _, mib in run["jobs_memory"][name]) + " |")
    lines.append("")
    replay = "PASS" if not run["replay_problems"] else "FAIL: " + "; ".join(run["replay_problems"][:5])
    notes = [
        f"throughput: {len(everything):,} timed interactions in {run['session_s']:.0f} s per session "
        f"({len(everything) / run['session_s']:.1f}/s over {run['sessions']} sessions; a session finishes the "
        f"step it is in at the deadline); {run['events']:,} review events recorded during the load, {run['moved']:,} results moved",
        f"event log replayed from all-pending against the states (bench/load_browser_replay.py): {replay}",
        f"CPU over the first {run['cpu_window_s']:.0f} s of the load: replicas {sum(run['cpu_s'].get(n, 0) for n in REPLICA_NAMES):,.1f} s, HAProxy "
        f"{run['cpu_s'].get('haproxy', 0):,.1f} s, the browsers (Chromium and Playwright) {run['browsers_cpu_s']:,.1f} s, "
        f"of {2 * run['cpu_window_s']:,.0f} core-seconds"
        + (": the browsers, which reviewers run on machines of their own, took more than the replicas, so the "
           "latencies here are an upper bound" if run["browsers_cpu_s"] > sum(run["cpu_s"].get(n, 0) for n in REPLICA_NAMES)
           else ""),
        f"rounds per session: {', '.join(str(r) for r in run['rounds'])}; results another session decided while "
        f"one had them in its viewer (no A to press: the round went on): {run['decided_elsewhere']}; steps whose "
        f"outcome showed without a `running` state seen (done, not timed): {run['unobserved']}; clicks that started no rerun and were "
        f"done again: {run['lost_clicks']}",
        "per session = (RSS with the sessions open, or at the end of the load, − RSS after the probe opened every "
        "job) / sessions on the replica: a session's own state (widgets, picks, the page's cached views); a job's "
        "frame is cached once per replica (st.cache_resource, 4 jobs at most), whatever the number of sessions",
    ]
    if run["errors"]:
        examples = "; ".join(f"{e.get('user')} {e['key']}: {e['message']}" for e in run["errors"][:5])
        notes.append(f"{len(run['errors'])} errors (the session reloaded and signed in again after each), e.g. "
                     + examples)
    else:
        notes.append("errors: none")
    lines += [f"- {note}" for note in notes]
    lines += [f"<!-- load:end:{SECTION} -->", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=8, help="concurrent Chromium sessions (default 8)")
    parser.add_argument("--duration", type=float, default=60, help="seconds of reviewing (default 60)")
    parser.add_argument("--pg", default=os.environ.get("LABELDECK_BENCH_PG", DEFAULT_PG),
                        help="a PostgreSQL server URL; the bench makes a database of its own on it")
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
    run: dict = {"started": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "sessions": args.sessions,
                 "duration": args.duration, "job": args.job,
                 "command": " ".join(["python -m bench.load_browser", *(sys.argv[1:] if argv is None else argv)]),
                 "machine": machine_info(db_kind="postgresql", repo_root=REPO_ROOT), "load_start": load_average()}
    database_url = ensure_database(args.pg, args.database)
    seed(database_url, data_dir, reset=True)
    password = secrets.token_urlsafe(12)
    add_accounts(database_url, ["probe", *(f"load{i + 1}" for i in range(args.sessions))], password)
    jobs = core_json(replica_env(database_url=database_url, data_dir=data_dir), "jobs")
    job = next(j for j in jobs if j["name"] == args.job)
    run["job_results"] = job["results"]

    cluster = Cluster(database_url=database_url, data_dir=data_dir, log_dir=workdir / "logs",
                      proxy_port=_free_port(), ports=(_free_port(), _free_port()),
                      settings={"LABELDECK_AUTH": "password"})
    workers: list[tuple] = []
    ok = True
    try:
        cluster.start()
        replicas = Replicas(cluster)
        rss = {"idle": replicas.rss()}
        log("memory per open job (probe sessions)")
        run["jobs_memory"] = memory_per_job(cluster, replicas, [j for j in jobs if j["status"] == "READY"], password,
                                           workdir)
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
