"""The catalog of a job: its samples with their labels and review states, one row per sample, searchable and
paged. (Its ResultSets and datalog tables: core.review.resultsets.list_resultsets, core.exports.list_datalog_tables.)"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl
from sqlalchemy import Engine

from core.analysis.queries import with_states
from core.analysis.results_frame import job_samples, load_results, review_states
from core.domain.errors import BadInput
from core.domain.vocabulary import REVIEW_STATES, JobKind
from core.jobs.lookup import get_job
from core.labels.label_boxes import predicted_classes

if TYPE_CHECKING:
    from polars._typing import PolarsDataType

CATALOG_SCHEMA: dict[str, PolarsDataType] = {
    "sample_id": pl.Int64,
    "file_path": pl.String,
    "width": pl.Int64,
    "height": pl.Int64,
    "classes": pl.List(pl.String),
    "results": pl.Int64,
    "pending": pl.Int64,
    "accepted": pl.Int64,
    "rejected": pl.Int64,
}


def catalog_samples(
    *, engine: Engine, job_id: int, search: str = "", limit: int = 50, offset: int = 0
) -> tuple[pl.DataFrame, int]:
    """One page of the job's samples by file path (CATALOG_SCHEMA: `classes` are the expert classes of the image,
    or, for an auto label job, which has no results, its predicted classes; sorted, each once; `results` and the
    counts per review state), and how many samples match in all.
    `search` matches, case-insensitively, part of the file path or of one of its `classes`. Images without
    results are listed too, with no classes and zero counts."""
    if limit < 1 or offset < 0:
        raise BadInput(f"catalog page: limit {limit} must be at least 1 and offset {offset} at least 0")
    job = get_job(engine, job_id)
    results = with_states(
        load_results(engine, job, columns=["result_id", "sample_id", "expert_class"]), review_states(engine, job_id)
    )
    per_sample = results.group_by("sample_id").agg(
        pl.col("expert_class").drop_nulls().unique().sort().alias("classes"),
        pl.len().alias("results"),
        *[(pl.col("review_state") == state).sum().alias(state) for state in REVIEW_STATES],
    )
    if job.kind == JobKind.AUTO:  # its labels are the predictions: a search by class finds the images a model saw it in
        per_sample = predicted_classes(engine=engine, job_id=job_id).join(
            per_sample.drop("classes"), on="sample_id", how="left"
        )
    samples = (
        job_samples(engine, job_id)
        .join(per_sample, on="sample_id", how="left")
        .with_columns(
            pl.col("classes").fill_null(pl.lit([], dtype=pl.List(pl.String))),
            *[pl.col(c).fill_null(0) for c in ("results", *REVIEW_STATES)],
        )
    )
    needle = search.strip().lower()
    if needle:
        samples = samples.filter(
            pl.col("file_path").str.to_lowercase().str.contains(needle, literal=True)
            | pl.col("classes").list.eval(pl.element().str.to_lowercase().str.contains(needle, literal=True)).list.any()
        )
    ordered = samples.sort("file_path", "sample_id").select(
        [pl.col(name).cast(dtype) for name, dtype in CATALOG_SCHEMA.items()]
    )
    return ordered.slice(offset, limit), ordered.height
