"""Every page of the navigation (dashboard/navigation.py PAGES) opens for a signed-in admin on the demo store: its
script runs without an exception or an error message and shows the page's title. The pages about one job are
opened on one (the job pages on street-scenes, Annotate on the job an expert is labelling), as the app links them.
SQLite, and PostgreSQL when configured (tests/app/conftest.py demo_data)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.jobs.summaries import list_jobs
from core.settings import get_settings
from core.store.db import get_engine
from dashboard.navigation import ANNOTATE_PAGE, JOB_PAGES, PAGES
from tests.app.conftest import plain, signed_in_session

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")
ADMIN_NAME = "smoke-admin"

# The job a page is opened on, by file: the job pages read ?job= (street-scenes, the flagship), Annotate the manual
# job in progress.
JOB_OF = {file: "street-scenes" for file, _title, _icon in JOB_PAGES} | {ANNOTATE_PAGE: "street-scenes-refine"}


@pytest.mark.parametrize(
    ("file", "title"),
    [(file, title) for _section, file, title, _icon, _needs in PAGES],
    ids=[Path(file).stem for _section, file, _title, _icon, _needs in PAGES],
)
def test_each_page_runs_for_an_admin_and_shows_its_title(demo_store, monkeypatch, file, title):
    monkeypatch.setenv("LABELDECK_AUTH", "password")  # a signed-in account of its own, not the demo user
    at = AppTest.from_file(APP, default_timeout=30)
    signed_in_session(at, ADMIN_NAME, "admin").run()
    assert not at.exception, at.exception
    assert any(f"**{ADMIN_NAME}** · admin" in plain(m.value) for m in at.markdown), "not signed in as the admin"
    if file in JOB_OF:
        jobs = {j.name: j.id for j in list_jobs(engine=get_engine(get_settings().database_url))}
        at.query_params["job"] = str(jobs[JOB_OF[file]])
    at.switch_page(file).run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    titles = [plain(t.value) for t in at.title]
    assert titles and (titles[0] == title or titles[0].startswith(f"{title} · ")), titles
    if file in JOB_OF:
        assert titles[0] == f"{title} · {JOB_OF[file]}", titles
