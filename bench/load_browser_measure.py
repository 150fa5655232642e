"""What the browser load bench (bench/load_browser.py) measures besides the sessions' latencies: the replicas' RSS
(now, and the peak of a sampling thread) and CPU time, the reviewer processes' CPU, and the memory per open job,
read while a probe session pinned to each replica opens Visualize of every job in turn.
"""

from __future__ import annotations

import subprocess
import threading
from collections import defaultdict
from pathlib import Path

import psutil

from bench.browser_driver import VisualizeDriver
from bench.browser_processes import CHROMIUM, CHROMIUM_ARGS, VIEWPORT
from bench.browser_settle import LostClick, Settler
from bench.report import MIB
from deploy.cluster import REPLICA_NAMES, STICKY_COOKIE, Cluster


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


def memory_per_job(
    cluster: Cluster, replicas: Replicas, jobs: list[dict], password: str, workdir: Path
) -> dict[str, list]:
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
                    run_untimed(
                        settler,
                        lambda j=job: driver.open_from_card(j["id"]),
                        shot=workdir / f"probe-{name}-{job['id']}.png",
                    )
                    rows[name].append((job["name"], job["results"], replicas.rss()[name]))
                    run_untimed(settler, driver.back_to_jobs, shot=workdir / f"probe-{name}-back.png")
                context.close()
        finally:
            browser.close()
    return rows
