"""The store each LabelDeck server of this test session serves, by its URL (tests/e2e/conftest.py _serve records
them): a test links to a job by its id, as a shared link does. A module of its own, not the conftest, which pytest
may import under a second name, with a second dict."""

from __future__ import annotations

from core.jobs.summaries import list_jobs
from core.store.db import get_engine

SERVED_STORES: dict[str, str] = {}


def served_job_id(app_url: str, name: str) -> int:
    jobs = list_jobs(engine=get_engine(SERVED_STORES[app_url]))
    return next(job.id for job in jobs if job.name == name)
