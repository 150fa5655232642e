"""The sections of bench.run's report, one function each: generate the synthetic job, import it, then time stats,
the Visualize page, a review action, the image grid and the exports on it. Each runs its commands through a
BenchContext (bench/context.py) and returns a Section (bench/report.py) with its measurements and targets.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

from sqlalchemy.engine import make_url

from bench.context import BenchContext, _redact, flush_to_disk, log
from bench.measure import CommandFailed
from bench.report import GIB, MIB, Measurement, Section
from bench.synth import SynthSpec, write_job

IMPORT_TARGET_S = 30.0
STATS_TARGET_S = 1.0
RSS_TARGET_GIB = 2.0
STATS_RUNS = 3
FIRST_OPEN_TARGET_S = 3.0
RERUN_TARGET_S = 0.3
GRID_COLD_TARGET_S = 1.0
GRID_WARM_TARGET_S = 0.15
REVIEW_RESULTS = 500_000
REVIEW_TARGET_S = 2.0
EXPORT_ACCEPTED = 100_000
COCO_EXPORT_TARGET_S = 5.0

# Runs in a child: times job_stats() inside one process, cold (frame built from the store) and then warm.
_IN_PROCESS_STATS = """\
import json, shutil, statistics, sys, time
from core.store.db import get_engine
from core.settings import get_settings
from core.analysis.stats import job_stats
url, job_id, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
shutil.rmtree(get_settings().cache_dir, ignore_errors=True)
engine = get_engine(url)
def timed():
    started = time.perf_counter()
    job_stats(engine=engine, job_id=job_id)
    return time.perf_counter() - started
