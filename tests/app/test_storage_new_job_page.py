"""The New manual label job page with its images in a bucket prefix (moto's S3 server on 127.0.0.1): the job is
made from the prefix's images and the Annotate page opens on it; a prefix that is not a URL, or carries
credentials, is refused with a message that does not show them. And in a folder under the data root, which the
user chooses (none is chosen for them)."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from core.jobs.summaries import list_jobs
from core.settings import get_settings
from core.store.db import get_engine
from tests.app.conftest import plain, sign_in_as
from tests.builders import write_detection_job
from tests.manual_builders import animals_spec
from tests.s3_server import s3_root, s3_server  # noqa: F401

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")


def new_job_page(monkeypatch) -> AppTest:
    monkeypatch.setenv("LABELDECK_AUTH", "password")
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("../pages/new_job.py").run()
    return sign_in_as(at, "lead", "admin")


def test_a_job_is_made_from_a_bucket_prefix(s3_root, tmp_path, monkeypatch):
    engine = get_engine(get_settings().database_url)
    animals_spec(engine)
    s3_root.put_folder(write_detection_job(tmp_path / "in").images_dir)
    at = new_job_page(monkeypatch)
    at.text_input(key="new_job_name").input("from-bucket")
    at.radio(key="new_job_images").set_value("A bucket prefix").run()
    at.text_input(key="new_job_bucket").input(s3_root.root)
    at.button(key="create_job").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    (job,) = list_jobs(engine=engine)
    assert (job.name, job.images) == ("from-bucket", 2)


def test_a_prefix_that_is_not_a_url_or_carries_credentials_is_refused(s3_root, monkeypatch):
    animals_spec(get_engine(get_settings().database_url))
    at = new_job_page(monkeypatch)
    at.text_input(key="new_job_name").input("from-bucket")
    at.radio(key="new_job_images").set_value("A bucket prefix").run()
    at.text_input(key="new_job_bucket").input("my-bucket/images")
    at.button(key="create_job").click().run()
    assert [plain(e.value) for e in at.error] == [
        "'my-bucket/images': a bucket prefix is a URL such as s3://bucket/prefix"
    ]
    at.text_input(key="new_job_bucket").input("s3://AKIAEXAMPLE:very-secret@bucket/images")
    at.button(key="create_job").click().run()
    (error,) = [plain(e.value) for e in at.error]
    assert "credentials" in error and "very-secret" not in error and "AKIAEXAMPLE" not in error


def test_a_job_is_made_from_a_folder_chosen_under_the_data_root(data_dir, monkeypatch):
    engine = get_engine(get_settings().database_url)
    animals_spec(engine)
    write_detection_job(data_dir / "street")
    at = new_job_page(monkeypatch)
    at.text_input(key="new_job_name").input("from-folder")
    at.button(key="create_job").click().run()
    assert [plain(e.value) for e in at.error] == ["images: choose a folder under the data root"]
    assert at.selectbox(key="new_job_folder").options == ["street/images"]
    at.selectbox(key="new_job_folder").set_value("street/images")
    at.button(key="create_job").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    (job,) = list_jobs(engine=engine)
    assert (job.name, job.images, job.status) == ("from-folder", 2, "IN_PROGRESS")
    assert plain(at.title[0].value).startswith("Annotate · from-folder")
