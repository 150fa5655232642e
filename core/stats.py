"""Expert Review Stats of a job: counts by review state and change kind, Class Changed per class, and summaries
of Expert Review Area and the Current to Auto/Pre Label Adjustment Factor."""

from __future__ import annotations

from typing import Any

import polars as pl
from sqlalchemy import Engine

from core.errors import BadInput
from core.queries import class_changed_table
from core.results_frame import get_job, load_results, state_counts
from core.vocabulary import CHANGE_KINDS, REMOVED_ROW

STATS_COLUMNS = ("class_row", "class_changed", "change_kind", "area_px", "area_fraction", "adjustment_factor", "iou")
SUMMARY = {
    "count": lambda c: c.count(),
    "min": lambda c: c.min(),
    "p25": lambda c: c.quantile(0.25, "linear"),
    "median": lambda c: c.median(),
    "p75": lambda c: c.quantile(0.75, "linear"),
    "max": lambda c: c.max(),
    "mean": lambda c: c.mean(),
}


def change_kind_counts(results: pl.DataFrame) -> dict[str, int]:
    counts = dict(results.group_by("change_kind").len().iter_rows())
    return {kind: int(counts.get(kind, 0)) for kind in CHANGE_KINDS}


def summaries(results: pl.DataFrame, columns: dict[str, str]) -> dict[str, dict[str, float | int | None]]:
    """count (non-null), min, p25, median, p75, max, mean of each column, all in one parallel pass."""
    row = results.select(
        fn(pl.col(column)).alias(f"{name}|{stat}") for name, column in columns.items() for stat, fn in SUMMARY.items()
    ).row(0, named=True)
    return {name: {stat: row[f"{name}|{stat}"] for stat in SUMMARY} for name in columns}


def job_stats(*, engine: Engine, job_id: int) -> dict[str, Any]:
    job = get_job(engine, job_id)
    if job.kind != "manual":
        raise BadInput(f"job {job.id} {job.name!r} is an auto label job ({job.tag}); Expert Review Stats are for "
                       "manual label jobs")
    results = load_results(engine, job, columns=STATS_COLUMNS)
    table = class_changed_table(results, "class_row")
    class_changed = {group: {"true": true, "false": false} for group, true, false, _ in table.iter_rows()}
    if job.task == "detection":
        class_changed.setdefault(REMOVED_ROW, {"true": 0, "false": 0})
    changed = int(results["class_changed"].sum()) if results.height else 0
    stats: dict[str, Any] = {
        "job_id": job.id,
        "name": job.name,
        "tag": job.tag,
        "status": job.status,
        "task": job.task,
        "images": job.image_count,
        "results": results.height,
        "by_state": state_counts(engine, [job.id]).get(job.id, {"pending": 0, "accepted": 0, "rejected": 0}),
        "change_kinds": change_kind_counts(results),
        "class_changed": class_changed,
        "class_changed_share": changed / results.height if results.height else 0.0,
    }
    if job.task == "detection":
        summary = summaries(results, {"px": "area_px", "fraction": "area_fraction",
                                      "factor": "adjustment_factor", "iou": "iou"})
        stats["expert_review_area"] = {"px": summary["px"], "fraction": summary["fraction"]}
        stats["adjustment_factor"] = summary["factor"]
        stats["iou"] = summary["iou"]
    return stats
