"""The Import finished job page through AppTest, its label files named by their paths under the data folder (AppTest
cannot upload; the e2e test uploads): Check reports what the import would make and writes nothing, Import writes it
and opens Visualize; a malformed file, an unknown class, a name already taken (replaced only once confirmed), a
classification CSV; a page that only admins are offered."""

from __future__ import annotations

import dataclasses
import io
import zipfile
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.analysis.stats import job_stats
from core.jobs import ingest
from core.jobs.summaries import list_jobs
from core.settings import get_settings
from core.store.db import get_engine
from dashboard.image_source import FOLDER, ZIP, ImageSource, forget_extracted_zip
from dashboard.import_check import run_check
from dashboard.import_form import FROM_LABEL_FILES, ImportInputs, LabelSource
from tests.app.conftest import page_alone, plain, sign_in_as
from tests.builders import (
    ADMIN,
    CATEGORIES,
    CLASSIFICATION_ROWS,
    EXPERT_ANNOTATIONS,
    IMAGES,
    PRE_RESULTS,
    coco_dataset,
    table_counts,
    write_classification_job,
    write_detection_job,
    write_json,
)
from tests.store.label_format_helpers import by_file, write_cvat

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")


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
    at.switch_page("../pages/import_job.py").run()
    return sign_in_as(at, "lead", role)


def fill_detection(
    at: AppTest,
    name: str,
    *,
    expert: str = "street/expert.json",
    pre: str = "street/pre.json",
    folder: str = "street/images",
) -> AppTest:
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


