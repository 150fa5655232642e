"""The per-job results frame: immutable per-result columns, written as parquet under the data folder when a job is
imported (and rebuilt from the store if that file is missing), with review states merged in from a narrow query."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import polars as pl
from sqlalchemy import Engine, func, select, text

from core.analysis.frame_cache import results_cache_path
from core.domain.vocabulary import ADDED_ROW, REMOVED_ROW, REVIEW_STATES, REWORKED, ReviewState
from core.store import models
from core.store.bulk import driver_connection

RESULT_COLUMNS = {
    "result_id": pl.Int64,
    "sample_id": pl.Int64,
    "expert_class_id": pl.Int64,
    "pre_class_id": pl.Int64,
    "class_changed": pl.Boolean,
    "change_kind": pl.String,
    "expert_x": pl.Float64,
    "expert_y": pl.Float64,
    "expert_w": pl.Float64,
    "expert_h": pl.Float64,
    "pre_x": pl.Float64,
    "pre_y": pl.Float64,
    "pre_w": pl.Float64,
    "pre_h": pl.Float64,
    "area_px": pl.Float64,
    "area_fraction": pl.Float64,
    "adjustment_factor": pl.Float64,
    "iou": pl.Float64,
    "pre_confidence": pl.Float64,
}
# Reworked results (replaced by a rework job's, core/jobs/rework_return.py) stay in the store for the event log only.
_RESULTS_QUERY = (
    f"SELECT id, {', '.join(list(RESULT_COLUMNS)[1:])} FROM result r WHERE job_id = :job_id AND NOT EXISTS "
    f"(SELECT 1 FROM reviewstate s WHERE s.result_id = r.id AND s.state = '{REWORKED}') ORDER BY id"
)


def _cache_path(engine: Engine, job: models.LabelJob) -> Path:
    return results_cache_path(
        store_url=engine.url.render_as_string(hide_password=True),
        job_id=models.stored_id(job),
        created_at=job.created_at,
        data_revision=job.data_revision,
    )


def finish_frame(results: pl.DataFrame, samples: pl.DataFrame, classes: pl.DataFrame) -> pl.DataFrame:
    """results: RESULT_COLUMNS; samples: sample_id, file_path, width, height; classes: class_id, name.
    Adds the sample's file and size, class names, `class_row` (the expert class, or (removed)) and `pre_class_row`
    (the pre-label class, or (added))."""
    names = classes.select(pl.col("class_id").cast(pl.Int64), pl.col("name"))
    return (
        results.join(samples, on="sample_id", how="left")
        .join(names.rename({"class_id": "expert_class_id", "name": "expert_class"}), on="expert_class_id", how="left")
        .join(names.rename({"class_id": "pre_class_id", "name": "pre_class"}), on="pre_class_id", how="left")
        .with_columns(
            pl.coalesce("expert_class", pl.lit(REMOVED_ROW)).alias("class_row"),
            pl.coalesce("pre_class", pl.lit(ADDED_ROW)).alias("pre_class_row"),
        )
        .drop("expert_class_id", "pre_class_id")
        .sort("result_id")
    )


def write_cached_results(engine: Engine, job: models.LabelJob, frame: pl.DataFrame) -> None:
    path = _cache_path(engine, job)
    path.parent.mkdir(parents=True, exist_ok=True)
    # A name no other writer can take: two app servers sharing the data folder may cache the same job at once.
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        frame.write_parquet(name)
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def load_results(engine: Engine, job: models.LabelJob, *, columns: Sequence[str] | None = None) -> pl.DataFrame:
    """Immutable per-result columns of a job (see finish_frame), from the parquet cache or else the store.
    `columns` reads only those (parquet is columnar: a summary needs a fraction of the file)."""
    path = _cache_path(engine, job)
    if path.exists():
        return pl.read_parquet(path, columns=list(columns) if columns else None)
    job_id = models.stored_id(job)
    frame = finish_frame(_fetch_results(engine, job_id), job_samples(engine, job_id), _fetch_classes(engine, job))
    write_cached_results(engine, job, frame)
    return frame.select(columns) if columns else frame


def _fetch_results(engine: Engine, job_id: int) -> pl.DataFrame:
    with engine.connect() as conn:
        cursor = driver_connection(conn).cursor()
        try:
            # The driver's own cursor: a million rows through SQLAlchemy's Row objects cost several seconds more.
            cursor.execute(*_driver_query(conn, _RESULTS_QUERY, job_id))
            rows = cursor.fetchall()
        finally:
            cursor.close()
    return pl.DataFrame(rows, schema=RESULT_COLUMNS, orient="row")


def _driver_query(conn, query: str, job_id: int) -> tuple[str, tuple]:
    placeholder = "?" if conn.dialect.name == "sqlite" else "%s"
    return query.replace(":job_id", placeholder), (job_id,)


def job_samples(engine: Engine, job_id: int) -> pl.DataFrame:
    """sample_id, file_path, width, height of every image of the job."""
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT id, file_path, width, height FROM sample WHERE job_id = :job_id"), {"job_id": job_id}
        ).all()
    return pl.DataFrame(
        rows,
        schema={"sample_id": pl.Int64, "file_path": pl.String, "width": pl.Int64, "height": pl.Int64},
        orient="row",
    )


def _fetch_classes(engine: Engine, job: models.LabelJob) -> pl.DataFrame:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT id, name FROM labelclass WHERE spec_id = :spec_id"), {"spec_id": job.spec_id}
        ).all()
    return pl.DataFrame(rows, schema={"class_id": pl.Int64, "name": pl.String}, orient="row")


REVIEW_STATE = pl.Enum(list(REVIEW_STATES))


def review_states(engine: Engine, job_id: int) -> pl.DataFrame:
    """result_id, review_state of the results that are not pending: the job's accepted and rejected rows of the
    narrow reviewstate table (a pending result has none), so a fresh job costs one index probe, not a million rows.
    (IN, not <> 'pending': only equality can probe the (job_id, state) index.)"""
    with engine.connect() as conn:
        cursor = driver_connection(conn).cursor()
        try:
            cursor.execute(
                *_driver_query(
                    conn,
                    "SELECT result_id, state FROM reviewstate WHERE job_id = :job_id "
                    f"AND state IN ('{ReviewState.ACCEPTED}', '{ReviewState.REJECTED}')",
                    job_id,
                )
            )
            rows = cursor.fetchall()
        finally:
            cursor.close()
    return pl.DataFrame(rows, schema={"result_id": pl.Int64, "review_state": pl.String}, orient="row").with_columns(
        pl.col("review_state").cast(REVIEW_STATE)
    )


def state_counts(engine: Engine, job_ids: list[int] | None = None) -> dict[int, dict[str, int]]:
    """Review progress per job: the decisions counted on the (job_id, state) index, and pending the rest of the
    job's results (its result_count, which a rework's return keeps without the reworked ones)."""
    if job_ids is not None and not job_ids:
        return {}
    job, state = models.table_of(models.LabelJob), models.table_of(models.ReviewState)
    totals = select(job.c.id, job.c.result_count)
    decided = select(state.c.job_id, state.c.state, func.count()).group_by(state.c.job_id, state.c.state)
    if job_ids is not None:
        totals, decided = totals.where(job.c.id.in_(job_ids)), decided.where(state.c.job_id.in_(job_ids))
    with engine.connect() as conn:
        total_rows, decided_rows = conn.execute(totals).all(), conn.execute(decided).all()
    counts = {
        job_id: {**dict.fromkeys(REVIEW_STATES, 0), ReviewState.PENDING.value: total} for job_id, total in total_rows
    }
    for job_id, state, n in decided_rows:
        if state in REVIEW_STATES:  # reworked results are no longer the job's to review
            counts[job_id][state] = n
            counts[job_id][ReviewState.PENDING] -= n
    return {job_id: c for job_id, c in counts.items() if sum(c.values())}


def result_state(engine: Engine, *, job_id: int, result_id: int) -> str | None:
    """The review state of one result as the store holds it now (the viewer's, which outlives the page's frame);
    None when the job has no such result."""
    with engine.connect() as conn:
        return conn.execute(
            text(
                f"SELECT COALESCE(s.state, '{ReviewState.PENDING}') FROM result r "
                "LEFT JOIN reviewstate s ON s.result_id = r.id "
                "WHERE r.id = :id AND r.job_id = :job_id"
            ),
            {"id": result_id, "job_id": job_id},
        ).scalar_one_or_none()
