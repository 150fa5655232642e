"""Manual label jobs made in LabelDeck, created IN_PROGRESS with each pre-label source (or from an auto job),
labelled and submitted, give exactly the results of importing the same expert labels: detection with each pre-label
source and the job's IoU threshold, classification, no pre-labels, and an auto job's images, spec and predictions.
What submitting does to the job is tested in tests/store/test_manual_job_submit.py. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from core.jobs import ingest
from core.jobs.auto import import_auto_job
from core.jobs.expert_labels import editor_state
from core.jobs.lookup import get_job
from core.jobs.manual import create_manual_job
from core.jobs.submit import submit_job
from tests.builders import (
    ADMIN,
    EXPECTED_RESULTS,
    IMAGES,
    PRE_RESULTS,
    as_admin,
    as_reviewer,
    pre_as_dataset,
    table_counts,
    write_classification_job,
    write_csv,
    write_detection_job,
    write_json,
)
from tests.manual_builders import (
    animals_spec,
    fruit_pre_csv,
    fruit_spec,
    label_like_the_expert_file,
    label_like_the_fruit_csv,
    results_of,
    sample_ids,
)


def imported_results(engine, files, **kwargs) -> list[tuple]:
    """What `import --task detection` gives for the standard expert file and the same pre-labels."""
    job = ingest.import_detection(
        actor=ADMIN,
        engine=engine,
        name="imported",
        images_dir=files.images_dir,
        pre_path=files.pre_path,
        expert_path=files.expert_path,
        **kwargs,
    )
    return results_of(engine, job.id)


def pre_source(kind: str, engine, files, tmp_path):
    """Each way of giving the standard pre-labels of tests/builders.py."""
    if kind == "coco-results":  # image ids: the images by path from 1; category ids: the spec's classes from 1
        return ("coco", files.pre_path)
    if kind == "coco-dataset":
        return ("coco", write_json(tmp_path / "pre-dataset.json", pre_as_dataset()))
    if kind == "csv":
        names = {i["id"]: i["file_name"] for i in IMAGES}
        classes = {1: "cat", 2: "dog", 3: "bird"}
        rows = [(names[r["image_id"]], classes[r["category_id"]], *r["bbox"], r["score"]) for r in PRE_RESULTS]
        header = ("file_path", "label", "x", "y", "w", "h", "score")
        return ("csv", write_csv(tmp_path / "pre.csv", rows, header=header))
    auto = import_auto_job(
        actor=ADMIN,
        engine=engine,
        name="auto",
        images_dir=files.images_dir,
        predictions_path=files.pre_path,
        image_list=files.expert_path,
    )
    return ("auto_job", auto.id)


@pytest.mark.parametrize("kind", ["coco-results", "coco-dataset", "csv", "auto-job"])
def test_submitted_results_equal_importing_the_same_expert_labels(engine, tmp_path, kind):
    files = write_detection_job(tmp_path / "in")
    spec = animals_spec(engine)
    job = create_manual_job(
        engine=engine,
        name="street",
        spec_id=spec.id,
        images_dir=files.images_dir,
        pre_labels=pre_source(kind, engine, files, tmp_path),
        actor=as_admin("lead"),
    )
    assert (job.kind, job.task, job.tag, job.status, job.image_count, job.result_count) == (
        "manual",
        "detection",
        "M-LA-OD",
        "IN_PROGRESS",
        2,
        0,
    )
    assert table_counts(engine)["result"] == 0
    label_like_the_expert_file(engine, job.id)

    submitted = submit_job(engine=engine, job_id=job.id, actor=as_reviewer("ada"))

    assert (submitted.status, submitted.result_count, submitted.submitted_by) == ("READY", 6, "ada")
    assert submitted.data_revision == job.data_revision + 1
    got = results_of(engine, job.id)
    assert got == imported_results(engine, files)
    assert sorted((r[0], r[1]) for r in got) == sorted((e[0], e[1]) for e in EXPECTED_RESULTS)


def test_the_job_iou_threshold_decides_the_matching_on_submit(engine, tmp_path):
    files = write_detection_job(tmp_path / "in")
    job = create_manual_job(
        engine=engine,
        name="street",
        spec_id=animals_spec(engine).id,
        images_dir=files.images_dir,
        pre_labels=("coco", files.pre_path),
        iou_threshold=0.6,
        actor=as_admin("lead"),
    )
    label_like_the_expert_file(engine, job.id)
    submit_job(engine=engine, job_id=job.id, actor=as_reviewer("ada"))
    assert results_of(engine, job.id) == imported_results(engine, files, iou_threshold=0.6)
    assert get_job(engine, job.id).result_count == 8


def test_classification_submit_equals_the_classification_import(engine, tmp_path):
    files = write_classification_job(tmp_path / "in")
    job = create_manual_job(
        engine=engine,
        name="fruit-m",
        spec_id=fruit_spec(engine).id,
        images_dir=files.images_dir,
        pre_labels=("csv", fruit_pre_csv(tmp_path / "pre.csv")),
        actor=as_admin("lead"),
    )
    assert (job.tag, job.status) == ("M-LA-CL", "IN_PROGRESS")
    state = editor_state(engine=engine, job_id=job.id, sample_id=sample_ids(engine, job.id)["c4.png"])
    assert (state.source, state.class_index, state.component_args()) == (
        "pre",
        2,
        {"label_list": ["apple", "pear", "plum"], "default_label_index": 2},
    )
    label_like_the_fruit_csv(engine, job.id)
    submit_job(engine=engine, job_id=job.id, actor=as_reviewer("ada"))
    imported = ingest.import_classification(
        actor=ADMIN,
        engine=engine,
        name="fruit",
        images_dir=files.images_dir,
        csv_path=files.csv_path,
        classes=["apple", "pear", "plum"],
    )
    assert results_of(engine, job.id) == results_of(engine, imported.id)
    assert len(results_of(engine, job.id)) == 4


def test_without_pre_labels_every_expert_label_is_added(engine, tmp_path):
    det = write_detection_job(tmp_path / "det")
    job = create_manual_job(
        engine=engine,
        name="from-scratch",
        spec_id=animals_spec(engine).id,
        images_dir=det.images_dir,
        actor=as_admin("lead"),
    )
    assert job.pre_label_source == "none"
    state = editor_state(engine=engine, job_id=job.id, sample_id=sample_ids(engine, job.id)["a.png"])
    assert (state.source, state.bboxes, state.labels) == ("none", [], [])
    label_like_the_expert_file(engine, job.id)
    submit_job(engine=engine, job_id=job.id, actor=as_reviewer("ada"))
    assert {r[1] for r in results_of(engine, job.id)} == {"added"} and len(results_of(engine, job.id)) == 5

    fruit = write_classification_job(tmp_path / "fruit")
    cl = create_manual_job(
        engine=engine,
        name="fruit-scratch",
        spec_id=fruit_spec(engine).id,
        images_dir=fruit.images_dir,
        actor=as_admin("lead"),
    )
    label_like_the_fruit_csv(engine, cl.id)
    submit_job(engine=engine, job_id=cl.id, actor=as_reviewer("ada"))
    assert {(r[1], r[3], r[4]) for r in results_of(engine, cl.id)} == {("added", None, True)}


def test_a_job_from_an_auto_job_takes_its_images_and_spec(engine, tmp_path):
    files = write_detection_job(tmp_path / "in")
    auto = import_auto_job(
        actor=ADMIN,
        engine=engine,
        name="auto",
        images_dir=files.images_dir,
        predictions_path=files.pre_path,
        image_list=files.expert_path,
    )
    job = create_manual_job(engine=engine, name="refined", pre_labels=("auto_job", auto.id), actor=as_admin("lead"))
    assert (job.spec_id, job.image_root, job.source_job_id) == (auto.spec_id, auto.image_root, auto.id)
    assert job.pre_label_source == f"auto job #{auto.id} auto"
    state = editor_state(engine=engine, job_id=job.id, sample_id=sample_ids(engine, job.id)["b.png"])
    assert state.component_args() == {
        "label_list": ["cat", "dog", "bird"],
        "bboxes": [[20, 20, 10, 10], [0, 20, 10, 20]],
        "labels": [1, 1],
    }
    assert state.scores == [0.6, 0.5] and state.image_path == files.images_dir.resolve() / "b.png"
    label_like_the_expert_file(engine, job.id)
    submit_job(engine=engine, job_id=job.id, actor=as_reviewer("ada"))
    assert results_of(engine, job.id) == imported_results(engine, files)
