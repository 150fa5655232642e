"""The Labeling Jobs page through Streamlit's AppTest: cards, filters, buttons, empty state."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.jobs.summaries import list_jobs
from core.settings import get_settings
from core.store.db import get_engine
from tests.app.conftest import plain, sign_in_as

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")


def run_app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    assert not at.exception, at.exception
    return at


def card_keys(at: AppTest) -> set[str]:
    return {b.key for b in at.button if b.key and b.key.startswith("visualize_")}


def test_cards_show_every_job_with_its_numbers(demo_store):
    at = run_app()
    assert at.title[0].value == "Labeling Jobs"
    jobs = list_jobs(engine=get_engine(get_settings().database_url))
    assert len(jobs) == 5
    assert card_keys(at) == {f"visualize_{j.id}" for j in jobs}
    text = " ".join(m.value for m in at.markdown)
    street = next(j for j in jobs if j.name == "street-scenes")
    assert f"{street.images:,} images · {street.results:,} results · 5 classes · detection" in text
    badges = [m.value for m in at.markdown if m.value.startswith(":")]
    assert any("M-LA-OD" in b for b in badges) and any("M-LA-CL" in b for b in badges)
    assert any("PROCESSING" in b for b in badges) and any("IN PROGRESS" in b for b in badges)
    refine = next(j for j in jobs if j.name == "street-scenes-refine")  # an expert a quarter of the way through
    assert at.button(key=f"annotate_{refine.id}").label == "Annotate"
    assert f"4 of {refine.images} images labelled or skipped" in " ".join(p.proto.text for p in at.get("progress"))


def test_visualize_is_enabled_only_for_ready_manual_jobs(demo_store):
    at = run_app()
    by_name = {j.name: j for j in list_jobs(engine=get_engine(get_settings().database_url))}
    enabled = {name: not at.button(key=f"visualize_{job.id}").disabled for name, job in by_name.items()}
    assert enabled == {
        "street-scenes": True,
        "fruit-stand": True,
        "street-scenes-autolabel": False,  # auto label job
        "street-scenes-v2-autolabel": False,  # PROCESSING
        "street-scenes-refine": False,  # IN_PROGRESS: the expert is still labelling
    }
    assert all(not at.button(key=f"catalog_{job.id}").disabled for job in by_name.values())


def test_an_admin_is_offered_import_beside_new_job_and_import_opens_its_page(demo_store):
    at = run_app()  # no sign-in: the demo user, an admin
    assert (at.button(key="import_job").label, at.button(key="new_job").label) == (
        "Import finished job",
        "New manual label job",
    )
    at.button(key="import_job").click().run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Import finished job"


@pytest.mark.parametrize("role", ["reviewer", "viewer"])
def test_only_admins_are_offered_import_and_new_job(demo_store, monkeypatch, role):
    monkeypatch.setenv("LABELDECK_AUTH", "password")
    at = sign_in_as(AppTest.from_file(APP, default_timeout=30), f"jobs-{role}", role)
    assert at.title[0].value == "Labeling Jobs"
    assert not [b for b in at.button if b.key in ("import_job", "new_job")]


def test_visualize_opens_the_job_page_with_its_id(demo_store):
    at = run_app()
    street = next(j for j in list_jobs(engine=get_engine(get_settings().database_url)) if j.name == "street-scenes")
    at.button(key=f"visualize_{street.id}").click().run()
    assert not at.exception, at.exception
    assert at.query_params["job"] == str(street.id)
    assert plain(at.title[0].value) == "Visualize · street-scenes"


def test_catalog_opens_the_catalog_page(demo_store):
    at = run_app()
    fruit = next(j for j in list_jobs(engine=get_engine(get_settings().database_url)) if j.name == "fruit-stand")
    at.button(key=f"catalog_{fruit.id}").click().run()
    assert plain(at.title[0].value) == "Catalog · fruit-stand"


def test_filters_narrow_the_cards(demo_store):
    at = run_app()
    jobs = {j.name: j.id for j in list_jobs(engine=get_engine(get_settings().database_url))}
    at.multiselect(key="jobs_status").set_value(["PROCESSING"]).run()
    assert card_keys(at) == {f"visualize_{jobs['street-scenes-v2-autolabel']}"}
    at.multiselect(key="jobs_status").set_value([]).run()
    at.multiselect(key="jobs_tag").set_value(["M-LA-CL", "M-LA-OD"]).run()
    assert card_keys(at) == {
        f"visualize_{jobs[name]}" for name in ("fruit-stand", "street-scenes", "street-scenes-refine")
    }
    at.text_input(key="jobs_search").input("FRUIT").run()
    assert card_keys(at) == {f"visualize_{jobs['fruit-stand']}"}
    at.text_input(key="jobs_search").input("no such job").run()
    assert card_keys(at) == set()
    assert "No jobs match these filters." in [i.value for i in at.info]


def test_empty_store_says_how_to_start():
    at = run_app()
    assert card_keys(at) == set()
    assert "python -m core demo" in at.info[0].value


def test_unknown_job_id_is_a_message_not_a_traceback(demo_store):
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params["job"] = "9999"
    at.switch_page("../pages/visualize.py").run()
    assert not at.exception
    assert "There is no job with id '9999'." in at.error[0].value
    at.query_params["job"] = "abc"
    at.switch_page("../pages/catalog.py").run()
    assert "There is no job with id 'abc'." in at.error[0].value


def test_visualize_refuses_a_job_that_is_not_ready(demo_store):
    processing = next(j for j in list_jobs(engine=get_engine(get_settings().database_url)) if j.status == "PROCESSING")
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params["job"] = str(processing.id)
    at.switch_page("../pages/visualize.py").run()
    assert not at.exception
    assert "Visualize is for READY manual label jobs" in at.warning[0].value
