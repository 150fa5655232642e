"""The Import finished job page through AppTest, its label files named by their paths under the data folder (AppTest
cannot upload; the e2e test uploads): Check reports what the import would make and writes nothing, Import writes it
and opens Visualize; a malformed file, an unknown class, a name already taken (replaced only once confirmed), a
classification CSV; a page that only admins are offered."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core import ingest
from core.db import get_engine
from core.jobs import list_jobs
from core.settings import get_settings
from core.stats import job_stats
from tests.app.conftest import plain, sign_in_as
from tests.builders import (
    ADMIN,
    CATEGORIES,
    EXPERT_ANNOTATIONS,
    IMAGES,
    coco_dataset,
    table_counts,
    write_classification_job,
    write_detection_job,
    write_json,
)

APP = str(Path(__file__).resolve().parents[2] / "streamlit_app.py")


def store():
    return get_engine(get_settings().database_url)


@pytest.fixture
def job_files(data_dir: Path):
    """The standard detection job (tests/builders.py) under the data folder: images/, expert.json, pre.json."""
    return write_detection_job(data_dir / "street")


def import_page(monkeypatch, role: str = "admin") -> AppTest:
    monkeypatch.setenv("LABELDECK_AUTH", "password")
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("pages/import_job.py").run()
    return sign_in_as(at, "lead", role)


def fill_detection(at: AppTest, name: str, *, expert: str = "street/expert.json", pre: str = "street/pre.json",
                   folder: str = "street/images") -> AppTest:
    at.text_input(key="import_name").input(name)
    at.selectbox(key="import_folder").set_value(folder)
    at.radio(key="import_expert_how").set_value("A path under the data root")
    at.radio(key="import_pre_how").set_value("A path under the data root").run()
    at.text_input(key="import_expert_path").input(expert)
    at.text_input(key="import_pre_path").input(pre)
    return at.run()


def check(at: AppTest) -> AppTest:
    at.button(key="import_check_button").click().run()
    assert not at.exception, at.exception
    return at


def landed_on_visualize(at: AppTest, name: str) -> bool:
    return any(name in plain(t.value) for t in at.title) and "import_name" not in [w.key for w in at.text_input]


def problems(at: AppTest) -> list[str]:
    (code,) = at.code
    return code.value.splitlines()


def test_check_reports_the_counts_and_nothing_is_written_until_import(job_files, monkeypatch):
    at = fill_detection(import_page(monkeypatch), "street-import")
    before = table_counts(store())
    assert at.button(key="import_button").disabled  # nothing checked yet
    check(at)
    assert not at.error, [e.value for e in at.error]
    (success,) = at.success
    assert plain(success.value) == ("Check passed: street-import would have 2 images, 6 results and 3 classes. "
                                    "Nothing is written until you import.")
    assert any(plain(m.value) == "**Class Changed** 3 of 6 results (50.0%) · unchanged 1 · adjusted 2 · "
               "relabeled 1 · added 1 · removed 1" for m in at.markdown)
    assert table_counts(store()) == before and not list_jobs(engine=store())
    assert not at.button(key="import_button").disabled
    at.button(key="import_button").click().run()
    assert not at.exception, at.exception
    (job,) = list_jobs(engine=store())
    assert (job.name, job.tag, job.images, job.results) == ("street-import", "M-LA-OD", 2, 6)
    assert at.query_params["job"] == str(job.id) and landed_on_visualize(at, job.name)
    expected = ingest.import_detection(engine=store(), name="cli", images_dir=job_files.images_dir,
                                       expert_path=job_files.expert_path, pre_path=job_files.pre_path, actor=ADMIN)
    stats = {k: v for k, v in job_stats(engine=store(), job_id=job.id).items() if k not in ("job_id", "name")}
    assert stats == {k: v for k, v in job_stats(engine=store(), job_id=expected.id).items()
                     if k not in ("job_id", "name")}


def test_changed_inputs_need_another_check(job_files, monkeypatch):
    at = check(fill_detection(import_page(monkeypatch), "street-import"))
    assert not at.button(key="import_button").disabled
    at.number_input(key="import_iou").set_value(0.3).run()
    assert at.button(key="import_button").disabled and not at.success
    assert "check again" in at.caption[-1].value


def test_a_malformed_label_file_names_the_file_and_record_and_writes_nothing(job_files, data_dir, monkeypatch):
    broken = [*EXPERT_ANNOTATIONS[:2], {**EXPERT_ANNOTATIONS[2], "bbox": [0, 30, -5, 10]}, *EXPERT_ANNOTATIONS[3:]]
    write_json(data_dir / "street" / "broken.json", coco_dataset(IMAGES, broken, CATEGORIES))
    at = check(fill_detection(import_page(monkeypatch), "street-import", expert="street/broken.json"))
    assert "Check failed: 1 problem found" in at.error[0].value
    assert problems(at) == ["street/broken.json: annotation 3 (image 1 'a.png'): box [0.0, 30.0, -5.0, 10.0] has non-positive width or height"]
    assert at.button(key="import_button").disabled
    assert not list_jobs(engine=store())


def test_an_unknown_class_is_named(job_files, data_dir, monkeypatch):
    unknown = [*EXPERT_ANNOTATIONS[:4], {**EXPERT_ANNOTATIONS[4], "category_id": 9}]
    write_json(data_dir / "street" / "unknown.json", coco_dataset(IMAGES, unknown, CATEGORIES))
    at = check(fill_detection(import_page(monkeypatch), "street-import", expert="street/unknown.json"))
    assert problems(at) == ["street/unknown.json: annotation 5 (image 2 'b.png'): unknown category id 9"]
    assert not list_jobs(engine=store())


def test_a_label_outside_the_classes_given_is_named(data_dir, monkeypatch):
    write_classification_job(data_dir / "fruit")
    at = fill_classification(import_page(monkeypatch), "fruit-import")
    at.text_input(key="import_classes").input("apple, pear").run()
    check(at)
    (problem,) = problems(at)
    assert problem.startswith("fruit/labels.csv: line 5") and "'plum'" in problem, problem
    assert not list_jobs(engine=store())


def test_a_name_taken_is_replaced_only_once_confirmed(job_files, data_dir, monkeypatch):
    fruit = write_classification_job(data_dir / "fruit")
    old = ingest.import_classification(engine=store(), name="street", images_dir=fruit.images_dir,
                                       csv_path=fruit.csv_path, actor=ADMIN)
    at = check(fill_detection(import_page(monkeypatch), "street"))
    (warning,) = at.warning
    assert plain(warning.value).startswith(f"A job named **street** already exists: #{old.id}, M-LA-CL, 4 images")
    assert at.button(key="import_button").label == "Replace job" and at.button(key="import_button").disabled
    at.checkbox(key="import_replace").check().run()
    assert [j.id for j in list_jobs(engine=store())] == [old.id]  # nothing replaced before the click
    at.button(key="import_button").click().run()
    assert not at.exception, at.exception
    (job,) = list_jobs(engine=store())
    assert (job.name, job.tag, job.images) == ("street", "M-LA-OD", 2)
    assert at.query_params["job"] == str(job.id) and landed_on_visualize(at, job.name)


def fill_classification(at: AppTest, name: str) -> AppTest:
    at.segmented_control(key="import_task").set_value("classification").run()
    at.text_input(key="import_name").input(name)
    at.selectbox(key="import_folder").set_value("fruit/images")
    at.radio(key="import_labels_from").set_value("A CSV")
    at.radio(key="import_csv_how").set_value("A path under the data root").run()
    at.text_input(key="import_csv_path").input("fruit/labels.csv")
    return at.run()


def test_classification_from_a_csv(data_dir, monkeypatch):
    write_classification_job(data_dir / "fruit")
    at = check(fill_classification(import_page(monkeypatch), "fruit-import"))
    assert plain(at.success[0].value).startswith("Check passed: fruit-import would have 4 images, 4 results and 3 "
                                                 "classes.")
    assert any(plain(m.value) == "**Class Changed** 2 of 4 results (50.0%) · unchanged 2 · relabeled 2"
               for m in at.markdown)
    at.button(key="import_button").click().run()
    (job,) = list_jobs(engine=store())
    assert (job.name, job.tag, job.images, job.results, job.classes) == (
        "fruit-import", "M-LA-CL", 4, 4, ["apple", "pear", "plum"])


@pytest.mark.parametrize("role", ["viewer", "reviewer"])
def test_others_than_admins_see_no_form(role, monkeypatch):
    at = import_page(monkeypatch, role)
    assert [c.value for c in at.caption if "Read-only" in c.value] == [
        f":material/visibility: Read-only: you are signed in as a {role}; importing a job needs the admin role."]
    assert not at.text_input and [b.key for b in at.button] == ["sign_out"]
