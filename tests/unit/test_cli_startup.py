"""`python -m core` imports the heavy libraries only in the commands that use them, and `jobs` and `stats` read
through the store's own driver without SQLAlchemy, SQLModel or pydantic (issue 14: < 0.4 s at 1M results; timed
in bench/REPORT.md, guarded here by what gets imported). The URL forms the driver-only reads rely on are
SQLAlchemy's own."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from core.store.urls import parse_store_url
from tests.builders import ADMIN, write_detection_job

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("sqlalchemy", "sqlmodel", "pydantic", "polars", "psycopg", "streamlit", "plotly", "PIL")


def imported_after(code: str) -> set[str]:
    """The top-level packages of HEAVY that `code`, run in a fresh interpreter, leaves imported."""
    probe = f"{code}\nimport sys, json\nprint(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}})))"
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.splitlines()[-1])) & set(HEAVY)


def test_importing_the_cli_imports_none_of_the_heavy_libraries():
    assert imported_after("import core.cli") == set()


def test_help_imports_none_of_them_either():
    assert (
        imported_after("from core import cli\ntry:\n    cli.main(['jobs', '--help'])\nexcept SystemExit:\n    pass")
        == set()
    )


@pytest.fixture
def store_with_a_job(data_dir, tmp_path) -> tuple[str, int]:
    from core.jobs import ingest
    from core.store.db import get_engine

    url = f"sqlite:///{data_dir / 'store.db'}"
    files = write_detection_job(tmp_path / "in")
    job = ingest.import_detection(
        actor=ADMIN,
        engine=get_engine(url),
        name="street",
        images_dir=files.images_dir,
        pre_path=files.pre_path,
        expert_path=files.expert_path,
    )
    return url, job.id


def test_jobs_and_stats_read_without_sqlalchemy(store_with_a_job):
    url, job_id = store_with_a_job
    run = "from core import cli\nassert cli.main([{}, '--db', {!r}]) == 0"
    assert imported_after(run.format("'jobs', '--json'", url)) == set()
    assert imported_after(run.format(f"'stats', '{job_id}'", url)) == {"polars"}


URLS = [
    "sqlite:////tmp/rb/store.db",
    "sqlite:///relative/store.db",
    "sqlite:///data dir/ümlaut %41 store.db",
    "sqlite://",
    "postgresql+psycopg://postgres@127.0.0.1:5432/test",
    "postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3Dld_test_0123abcd",
    "postgresql+psycopg://ann:s%40cr%3At@db.example:6543/label deck?sslmode=require&application_name=ld",
    "postgresql+psycopg://us%2Fer:@[::1]/db?b=2&a=1&a=0",
    "postgresql+psycopg://db.example/labeldeck?options=-c%20statement_timeout%3D5s",
    "postgresql://user@/labeldeck?host=/var/run/postgresql",
]


@pytest.mark.parametrize("url", URLS)
def test_urls_read_and_print_as_sqlalchemy_reads_and_prints_them(url):
    ours, theirs = parse_store_url(url), make_url(url)
    assert ours.rendered() == theirs.render_as_string(hide_password=True)
    assert (ours.drivername, ours.username, ours.password, ours.host, ours.port, ours.database) == (
        theirs.drivername,
        theirs.username,
        theirs.password,
        theirs.host,
        theirs.port,
        theirs.database,
    )
    assert ours.query == dict(theirs.query)
    assert ours.driver == theirs.get_driver_name() and ours.backend == theirs.get_backend_name()