def yolo_zip(path: Path) -> Path:
    """The standard pre-labels as Ultralytics writes them, zipped as a folder: yolo/classes.txt and
    yolo/labels/<stem>.txt with `class cx cy w h confidence` in fractions of the image."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("yolo/classes.txt", "".join(f"{c['name']}\n" for c in CATEGORIES))
        for image in IMAGES:
            width, height = image["width"], image["height"]
            lines = [
                f"{r['category_id'] - 1} {(x + w / 2) / width:.6f} {(y + h / 2) / height:.6f} {w / width:.6f} "
                f"{h / height:.6f} {r['score']}\n"
                for r in PRE_RESULTS
                if r["image_id"] == image["id"]
                for x, y, w, h in [r["bbox"]]
            ]
            archive.writestr(f"yolo/labels/{Path(image['file_name']).stem}.txt", "".join(lines))
    return path


class Upload(io.BytesIO):
    """What st.file_uploader returns, as far as the page reads it."""

    def __init__(self, path: Path, name: str | None = None) -> None:
        super().__init__(path.read_bytes())
        self.name = name or path.name
        self.file_id = f"id-{self.name}"


def uploaded(what: str, path: Path, name: str | None = None) -> LabelSource:
    upload = Upload(path, name)
    return LabelSource(what=what, upload=upload, upload_id=upload.file_id)


def test_check_reports_the_counts_and_nothing_is_written_until_import(job_files, monkeypatch):
    at = fill_detection(import_page(monkeypatch), "street-import")
    before = table_counts(store())
    assert at.button(key="import_button").disabled  # nothing checked yet
    check(at)
    assert not at.error, [e.value for e in at.error]
    (success,) = at.success
    assert plain(success.value) == (
        "Check passed: street-import would have 2 images, 6 results and 3 classes. Nothing is written until you import."
    )
    assert any(
        plain(m.value) == "**Class Changed** 3 of 6 results (50.0%) · unchanged 1 · adjusted 2 · "
        "relabeled 1 · added 1 · removed 1"
        for m in at.markdown
    )
    assert table_counts(store()) == before and not list_jobs(engine=store())
    assert not at.button(key="import_button").disabled
    at.button(key="import_button").click().run()
    assert not at.exception, at.exception
    (job,) = list_jobs(engine=store())
    assert (job.name, job.tag, job.images, job.results) == ("street-import", "M-LA-OD", 2, 6)
    assert at.query_params["job"] == str(job.id) and landed_on_visualize(at, job.name)
    expected = ingest.import_detection(
        engine=store(),
        name="cli",
        images_dir=job_files.images_dir,
        expert_path=job_files.expert_path,
        pre_path=job_files.pre_path,
        actor=ADMIN,
    )
    stats = {k: v for k, v in job_stats(engine=store(), job_id=job.id).items() if k not in ("job_id", "name")}
    assert stats == {
        k: v for k, v in job_stats(engine=store(), job_id=expected.id).items() if k not in ("job_id", "name")
    }


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
    assert problems(at) == [
        "street/broken.json: annotation 3 (image 1 'a.png'): box [0.0, 30.0, -5.0, 10.0] has "
        "non-positive width or height"
    ]
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
    old = ingest.import_classification(
        engine=store(), name="street", images_dir=fruit.images_dir, csv_path=fruit.csv_path, actor=ADMIN
    )
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
    assert plain(at.success[0].value).startswith(
        "Check passed: fruit-import would have 4 images, 4 results and 3 classes."
    )
    assert any(
        plain(m.value) == "**Class Changed** 2 of 4 results (50.0%) · unchanged 2 · relabeled 2" for m in at.markdown
    )
    at.button(key="import_button").click().run()
    (job,) = list_jobs(engine=store())
    assert (job.name, job.tag, job.images, job.results, job.classes) == (
        "fruit-import",
        "M-LA-CL",
        4,
        4,
        ["apple", "pear", "plum"],
    )


@pytest.mark.parametrize("role", ["viewer", "reviewer"])
def test_others_than_admins_see_no_form(role, monkeypatch):
    monkeypatch.setenv("LABELDECK_AUTH", "password")
    at = page_alone("import_job", "lead", role)
    assert [c.value for c in at.caption if "Read-only" in c.value] == [
        f":material/visibility: Read-only: you are signed in as a {role}; importing a job needs the admin role."
    ]
    assert not at.text_input and [b.key for b in at.button] == ["sign_out"]


def test_uploaded_cvat_and_a_yolo_zip_are_read_and_removed_after_the_check(job_files, data_dir, tmp_path):
    inputs = ImportInputs(
        task="detection",
        name="uploaded",
        images=ImageSource(how=FOLDER, text="street/images"),
        expert=uploaded("Expert labels", write_cvat(tmp_path / "expert.xml", boxes=by_file(EXPERT_ANNOTATIONS))),
        pre=uploaded("Pre-labels", yolo_zip(tmp_path / "pre.zip")),
    )
    checked = run_check(inputs, ADMIN, progress=lambda stage, fraction: None)
    assert not checked.problems, checked.problems
    assert (checked.report.images, checked.report.results, checked.report.class_changed) == (2, 6, 3)
    assert checked.draft.pre_label_source == "import: pre.zip"
    assert not any((data_dir / "uploads").iterdir())  # the uploaded label files, removed once read


def test_problems_name_an_upload_by_its_name_and_an_unsafe_label_zip_is_refused(job_files, data_dir, tmp_path):
    broken = [*EXPERT_ANNOTATIONS[:2], {**EXPERT_ANNOTATIONS[2], "category_id": 7}, *EXPERT_ANNOTATIONS[3:]]
    expert = write_json(tmp_path / "labels" / "expert.json", coco_dataset(IMAGES, broken, CATEGORIES))
    inputs = ImportInputs(
        task="detection",
        name="uploaded",
        images=ImageSource(how=FOLDER, text="street/images"),
        expert=uploaded("Expert labels", expert, "my expert.json"),
        pre=uploaded("Pre-labels", yolo_zip(tmp_path / "pre.zip")),
    )
    problems = run_check(inputs, ADMIN, progress=lambda stage, fraction: None).problems
    assert problems == ("my expert.json: annotation 3 (image 1 'a.png'): unknown category id 7",)
    with zipfile.ZipFile(tmp_path / "unsafe.zip", "w") as archive:
        archive.writestr("classes.txt", "cat\n")
        archive.writestr("../escape.txt", "0 0.5 0.5 0.1 0.1\n")
        archive.writestr("notes.pdf", "%PDF")
    inputs = dataclasses.replace(inputs, pre=uploaded("Pre-labels", tmp_path / "unsafe.zip"))
    problems = run_check(inputs, ADMIN, progress=lambda stage, fraction: None).problems
    assert problems == (
        "unsafe.zip: member '../escape.txt': file name contains '..' and would escape the image root",
        "unsafe.zip: member 'notes.pdf': not a label file (allowed: .json, .txt, .xml, .yaml, .yml)",
    )
    assert not any((data_dir / "uploads").iterdir())


def test_an_uploaded_zip_of_images_is_extracted_once_and_removed_when_another_replaces_it(
    job_files, data_dir, tmp_path
):
    def zipped(name: str) -> Upload:
        with zipfile.ZipFile(tmp_path / name, "w") as archive:
            for image in job_files.images_dir.iterdir():
                archive.write(image, image.name)
        return Upload(tmp_path / name)

    first, second = zipped("images.zip"), zipped("images-again.zip")
    inputs = ImportInputs(
        task="detection",
        name="zipped",
        images=ImageSource(how=ZIP, upload=first, upload_id=first.file_id),
        expert=uploaded("Expert labels", job_files.expert_path),
        pre=uploaded("Pre-labels", job_files.pre_path),
    )
    checked = run_check(inputs, ADMIN, progress=lambda stage, fraction: None)
    assert checked.report.results == 6 and checked.draft.images_dir.parent == data_dir / "uploads"
    assert run_check(inputs, ADMIN, progress=lambda stage, fraction: None).draft.images_dir == checked.draft.images_dir
    inputs = dataclasses.replace(inputs, images=ImageSource(how=ZIP, upload=second, upload_id=second.file_id))
    again = run_check(inputs, ADMIN, progress=lambda stage, fraction: None).draft.images_dir
    assert again != checked.draft.images_dir and not checked.draft.images_dir.exists()
    assert [p for p in (data_dir / "uploads").iterdir()] == [again]  # the label uploads gone, the images kept
    forget_extracted_zip(discard=True)
    assert not again.exists()


def test_classification_from_cvat_tags_chosen_by_name(data_dir, monkeypatch):
    files = write_classification_job(data_dir / "fruit")
    images = [{"file_name": f, "width": 32, "height": 24} for f, *_ in CLASSIFICATION_ROWS]
    classes = ["apple", "pear", "plum"]
    write_cvat(
        data_dir / "fruit" / "expert.xml",
        tags={f: [(e,)] for f, _p, e, _c in CLASSIFICATION_ROWS},
        classes=classes,
        images=images,
    )
    write_cvat(
        data_dir / "fruit" / "pre.xml",
        tags={f: [(p,)] for f, p, _e, _c in CLASSIFICATION_ROWS},
        classes=classes,
        images=images,
    )
    at = import_page(monkeypatch)
    at.segmented_control(key="import_task").set_value("classification").run()
    at.text_input(key="import_name").input("fruit-cvat")
    at.selectbox(key="import_folder").set_value("fruit/images")
    at.radio(key="import_labels_from").set_value(FROM_LABEL_FILES).run()
    assert at.selectbox(key="import_expert_format").options == [
        "Auto (told from the files)",
        "CVAT for images 1.1",
        "Label Studio JSON",
    ]
    for role in ("expert", "pre"):
        at.radio(key=f"import_{role}_how").set_value("A path under the data root").run()
        at.text_input(key=f"import_{role}_path").input(f"fruit/{role}.xml")
        at.selectbox(key=f"import_{role}_format").set_value("cvat")
    check(at.run())
    assert not at.error, [e.value for e in at.error]
    assert plain(at.success[0].value).startswith(
        "Check passed: fruit-cvat would have 4 images, 4 results and 3 classes."
    )
    at.button(key="import_button").click().run()
    (job,) = list_jobs(engine=store())
    expected = ingest.import_classification(
        engine=store(), name="csv", images_dir=files.images_dir, csv_path=files.csv_path, actor=ADMIN
    )
    assert {k: v for k, v in job_stats(engine=store(), job_id=job.id).items() if k not in ("job_id", "name")} == {
        k: v for k, v in job_stats(engine=store(), job_id=expected.id).items() if k not in ("job_id", "name")
    }
