"""Run a child process and measure its wall-clock time and peak resident memory."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil

# Why a launcher: Linux carries the RSS high-water mark of the forking process across exec into the child's
# ru_maxrss, so a command forked straight from this (numpy/polars-sized) process would report at least our own
# RSS. A bare interpreter (-I -S, a few MiB) forks the command instead and reports wait4()'s rusage for it
# alone (RUSAGE_CHILDREN would hold the maximum over all children so far, not this one).
_LAUNCHER = """\
import json, os, sys, time
report_path, argv = sys.argv[1], sys.argv[2:]
started = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(argv[0], argv)
    except OSError as error:
        os.write(2, f"cannot run {argv[0]}: {error}\\n".encode())
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
wall_s = time.perf_counter() - started
code = os.waitstatus_to_exitcode(status)
maxrss = usage.ru_maxrss if sys.platform == "darwin" else usage.ru_maxrss * 1024
with open(report_path, "w") as f:
    json.dump({"wall_s": wall_s, "maxrss_bytes": maxrss, "returncode": code}, f)
sys.exit(code if code >= 0 else 128 - code)
"""


@dataclass(frozen=True)
class ChildRun:
    argv: tuple[str, ...]
    returncode: int
    wall_s: float
    # max(ru_maxrss of the command, sampled RSS sum of the command and its descendants)
    peak_rss_bytes: int
    stdout: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


class CommandFailed(RuntimeError):
    def __init__(self, run: ChildRun) -> None:
        super().__init__(f"command failed with exit code {run.returncode}: {' '.join(run.argv)}")
        self.run = run


def run_child(
    argv: Sequence[str], *, cwd: Path, env: dict[str, str] | None = None, sample_interval_s: float = 0.05
) -> ChildRun:
    """Run argv to completion; stdout is captured, stderr goes straight to ours so progress stays visible."""
    with tempfile.TemporaryDirectory(prefix="bench-run-") as scratch:
        report_path = Path(scratch) / "rusage.json"
        stdout_path = Path(scratch) / "stdout"
        with stdout_path.open("wb") as out:
            launcher = subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", _LAUNCHER, str(report_path), *argv],
                cwd=cwd,
                env=env,
                stdout=out,
                stderr=None,
            )
            sampler = _DescendantRssSampler(launcher.pid, sample_interval_s)
            sampler.start()
            launcher_code = launcher.wait()
            sampler.stop()
        stdout = stdout_path.read_text(encoding="utf-8", errors="replace")
        if not report_path.exists():  # the launcher itself died
            return ChildRun(tuple(argv), launcher_code or 1, float("nan"), sampler.peak_bytes, stdout)
        usage = json.loads(report_path.read_text())
    return ChildRun(
        argv=tuple(argv),
        returncode=usage["returncode"],
        wall_s=usage["wall_s"],
        peak_rss_bytes=max(usage["maxrss_bytes"], sampler.peak_bytes),
        stdout=stdout,
    )


class _DescendantRssSampler:
    """Peak of the summed RSS of every descendant of pid (the launcher itself excluded), polled."""

    def __init__(self, pid: int, interval_s: float) -> None:
        self.peak_bytes = 0
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(pid,), daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self, pid: int) -> None:
        try:
            root = psutil.Process(pid)
        except psutil.Error:
            return
        while not self._stop.is_set():
            try:
                descendants = root.children(recursive=True)
            except psutil.Error:
                return
            total = 0
            for process in descendants:
                try:
                    total += process.memory_info().rss
                except psutil.Error:
                    pass
            self.peak_bytes = max(self.peak_bytes, total)
            self._stop.wait(self._interval_s)
