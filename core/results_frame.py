"""The per-job results frame: immutable per-result columns loaded once (cached by job id and data revision as
parquet under the data folder), with review states merged in from a narrow query."""

from __future__ import annotations

import hashlib
from pathlib import Path

import polars as pl
from sqlalchemy import Engine, text
from sqlmodel import Session

from core import models
from core.errors import NotFound
from core.settings import get_settings
from core.vocabulary import REMOVED_ROW

FRAME_SCHEMA = {
    "result_id": pl.Int64, "sample_id": pl.Int64, "file_path": pl.String, "width": pl.Int64, "height": pl.Int64,
    "expert_class": pl.String, "pre_class": pl.String, "class_changed": pl.Boolean, "change_kind": pl.String,
    "expert_x": pl.Float64, "expert_y": pl.Float64, "expert_w": pl.Float64, "expert_h": pl.Float64,
    "pre_x": pl.Float64, "pre_y": pl.Float64, "pre_w": pl.Float64, "pre_h": pl.Float64,
    "area_px": pl.Float64, "area_fraction": pl.Float64, "adjustment_factor": pl.Float64, "iou": pl.Float64,
    "pre_confidence": pl.Float64,
}

_FRAME_QUERY = text("""
    SELECT r.id, r.sample_id, s.file_path, s.width, s.height, ec.name, pc.name, r.class_changed, r.change_kind,
           r.expert_x, r.expert_y, r.expert_w, r.expert_h, r.pre_x, r.pre_y, r.pre_w, r.pre_h,
           r.area_px, r.area_fraction, r.adjustment_factor, r.iou, r.pre_confidence
    FROM result r
    JOIN sample s ON s.id = r.sample_id
    LEFT JOIN labelclass ec ON ec.id = r.expert_class_id
    LEFT JOIN labelclass pc ON pc.id = r.pre_class_id
    WHERE r.job_id = :job_id
    ORDER BY r.id
""")


def get_job(engine: Engine, job_id: int) -> models.LabelJob:
    with Session(engine) as session:
        job = session.get(models.LabelJob, job_id)
    if job is None:
        raise NotFound(f"job {job_id} not found")
    return job


def _cache_path(engine: Engine, job: models.LabelJob) -> Path:
    # The URL's hash keeps two stores sharing one data folder (tests, bench) from reading each other's frames.
    store = hashlib.sha1(engine.url.render_as_string(hide_password=True).encode()).hexdigest()[:10]
    return get_settings().cache_dir / f"results-{store}-job{job.id}-rev{job.data_revision}.parquet"


def load_results(engine: Engine, job: models.LabelJob) -> pl.DataFrame:
    """Immutable per-result columns of a job, with `class_row`: the expert class, or (removed)."""
    path = _cache_path(engine, job)
    if path.exists():
        return pl.read_parquet(path)
    with engine.connect() as conn:
        rows = conn.execute(_FRAME_QUERY, {"job_id": job.id}).all()
    frame = pl.DataFrame(rows, schema=FRAME_SCHEMA, orient="row").with_columns(
        pl.coalesce("expert_class", pl.lit(REMOVED_ROW)).alias("class_row")
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    frame.write_parquet(tmp)
    tmp.replace(path)
    return frame


def review_states(engine: Engine, job_id: int) -> pl.DataFrame:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT id, review_state FROM result WHERE job_id = :job_id"), {"job_id": job_id}
        ).all()
    return pl.DataFrame(rows, schema={"result_id": pl.Int64, "review_state": pl.String}, orient="row")


def state_counts(engine: Engine, job_ids: list[int] | None = None) -> dict[int, dict[str, int]]:
    """Review progress per job, from the (job_id, review_state) index alone."""
    query = "SELECT job_id, review_state, COUNT(*) FROM result"
    params = {}
    if job_ids is not None:
        if not job_ids:
            return {}
        query += " WHERE job_id IN (" + ", ".join(f":j{i}" for i in range(len(job_ids))) + ")"
        params = {f"j{i}": j for i, j in enumerate(job_ids)}
    query += " GROUP BY job_id, review_state"
    counts: dict[int, dict[str, int]] = {}
    with engine.connect() as conn:
        for job_id, state, n in conn.execute(text(query), params):
            counts.setdefault(job_id, {"pending": 0, "accepted": 0, "rejected": 0})[state] = n
    return counts
