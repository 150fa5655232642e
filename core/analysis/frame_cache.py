"""Where a job's results frame is cached (parquet under the data folder), and files computed from it (the
pre-labels' quality, core.analysis.quality). A module of its own, light on imports: the app
(core.analysis.results_frame) and the CLI's driver reads (core.store.driver_reads) must name the same file."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

from core.settings import get_settings

# Bumped when the frame's columns change, so caches written by older code are not read.
FRAME_VERSION = 2


def results_cache_path(*, store_url: str, job_id: int, created_at: datetime, data_revision: int) -> Path:
    """`store_url` as printed with the password hidden. The store's URL and the job's creation time are in the key:
    two stores sharing a data folder (tests, bench), or a job id reused after a delete, never read each other's
    frame; the data revision makes a new file whenever the results change."""
    return job_cache_path(
        f"results-v{FRAME_VERSION}",
        ".parquet",
        store_url=store_url,
        job_id=job_id,
        created_at=created_at,
        data_revision=data_revision,
    )


def job_cache_path(
    kind: str, suffix: str, *, store_url: str, job_id: int, created_at: datetime, data_revision: int
) -> Path:
    """A file computed from one revision of a job's results, keyed as results_cache_path keys the frame."""
    if created_at.tzinfo is not None:  # SQLite hands back naive UTC; PostgreSQL an aware time: key both the same way
        created_at = created_at.astimezone(UTC).replace(tzinfo=None)
    digest = hashlib.sha1(f"{store_url}|{job_id}|{created_at.isoformat()}".encode()).hexdigest()[:12]
    return get_settings().cache_dir / f"{kind}-job{job_id}-rev{data_revision}-{digest}{suffix}"
