"""bench.run's pre-label quality section (issue 16): job_quality() on the big job, computed cold from its cached
results frame and then read from its own cache file, in one child process; then `python -m core quality` in fresh
processes, the second reading the figures through the store's driver alone."""

from __future__ import annotations

import json
import statistics

from bench.context import BenchContext, _redact
from bench.measure import CommandFailed
from bench.report import GIB, Measurement, Section

QUALITY_COLD_TARGET_S = 5.0
QUALITY_CACHED_TARGET_S = 0.1
QUALITY_RUNS = 5

# Runs in a child: the quality figures dropped from the cache, job_quality() timed cold (the results frame is cached
# by then: the stats section built it), then warm, reading its cache file.
_IN_PROCESS_QUALITY = """\
import json, statistics, sys, time
from core.analysis.quality.service import job_quality
from core.settings import get_settings
from core.store.db import get_engine
url, job_id, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for cached in get_settings().cache_dir.glob("quality-*.json"):
    cached.unlink()
engine = get_engine(url)
def timed():
    started = time.perf_counter()
    quality = job_quality(engine=engine, job_id=job_id)
    return time.perf_counter() - started, quality
cold, quality = timed()
warm = [timed()[0] for _ in range(runs)]
print(json.dumps({"cold_s": cold, "warm_s": warm, "ap": quality.ap, "ap50": quality.ap50,
                  "precision": quality.precision, "recall": quality.recall, "best_threshold": quality.best_threshold,
                  "pre_labels": quality.totals.pre_labels}))
"""


def bench_quality(ctx: BenchContext, *, runs: int = QUALITY_RUNS) -> Section:
    section = Section(title="Pre-label quality (core.analysis.quality.job_quality, the job above)")
    argv = [ctx.python, "-c", _IN_PROCESS_QUALITY, ctx.db_url, str(ctx.job_id), str(runs)]
    try:
        run = ctx.run(argv, shown=f"python -c <job_quality() in one process> {_redact(ctx.db_url)} {ctx.job_id}")
        timings = json.loads(run.stdout.strip().splitlines()[-1])
    except (CommandFailed, ValueError, IndexError) as problem:
        section.notes.append(f"in-process timing unavailable: {problem}")
        return section
    section.measurements += [
        Measurement.below(
            "job_quality() cold: computed from the cached results frame", timings["cold_s"], "s", QUALITY_COLD_TARGET_S
        ),
        Measurement.below(
            f"job_quality() cached (median of {runs})",
            statistics.median(timings["warm_s"]),
            "s",
            QUALITY_CACHED_TARGET_S,
        ),
        Measurement(name="peak RSS of that process", value=run.peak_rss_bytes / GIB, unit="GiB"),
    ]
    cli_runs = [ctx.core("quality", str(ctx.job_id), "--json") for _ in range(2)]
    for cli_run in cli_runs:
        json.loads(cli_run.stdout)  # quality must print JSON; a ValueError here fails the benchmark
    section.measurements.append(
        Measurement(
            name="`core quality --json` wall time, fresh process (cached figures, read through the store's driver)",
            value=cli_runs[1].wall_s,
            unit="s",
        )
    )
    section.notes.append(
        f"{timings['pre_labels']:,} pre-labels: AP {_share(timings['ap'])}, AP50 {_share(timings['ap50'])}, "
        f"precision {_share(timings['precision'])}, recall {_share(timings['recall'])} at IoU 0.5, "
        f"best confidence threshold {timings['best_threshold']}"
    )
    return section


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"