cold = timed()
warm = [timed() for _ in range(runs)]
print(json.dumps({"cold_s": cold, "warm_s": warm}))
"""


def bench_generate(ctx: BenchContext, spec: SynthSpec) -> Section:
    log(f"generating {spec.images:,} images × {spec.boxes_per_image:g} boxes ...")
    started = time.perf_counter()
    files = write_job(spec, ctx.workdir)
    elapsed = time.perf_counter() - started
    ctx.files = files
    log(f"  {elapsed:.2f} s: {files.expert_boxes:,} expert boxes, {files.pre_boxes:,} pre boxes")
    flush_to_disk()
    return Section(
        title="Synthetic job",
        measurements=[
            Measurement(name="generation time", value=elapsed, unit="s"),
            Measurement(name="images", value=files.images),
            Measurement(name="expert boxes", value=files.expert_boxes),
            Measurement(name="pre-label boxes", value=files.pre_boxes),
            Measurement(name="pre boxes with the wrong class", value=files.wrong_class),
            Measurement(name="pre boxes jittered/resized", value=files.jittered),
            Measurement(name="expert boxes missed by pre-labels (→ added)", value=files.missed),
            Measurement(name="spurious pre boxes (→ removed)", value=files.spurious),
            Measurement(name="expert file (COCO dataset)", value=_mib(files.expert_path), unit="MiB"),
            Measurement(name="pre-label file (COCO results)", value=_mib(files.pre_path), unit="MiB"),
        ],
    )


def bench_import(ctx: BenchContext) -> Section:
    assert ctx.files is not None
    files = ctx.files
    run = ctx.core(
        "import",
        "--task", "detection",
        "--name", ctx.job_name,
        "--images", str(files.images_dir),
        "--pre", str(files.pre_path),
        "--expert", str(files.expert_path),
        "--skip-image-check",
        "--replace",
    )  # fmt: skip
    flush_to_disk()
    jobs_run = ctx.core("jobs", "--json")
    ctx.job = _find_job(jobs_run.stdout, ctx.job_name)
    ctx.job_id = ctx.job["id"]
    log(
        f"  job {ctx.job_id}: {ctx.job.get('status')}, {ctx.job.get('images')} images, {ctx.job.get('results')} results"
    )

    section = Section(
        title="Import (python -m core import)",
        measurements=[
            Measurement.below("import wall time", run.wall_s, "s", IMPORT_TARGET_S),
            Measurement.below("import peak RSS", run.peak_rss_bytes / GIB, "GiB", RSS_TARGET_GIB),
            Measurement(name="job status", value=str(ctx.job.get("status"))),
            Measurement(name="job images", value=_int_or_str(ctx.job.get("images"))),
            Measurement(name="job results", value=_int_or_str(ctx.job.get("results"))),
            Measurement(
                name="`core jobs --json` wall time (CLI start-up + one query)", value=jobs_run.wall_s, unit="s"
            ),
        ],
    )
    db_bytes = _sqlite_bytes(ctx.db_url)
    if db_bytes is not None:
        section.add(Measurement(name="SQLite database size (with WAL)", value=db_bytes / MIB, unit="MiB"))
    if ctx.job.get("images") != files.images:
        section.notes.append(f"the job reports {ctx.job.get('images')} images, {files.images:,} were generated")
    if ctx.job.get("status") != "READY":
        section.notes.append(f"the job is {ctx.job.get('status')}, not READY")
    section.notes.append(
        "expected results ≈ expert boxes + spurious pre boxes "
        f"= {files.expert_boxes + files.spurious:,} (exact only if no spurious box steals a match)"
    )
    return section


def bench_stats(ctx: BenchContext, *, runs: int = STATS_RUNS) -> Section:
    """The CLI in fresh processes (the first one builds the job's results frame from the store and caches it),
    then job_stats() timed inside one process."""
    cli_runs = [ctx.core("stats", str(ctx.job_id), "--json") for _ in range(runs)]
    for run in cli_runs:
        json.loads(run.stdout)  # stats must print JSON; a ValueError here fails the benchmark
    walls = [r.wall_s for r in cli_runs]
    section = Section(
        title="Stats (python -m core stats JOB --json)",
        measurements=[
            Measurement.below(f"stats wall time (median of {runs})", statistics.median(walls), "s", STATS_TARGET_S),
            Measurement.below("stats peak RSS", max(r.peak_rss_bytes for r in cli_runs) / GIB, "GiB", RSS_TARGET_GIB),
            Measurement(
                name="stats wall time, each run (first: cold frame)",
                value=", ".join(f"{w:.2f}" for w in walls),
                unit="s",
            ),
        ],
        notes=[
            "CLI wall time is a fresh process: interpreter start-up, imports, engine, the job's results frame "
            "(built from the store on the first run, read from the parquet cache after) and the stats"
        ],
    )

    argv = [ctx.python, "-c", _IN_PROCESS_STATS, ctx.db_url, str(ctx.job_id), str(runs)]
    try:
        run = ctx.run(argv, shown=f"python -c <job_stats() in one process> {_redact(ctx.db_url)} {ctx.job_id}")
        timings = json.loads(run.stdout.strip().splitlines()[-1])
    except (CommandFailed, ValueError, IndexError) as problem:  # optional: no timing, no failed benchmark
        section.notes.append(f"in-process timing unavailable: {problem}")
        return section
    section.measurements += [
        Measurement(name="job_stats() in-process, cold (frame from the store)", value=timings["cold_s"], unit="s"),
        Measurement(
            name=f"job_stats() in-process, warm (median of {runs})",
            value=statistics.median(timings["warm_s"]),
            unit="s",
        ),
        Measurement(name="in-process peak RSS", value=run.peak_rss_bytes / GIB, unit="GiB"),
    ]
    return section


def bench_visualize(ctx: BenchContext) -> Section:
    """The Visualize page through AppTest on the big job: first open in a fresh process, then one rerun per
    filter change (script time), beside the raw polars work of the same filter (the floor)."""
    run = ctx.run(
        [ctx.python, "-m", "bench.visualize_child", "page", ctx.db_url, str(ctx.job_id)],
        shown=f"python -m bench.visualize_child page {_redact(ctx.db_url)} {ctx.job_id}",
    )
    timings = json.loads(run.stdout.strip().splitlines()[-1])
    floor_run = ctx.run(
        [ctx.python, "-m", "bench.visualize_child", "floor", ctx.db_url, str(ctx.job_id)],
        shown=f"python -m bench.visualize_child floor {_redact(ctx.db_url)} {ctx.job_id}",
    )
    reruns = timings["rerun_s"]
    floors = json.loads(floor_run.stdout.strip().splitlines()[-1])["floor_s"]
    section = Section(
        title="Visualize page (AppTest, the job above)",
        measurements=[
            Measurement.below(
                "first open of the job (fresh process)", timings["first_open_s"], "s", FIRST_OPEN_TARGET_S
            ),
            Measurement.below(
                f"filter change rerun (median of {len(reruns)})",
                statistics.median(reruns.values()),
                "s",
                RERUN_TARGET_S,
            ),
            Measurement.below("peak RSS of the page's process", run.peak_rss_bytes / GIB, "GiB", RSS_TARGET_GIB),
            *[
                Measurement(
                    name=f"rerun: {name} (raw polars floor {floors[name] * 1000:.0f} ms)", value=value, unit="s"
                )
                for name, value in reruns.items()
            ],
        ],
        notes=[
            "script time of AppTest.run() after pressing Apply, including Streamlit's own work and the charts; "
            "the bench job has no image files, so its tiles are placeholders (the grid is timed below)"
        ],
    )
    return section


def bench_review(ctx: BenchContext) -> Section:
    """Accept the first 500k pending results of the big job in one action, as the review bar does, timing
    review.accept alone in a child; then the refresh of the page's review states, and the undo."""
    run = ctx.run(
        [ctx.python, "-m", "bench.review_child", ctx.db_url, str(ctx.job_id), "--results", str(REVIEW_RESULTS)],
        shown=f"python -m bench.review_child {_redact(ctx.db_url)} {ctx.job_id} --results {REVIEW_RESULTS}",
    )
    timings = json.loads(run.stdout.strip().splitlines()[-1])
    return Section(
        title="Review action (core.review.decisions, the job above)",
        measurements=[
            Measurement.below(
                f"accept {timings['moved']:,} results in one action, its event included",
                timings["move_s"],
                "s",
                REVIEW_TARGET_S,
            ),
            Measurement(
                name="the page's refresh after it (review_states + with_states, no job reload)",
                value=timings["refresh_s"],
                unit="s",
            ),
            Measurement(
                name=f"undo of that action ({timings['undo_moved']:,} results back to pending)",
                value=timings["undo_s"],
                unit="s",
            ),
            Measurement(name="peak RSS of the review process", value=run.peak_rss_bytes / GIB, unit="GiB"),
        ],
        notes=[
            f"the first {timings['requested']:,} results of the Pending Review tab (of "
            f"{timings['job_results']:,} results), as the page's frame lists them; one transaction: the ids "
            "bulk-loaded into a temporary table (COPY on PostgreSQL), one conditional UPDATE ... RETURNING, one "
            "review event with the moved ids"
        ],
    )


def bench_grid(ctx: BenchContext) -> Section:
    """24 tiles with overlays drawn by Pillow on the demo job (real images), cold and then from the disk cache."""
    ctx.core("demo", "--quiet")
    demo = _find_job(ctx.core("jobs", "--json").stdout, "street-scenes")
    run = ctx.run(
        [ctx.python, "-m", "bench.visualize_child", "grid", ctx.db_url, str(demo["id"])],
        shown=f"python -m bench.visualize_child grid {_redact(ctx.db_url)} {demo['id']}",
    )
    timings = json.loads(run.stdout.strip().splitlines()[-1])
    return Section(
        title="Image grid (demo job street-scenes, 640×480 JPEGs)",
        measurements=[
            Measurement.below(
                f"{timings['tiles']} tiles with overlays, cold", timings["cold_s"], "s", GRID_COLD_TARGET_S
            ),
            Measurement.below(
                f"{timings['tiles']} tiles with overlays, warm (disk cache, median of 5)",
                timings["warm_s"],
                "s",
                GRID_WARM_TARGET_S,
            ),
        ],
    )


def bench_export(ctx: BenchContext) -> Section:
    """A ResultSet of up to 100k accepted results of the big job (accepted by one untimed UPDATE), then its
    exports, timed inside one child process."""
    run = ctx.run(
        [ctx.python, "-m", "bench.export_child", ctx.db_url, str(ctx.job_id), str(EXPORT_ACCEPTED)],
        shown=f"python -m bench.export_child {_redact(ctx.db_url)} {ctx.job_id} {EXPORT_ACCEPTED}",
    )
    timings = json.loads(run.stdout.strip().splitlines()[-1])
    files = timings["files"]
    return Section(
        title=f"ResultSet and exports ({timings['items']:,} accepted results, {timings['images']:,} images)",
        measurements=[
            Measurement(name="create_resultset (one INSERT ... SELECT)", value=timings["create_s"], unit="s"),
            Measurement.below("COCO export, written to a file", files["coco"]["s"], "s", COCO_EXPORT_TARGET_S),
            Measurement(name="datalog table export (one INSERT ... SELECT)", value=timings["table_s"], unit="s"),
            *[
                Measurement(
                    name=f"{fmt.upper()} export, written to a file ({files[fmt]['bytes'] / MIB:,.1f} MiB)",
                    value=files[fmt]["s"],
                    unit="s",
                )
                for fmt in ("csv", "yolo", "voc")
            ],
            Measurement(name="COCO file size", value=files["coco"]["bytes"] / MIB, unit="MiB"),
            Measurement(name="datalog table rows", value=timings["table_rows"]),
            Measurement.below("peak RSS of the export process", run.peak_rss_bytes / GIB, "GiB", RSS_TARGET_GIB),
        ],
        notes=[
            f"one UPDATE (untimed) accepted every 10th result of the job, {timings['accepted']:,} in all, spread "
            "over the images as review work would be; each export reads the ResultSet from the store"
        ],
    )


def _find_job(stdout: str, name: str) -> dict:
    jobs = json.loads(stdout)
    if isinstance(jobs, dict) and "jobs" in jobs:
        jobs = jobs["jobs"]
    matching = [j for j in jobs if j.get("name") == name]
    if not matching:
        raise ValueError(f"`core jobs --json` lists no job named {name!r}")
    return max(matching, key=lambda j: j["id"])


def _sqlite_bytes(url: str) -> int | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    paths = [Path(parsed.database + suffix) for suffix in ("", "-wal")]
    return sum(p.stat().st_size for p in paths if p.exists()) or None


def _mib(path: Path) -> float:
    return path.stat().st_size / MIB


def _int_or_str(value: object) -> int | str:
    return value if isinstance(value, int) else str(value)
