"""LabelDeck benchmark: import a large synthetic detection job through the CLI, then time stats, the Visualize page,
the pre-label quality figures, a review action, the image grid and the exports.

    python -m bench.run [--images 100000] [--boxes-per-image 10] [--db URL] [--out bench/REPORT.md] [--keep]

Each step runs `python -m core ...` in a child process and records wall-clock time and the child's peak RSS.
The report is written even when a target is missed (it says FAIL); the exit code is non-zero only when a
command fails, and then the previous report is left untouched.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from bench.browser_report import keep_browser_block
from bench.context import REPO_ROOT, BenchContext, _redact, db_kind, display_command, log
from bench.import_bench import keep_import_block
from bench.load_report import with_load_blocks
from bench.measure import CommandFailed
from bench.quality_section import bench_quality
from bench.report import Section, keep_block, machine_info, render_report
from bench.run_sections import (
    STATS_RUNS,
    bench_export,
    bench_generate,
    bench_grid,
    bench_import,
    bench_review,
    bench_stats,
    bench_visualize,
)
from bench.storage import keep_storage_block
from bench.synth import SynthSpec


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    started = datetime.now(UTC)
    args.workdir.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="run-", dir=args.workdir))
    db_url = args.db or f"sqlite:///{workdir / 'bench.db'}"
    # The children keep their data folder (results-frame cache, thumbnails) in the work dir, not in data/.
    env = {**os.environ, "LABELDECK_DATA_DIR": str(workdir / "data")}
    ctx = BenchContext(python=args.python, db_url=db_url, workdir=workdir, env=env, job_name=args.job_name)
    spec = SynthSpec(images=args.images, boxes_per_image=args.boxes_per_image, seed=args.seed)
    log(f"work dir {workdir}")
    try:
        sections = [
            bench_generate(ctx, spec),
            bench_import(ctx),
            bench_stats(ctx, runs=args.stats_runs),
            bench_visualize(ctx),
            bench_quality(ctx),
            bench_review(ctx),  # undoes its action: the job stays all pending
            bench_grid(ctx),
            bench_export(ctx),  # last: it accepts results, which the sections above must not see
        ]
    except CommandFailed as failure:
        stdout = failure.run.stdout.strip()
        log(
            f"FAILED (exit code {failure.run.returncode}): {display_command(failure.run.argv, db_url)}"
            + (f"\n--- its stdout ---\n{stdout[-4000:]}" if stdout else "")
        )
        log(f"report not written; inputs kept in {workdir}")
        return 1
    except (ValueError, KeyError) as problem:  # unusable CLI output
        log(f"FAILED: {problem}")
        log(f"report not written; inputs kept in {workdir}")
        return 1

    report = render_report(
        title="LabelDeck benchmark report",
        command=display_command(["python", "-m", "bench.run", *(sys.argv[1:] if argv is None else argv)], db_url),
        machine=machine_info(db_kind=db_kind(db_url), repo_root=REPO_ROOT),
        parameters={
            "images": f"{spec.images:,}",
            "boxes per image": f"{spec.boxes_per_image:g}",
            "seed": str(spec.seed),
            "image size": f"{spec.width} × {spec.height}",
            "pre-label noise": (
                f"{spec.wrong_class_rate:.0%} wrong class, {spec.missed_rate:.0%} missed, "
                f"{spec.spurious_rate:.0%} spurious, {1 - spec.unchanged_geometry_rate:.0%} jittered/resized"
            ),
            "database URL": _redact(db_url),
            "job name": ctx.job_name,
        },
        sections=sections,
        started=started,
    )
    out = args.out if args.out is not None else REPO_ROOT / "bench" / "REPORT.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    previous = out.read_text(encoding="utf-8") if out.exists() else ""
    # the load test's sections, the browser benchmark's, the object storage one's, the import one's, the CLI
    # start-up one's and the scale summary stay
    kept = keep_import_block(
        keep_storage_block(keep_browser_block(with_load_blocks(report, previous), previous), previous), previous
    )
    out.write_text(keep_block(keep_block(kept, previous, "cli-startup"), previous, "scale"), encoding="utf-8")
    log(f"report written to {out}")
    _log_summary(sections)

    if args.keep:
        log(f"kept {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=100_000, help="number of images (default 100000)")
    parser.add_argument("--boxes-per-image", type=float, default=10.0, help="average expert boxes per image (10)")
    parser.add_argument("--seed", type=int, default=0, help="generator seed (0)")
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file in the work dir)")
    parser.add_argument("--out", type=Path, help="report path (default bench/REPORT.md)")
    parser.add_argument("--keep", action="store_true", help="keep the work dir (generated files and database)")
    parser.add_argument(
        "--workdir",
        type=Path,
        default=REPO_ROOT / "bench" / ".work",
        help="parent of the temporary work dir (default bench/.work, git-ignored)",
    )
    parser.add_argument("--job-name", default="bench-1m", help="name of the imported job (bench-1m)")
    parser.add_argument("--stats-runs", type=int, default=STATS_RUNS, help=f"stats repetitions ({STATS_RUNS})")
    parser.add_argument("--python", default=sys.executable, help="interpreter for the CLI (this one)")
    return parser.parse_args(argv)


def _log_summary(sections: Sequence[Section]) -> None:
    for section in sections:
        for m in section.targeted:
            log(f"  {m.verdict.strip('*'):4}  {m.name}: {m.value:.2f} {m.unit} (target < {m.target:g} {m.unit})")


if __name__ == "__main__":
    sys.exit(main())
