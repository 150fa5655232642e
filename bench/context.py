"""What every step of the benchmarks shares: the repository root, the `[bench]` log line, the BenchContext that runs
`python -m core` in measured child processes, the page cache flushed between steps, and a database URL described
and shown with its password hidden. bench.run, bench.load, bench.import_bench and bench.browser all use it.
"""

from __future__ import annotations

import os
import shlex
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import make_url

from bench.measure import ChildRun, CommandFailed, run_child
from bench.report import MIB
from bench.synth import SynthFiles

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(kw_only=True)
class BenchContext:
    """What every benchmark step needs; steps fill in job_id and friends as they go."""

    python: str
    db_url: str
    workdir: Path
    env: dict[str, str]
    job_name: str
    files: SynthFiles | None = None
    job_id: int | str | None = None
    job: dict = field(default_factory=dict)

    def core(self, *args: str) -> ChildRun:
        """Run `python -m core ARGS --db URL` and fail loudly if it fails."""
        return self.run([self.python, "-m", "core", *args, "--db", self.db_url])

    def run(self, argv: Sequence[str], *, shown: str | None = None) -> ChildRun:
        log(f"$ {shown or display_command(argv, self.db_url)}")
        run = run_child(argv, cwd=REPO_ROOT, env=self.env)
        if not run.ok:
            raise CommandFailed(run)
        log(f"  {run.wall_s:.2f} s, peak RSS {run.peak_rss_bytes / MIB:,.0f} MiB")
        return run


def flush_to_disk() -> None:
    """Write back dirty pages left by the previous step (untimed), so the write-back of the generated files or of
    the import does not slow the next measured command down."""
    if not hasattr(os, "sync"):
        return
    started = time.perf_counter()
    os.sync()
    log(f"  sync: {time.perf_counter() - started:.2f} s (not counted)")


def db_kind(url: str) -> str:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version} (file)"
    return f"{parsed.get_backend_name()} ({parsed.drivername})"


def _redact(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def display_command(argv: Sequence[str], db_url: str) -> str:
    return shlex.join(_redact(a) if a == db_url else a for a in argv)


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)
