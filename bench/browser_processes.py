"""The processes of the browser benchmarks: the app server (`streamlit run dashboard/server.py` on a free loopback port,
over a store), how Debian's Chromium is launched and at what viewport, and the CPU time read from both. bench.browser
and bench.load_browser (and its reviewer processes) launch Chromium with these settings.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import psutil

from bench.context import REPO_ROOT

if TYPE_CHECKING:
    from bench.browser_stores import Store

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1440, "height": 900}


def log(message: str) -> None:
    print(f"[bench.browser] {message}", file=sys.stderr, flush=True)


class Server:
    """`python -m streamlit run dashboard/server.py` on a free port, over a store."""

    def __init__(self, store: Store, python: str, log_path: Path) -> None:
        self.store = store
        self.python = python
        self.log_path = log_path
        self.process: subprocess.Popen | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 120) -> None:
        self.port = free_port()
        self._log = self.log_path.open("a")
        self.process = subprocess.Popen(
            [
                self.python,
                "-m",
                "streamlit",
                "run",
                "dashboard/server.py",
                "--server.port",
                str(self.port),
                "--server.address",
                "127.0.0.1",
                "--server.headless",
                "true",
            ],
            cwd=REPO_ROOT,
            env=self.store.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"streamlit exited with {self.process.returncode}; see {self.log_path}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"the app did not come up at {self.url} within {timeout_s:.0f} s")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()
        self.process = None

    def rss_mib(self) -> float:
        try:
            proc = psutil.Process(self.process.pid)
            return sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)]) / 2**20
        except (psutil.Error, AttributeError):
            return 0.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_reader(server: Server) -> Callable[[], dict[str, dict[int, float]]]:
    """CPU seconds of the app server's processes and of Chromium's (every chromium process below this one)."""
    me = psutil.Process()

    def read() -> dict[str, dict[int, float]]:
        out: dict[str, dict[int, float]] = {"server": {}, "browser": {}}
        server_pid = server.process.pid if server.process else None
        for proc in me.children(recursive=True):
            try:
                times = proc.cpu_times()
                if proc.pid == server_pid or (server_pid and server_pid in {p.pid for p in proc.parents()}):
                    out["server"][proc.pid] = times.user + times.system
                elif "chrom" in proc.name():
                    out["browser"][proc.pid] = times.user + times.system
            except psutil.Error:
                continue
        return out

    return read


class CpuUsage:
    """How much CPU the machine's other processes took while the browser part ran: every figure here shares the
    machine's cores with them."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.busy = self._busy()
        self.own = self._own()

    @staticmethod
    def _busy() -> float:
        t = psutil.cpu_times()
        return sum(t) - t.idle - getattr(t, "iowait", 0.0)

    @staticmethod
    def _own() -> float:
        """This process tree's CPU so far: each live process's own time and that of the children it reaped (an app
        server reaped by us, a Chromium helper by Chromium), so nothing counts twice."""
        total = 0.0
        me = psutil.Process()
        for proc in [me, *me.children(recursive=True)]:
            try:
                t = proc.cpu_times()
            except psutil.Error:
                continue
            total += t.user + t.system + t.children_user + t.children_system
        return total

    def stop(self) -> None:
        """While Chromium still runs (its time is lost from the tree once Playwright lets it go unreaped)."""
        self.wall = time.monotonic() - self.started
        self.busy_s = self._busy() - self.busy
        self.own_s = self._own() - self.own

    def note(self) -> str:
        wall, busy, own = self.wall, self.busy_s, self.own_s
        other = max(busy - own, 0.0)
        cores = os.cpu_count() or 1
        return (
            f"CPU while the browser part ran ({wall / 60:.1f} min on {cores} cores): this benchmark's processes "
            f"(app servers, Chromium, driver) {own:,.0f} s, other processes {other:,.0f} s "
            f"({other / (wall * cores):.0%} of the machine)"
        )
