"""How good a job's pre-labels were: `job_quality`, computed once per revision of the job's results and cached.

The figures depend on the labels only: expert labels are the truth whatever a reviewer decides, so a review action
changes nothing here, and a new data revision (a rework's return) makes a new cache file. The cache is a JSON file
beside the results frame (core.analysis.frame_cache), not an in-process cache: the command line starts a fresh
process every time and two app servers share the data folder, and the file is a few kilobytes whatever the job's
size, read in milliseconds. `cached_job_quality` reads it through the store's own driver, without SQLAlchemy."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.analysis.frame_cache import job_cache_path
from core.domain.errors import BadInput
from core.domain.vocabulary import JobKind, JobStatus

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from core.analysis.quality.figures import JobQuality
    from core.store.driver_reads import JobRow
    from core.store.models import LabelJob

# Bumped when a figure's definition or the file's shape changes, so files written by older code are not read.
QUALITY_VERSION = 1


def job_quality(*, engine: Engine, job_id: int) -> JobQuality:
    """The pre-label quality of READY manual label job `job_id` (NotFound, or BadInput for any other job)."""
    from core.analysis.quality.compute import quality_columns, quality_of
    from core.analysis.quality.figures import JobQuality
    from core.analysis.results_frame import load_results
    from core.jobs.lookup import get_job
    from core.jobs.specs import get_spec_classes
    from core.store import models

    job = get_job(engine, job_id)
    require_ready_manual_job(job)
    path = _cache_path(engine.url.render_as_string(hide_password=True), job)
    cached = _read(path)
    if cached is not None:
        return JobQuality.from_json(cached)
    quality = quality_of(
        load_results(engine, job, columns=quality_columns(job.task)),
        job_id=models.stored_id(job),
        task=job.task,
        iou_threshold=job.iou_threshold,
        data_revision=job.data_revision,
        classes=[c.name for c in get_spec_classes(engine=engine, spec_id=job.spec_id)],
    )
    _write(path, quality.to_json())
    return quality


def cached_job_quality(*, url: str | None, job_id: int) -> dict[str, Any] | None:
    """JobQuality.to_json() of job `job_id` of the store at `url` (default: LABELDECK_DATABASE_URL) from its cache
    file, read through the store's own driver (core/store/driver_reads.py); None when the store must be opened the
    usual way or nothing is cached yet (job_quality then computes it)."""
    from core.store import driver_reads

    with driver_reads.open_store(url) as store:
        if store is None:
            return None
        job = driver_reads.get_job(store, job_id)
        require_ready_manual_job(job)
        return _read(_cache_path(store.url.rendered(), job))


def require_ready_manual_job(job: LabelJob | JobRow) -> None:
    if job.kind != JobKind.MANUAL:
        raise BadInput(
            f"job {job.id} {job.name!r} is an auto label job ({job.tag}): pre-label quality is measured on a "
            "manual label job, against its expert labels"
        )
    if job.status != JobStatus.READY:
        raise BadInput(
            f"job {job.id} {job.name!r} is {job.status}: pre-label quality needs its expert labels, a READY job"
        )


def _cache_path(store_url: str, job: LabelJob | JobRow) -> Path:
    assert job.id is not None
    return job_cache_path(
        f"quality-v{QUALITY_VERSION}",
        ".json",
        store_url=store_url,
        job_id=job.id,
        created_at=job.created_at,
        data_revision=job.data_revision,
    )


def _read(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except ValueError:  # a file cut short by a full disk: computed again and replaced
        return None


def _write(path: Path, figures: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # A name no other writer can take: two app servers sharing the data folder may cache the same job at once.
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(figures, out, allow_nan=False)
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
