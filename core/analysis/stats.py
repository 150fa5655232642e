"""Expert Review Stats of a job: counts by review state and change kind, Class Changed per class, and summaries
of Expert Review Area and the Current to Auto/Pre Label Adjustment Factor."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import polars as pl

from core.domain.errors import BadInput
from core.domain.vocabulary import CHANGE_KINDS, REMOVED_ROW, REVIEW_STATES, JobKind, Task

if TYPE_CHECKING:  # the CLI's `stats` reads a cached job without SQLAlchemy (cached_job_stats)
    from sqlalchemy import Engine

    from core.store.driver_reads import JobRow
    from core.store.models import LabelJob

STATS_COLUMNS = ("class_row", "class_changed", "change_kind", "area_px", "area_fraction", "adjustment_factor", "iou")
# What a detection job adds to a classification job's stats: a summary of each of these columns.
SUMMARY_COLUMNS = {"px": "area_px", "fraction": "area_fraction", "factor": "adjustment_factor", "iou": "iou"}
SUMMARY_STATS = ("count", "min", "p25", "median", "p75", "max", "mean")
# polars' median is its linear 0.5 quantile: the three come from one selection of the column, not three.
QUARTILES = {"p25": 0.25, "median": 0.5, "p75": 0.75}
NO_DECISIONS = dict.fromkeys(REVIEW_STATES, 0)


def stats_columns(task: str) -> tuple[str, ...]:
    """The results frame's columns the stats of a job of `task` read."""
    return STATS_COLUMNS if task == Task.DETECTION else STATS_COLUMNS[:3]


def change_kind_counts(results: pl.DataFrame) -> dict[str, int]:
    return _kind_counts(results.group_by("change_kind").len())


def _kind_counts(table: pl.DataFrame) -> dict[str, int]:
    counts = dict(table.iter_rows())
    return {kind: int(counts.get(kind, 0)) for kind in CHANGE_KINDS}


def _class_changed_table(results: pl.LazyFrame) -> pl.LazyFrame:
    """class_row, true, false in the Class Changed table's order (core.analysis.queries.class_changed_table: the biggest
    classes first, then by name; that module imports SQLModel, so the table is counted here)."""
    return (
        results.group_by(pl.col("class_row"))
        .agg(
            pl.col("class_changed").sum().cast(pl.Int64).alias("true"),
            (~pl.col("class_changed")).sum().cast(pl.Int64).alias("false"),
            pl.len().alias("total"),
        )
        .sort(["total", "class_row"], descending=[True, False])
        .drop("total")
    )


def _summary_exprs(columns: dict[str, str]) -> list[pl.Expr]:
    """count (non-null), min, the quartiles, max, mean of each column."""
    return [
        expr
        for name, column in columns.items()
        for expr in (
            pl.col(column).count().alias(f"{name}|count"),
            pl.col(column).min().alias(f"{name}|min"),
            pl.col(column).quantile(list(QUARTILES.values()), "linear").alias(f"{name}|quartiles"),
            pl.col(column).max().alias(f"{name}|max"),
            pl.col(column).mean().alias(f"{name}|mean"),
        )
    ]


def _summaries(row: dict[str, Any], columns: dict[str, str]) -> dict[str, dict[str, float | int | None]]:
    found = {}
    for name in columns:
        quartiles = dict(zip(QUARTILES, row[f"{name}|quartiles"], strict=True))
        found[name] = {stat: quartiles[stat] if stat in QUARTILES else row[f"{name}|{stat}"] for stat in SUMMARY_STATS}
    return found


def job_stats(*, engine: Engine, job_id: int) -> dict[str, Any]:
    from core.analysis.results_frame import load_results, state_counts
    from core.jobs.lookup import get_job

    job = get_job(engine, job_id)
    _refuse_auto_job(job)
    results = load_results(engine, job, columns=stats_columns(job.task)).lazy()
    return stats_of(job, results, state_counts(engine, [job_id]).get(job_id, dict(NO_DECISIONS)))


def cached_job_stats(*, url: str | None, job_id: int) -> dict[str, Any] | None:
    """job_stats of the store at `url` (default: LABELDECK_DATABASE_URL) read through its own driver
    (core/store/driver_reads.py) and the job's cached results frame, without SQLAlchemy; None when the store must be
    opened the usual way or the frame is not cached (job_stats then builds it)."""
    from core.store import driver_reads

    with driver_reads.open_store(url) as store:
        if store is None:
            return None
        job = driver_reads.get_job(store, job_id)
        _refuse_auto_job(job)
        path = driver_reads.results_cache_path(store, job)
        if not path.exists():
            return None
        by_state = driver_reads.state_counts(store, [job]).get(job.id, dict(NO_DECISIONS))
    return stats_of(job, pl.read_parquet(path, columns=list(stats_columns(job.task))).lazy(), by_state)


def _refuse_auto_job(job: LabelJob | JobRow) -> None:
    if job.kind != JobKind.MANUAL:
        raise BadInput(
            f"job {job.id} {job.name!r} is an auto label job ({job.tag}); Expert Review Stats are for manual label jobs"
        )


def stats_of(job: LabelJob | JobRow, results: pl.LazyFrame, by_state: dict[str, int]) -> dict[str, Any]:
    """The stats of `job` from its results frame (stats_columns) and its review states' counts. The frame's
    aggregations run as one query, in parallel, reading each column once."""
    totals = [pl.len().alias("results"), pl.col("class_changed").sum().alias("changed")]
    if job.task == Task.DETECTION:
        totals += _summary_exprs(SUMMARY_COLUMNS)
    # The in-memory engine, as DataFrame.select: the streaming one sums in another order, and a mean then differs
    # in its last digit from the one the stats always showed.
    by_class, by_kind, total = pl.collect_all(
        [_class_changed_table(results), results.group_by("change_kind").len(), results.select(totals)],
        engine="in-memory",
    )
    row = total.row(0, named=True)
    class_changed = {group: {"true": true, "false": false} for group, true, false in by_class.iter_rows()}
    if job.task == Task.DETECTION:
        class_changed.setdefault(REMOVED_ROW, {"true": 0, "false": 0})
    count = row["results"]
    stats: dict[str, Any] = {
        "job_id": job.id,
        "name": job.name,
        "tag": job.tag,
        "status": job.status,
        "task": job.task,
        "images": job.image_count,
        "results": count,
        "by_state": by_state,
        "change_kinds": _kind_counts(by_kind),
        "class_changed": class_changed,
        "class_changed_share": int(row["changed"] or 0) / count if count else 0.0,
    }
    if job.task == Task.DETECTION:
        summary = _summaries(row, SUMMARY_COLUMNS)
        stats["expert_review_area"] = {"px": summary["px"], "fraction": summary["fraction"]}
        stats["adjustment_factor"] = summary["factor"]
        stats["iou"] = summary["iou"]
    return stats
