"""Expert Review Stats of a job: counts by review state and change kind, Class Changed per class, and summaries
of Expert Review Area and the Current to Auto/Pre Label Adjustment Factor."""

from __future__ import annotations

from typing import Any

import polars as pl
from sqlalchemy import Engine

from core.errors import BadInput
from core.results_frame import get_job, load_results, state_counts
from core.vocabulary import CHANGE_KINDS, REMOVED_ROW


def class_changed_table(results: pl.DataFrame) -> pl.DataFrame:
    """One row per expert class (and (removed)): true, false, total; most results first."""
    return (
        results.group_by("class_row")
        .agg(
            pl.col("class_changed").sum().cast(pl.Int64).alias("true"),
            (~pl.col("class_changed")).sum().cast(pl.Int64).alias("false"),
            pl.len().cast(pl.Int64).alias("total"),
        )
        .sort(["total", "class_row"], descending=[True, False])
    )


def change_kind_counts(results: pl.DataFrame) -> dict[str, int]:
    counts = dict(results.group_by("change_kind").len().iter_rows())
    return {kind: int(counts.get(kind, 0)) for kind in CHANGE_KINDS}


def summary(values: pl.Series) -> dict[str, float | int | None]:
    values = values.drop_nulls()
    if values.is_empty():
        return {"count": 0, "min": None, "p25": None, "median": None, "p75": None, "max": None, "mean": None}
    return {
        "count": values.len(),
        "min": values.min(),
        "p25": values.quantile(0.25, "linear"),
        "median": values.median(),
        "p75": values.quantile(0.75, "linear"),
        "max": values.max(),
        "mean": values.mean(),
    }


def job_stats(*, engine: Engine, job_id: int) -> dict[str, Any]:
    job = get_job(engine, job_id)
    if job.kind != "manual":
        raise BadInput(f"job {job.id} {job.name!r} is an auto label job ({job.tag}); Expert Review Stats are for "
                       "manual label jobs")
    results = load_results(engine, job)
    table = class_changed_table(results)
    class_changed = {row["class_row"]: {"true": row["true"], "false": row["false"]} for row in table.iter_rows(named=True)}
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
        stats["expert_review_area"] = {
            "px": summary(results["area_px"]),
            "fraction": summary(results["area_fraction"]),
        }
        stats["adjustment_factor"] = summary(results["adjustment_factor"])
        stats["iou"] = summary(results["iou"])
    return stats
