"""A job as an import validates and computes it before a single row is written: the draft that core/jobs/saving.py
writes in one transaction, and that the Import page's report counts."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from core.domain.vocabulary import JobKind, JobStatus, Task
from core.storage import Root


@dataclass(frozen=True)
class JobDraft:
    """Everything validated and computed for a job, before a single row is written."""

    name: str
    kind: JobKind
    task: Task
    status: JobStatus
    images_dir: Root
    pre_label_source: str
    classes: pl.DataFrame  # category_id, name, display_name
    images: pl.DataFrame  # image_id, file_name, width, height
    results: pl.DataFrame | None = None  # core.analysis.metrics.RESULT_METRIC_COLUMNS
    predictions: pl.DataFrame | None = None  # image_id, category_id, x, y, w, h, score
    iou_threshold: float = 0.5
    source_job_id: int | None = None
