"""Fixtures the ResultSet, export and datalog tests share: the small catalog job (tests/resultset_builders.py) and
its result ids. A module that needs another `job` defines its own, which takes precedence."""

from __future__ import annotations

import pytest

from tests.resultset_builders import import_catalog_job, result_ids


@pytest.fixture
def job(engine, tmp_path):
    return import_catalog_job(engine, tmp_path / "job")


@pytest.fixture
def ids(engine, job):
    return result_ids(engine, job.id)
