"""Manual label jobs made in LabelDeck: created IN_PROGRESS with each pre-label source (or from an auto job),
labelled, submitted. A submitted job's results are exactly what importing the same expert labels gives, and it is
then READY and Visualize-ready like an imported job. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from core.analysis.results_frame import _cache_path, load_results
from core.analysis.stats import job_stats
from core.domain.errors import BadInput, NotFound
from core.jobs import ingest
from core.jobs.auto import import_auto_job
from core.jobs.expert_labels import editor_state, labelling_progress, list_samples, save_expert_label, skip_sample
from core.jobs.lookup import get_job
from core.jobs.manual import create_manual_job
from core.jobs.submit import submit_job
from core.jobs.summaries import image_root, list_jobs
from core.review.resultsets import create_resultset
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
    write_image,
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
from tests.resultset_builders import result_ids, set_state


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


def test_a_submitted_job_is_visualize_ready_like_an_imported_one(engine, tmp_path):
    files = write_detection_job(tmp_path / "in")
    job = create_manual_job(
        engine=engine,
        name="street",
        spec_id=animals_spec(engine).id,
        images_dir=files.images_dir,
        pre_labels=("coco", files.pre_path),
        actor=as_admin("lead"),
    )
    [card] = list_jobs(engine=engine)
    assert (card.status, card.is_reviewable) == ("IN_PROGRESS", False)
    assert card.labelling == {"total": 2, "labelled": 0, "skipped": 0, "unlabelled": 2, "done_share": 0.0}
    label_like_the_expert_file(engine, job.id, files=["a.png"])
    assert list_jobs(engine=engine)[0].labelling["labelled"] == 1

    ready = submit_job(engine=engine, job_id=job.id, actor=as_reviewer("ada"), allow_unlabelled=True)

    assert _cache_path(engine, ready).exists()  # written as the importer writes it
    [card] = list_jobs(engine=engine)
    assert (card.status, card.is_reviewable, card.results, card.labelling) == ("READY", True, 3, None)
    frame = load_results(engine, get_job(engine, job.id))
    assert frame["class_row"].to_list() == ["cat", "dog", "cat"]
    stats = job_stats(engine=engine, job_id=job.id)
    assert stats["change_kinds"] == {"unchanged": 1, "adjusted": 1, "relabeled": 1, "added": 0, "removed": 0}
    assert image_root(ready) == files.images_dir.resolve()


def test_labels_cannot_change_once_the_job_is_ready(engine, tmp_path):
    files = write_detection_job(tmp_path / "in")
    job = create_manual_job(
        engine=engine,
        name="street",
        spec_id=animals_spec(engine).id,
        images_dir=files.images_dir,
        pre_labels=("coco", files.pre_path),
        actor=as_admin("lead"),
    )
    label_like_the_expert_file(engine, job.id)
    submit_job(engine=engine, job_id=job.id, actor=as_reviewer("ada"))
    before = table_counts(engine)
    a = sample_ids(engine, job.id)["a.png"]
    for change in (
        lambda: save_expert_label(engine=engine, job_id=job.id, sample_id=a, actor=as_reviewer("ada"), boxes=[]),
        lambda: skip_sample(engine=engine, job_id=job.id, sample_id=a, actor=as_reviewer("ada")),
        lambda: submit_job(engine=engine, job_id=job.id, actor=as_reviewer("ada")),
    ):
        with pytest.raises(
            BadInput,
            match=r"is a READY M-LA-OD job: labels change only while a manual label job "
            "is IN_PROGRESS",
        ):
            change()
    assert table_counts(engine) == before
    imported = ingest.import_detection(
        actor=ADMIN,
        engine=engine,
        name="imported",
        images_dir=files.images_dir,
        pre_path=files.pre_path,
        expert_path=files.expert_path,
    )
    with pytest.raises(BadInput, match="READY"):
        save_expert_label(
            engine=engine,
            job_id=imported.id,
            sample_id=sample_ids(engine, imported.id)["a.png"],
            actor=as_reviewer("ada"),
            boxes=[],
        )
    with pytest.raises(NotFound):
        submit_job(engine=engine, job_id=9999, actor=as_reviewer("ada"))


def test_submit_lists_the_unlabelled_images_unless_allowed_which_skips_them(engine, tmp_path):
    files = write_detection_job(tmp_path / "in")
    write_image(files.images_dir / "zz" / "c.png", 30, 20)
    job = create_manual_job(
        engine=engine,
        name="street",
        spec_id=animals_spec(engine).id,
        images_dir=files.images_dir,
        pre_labels=("coco", files.pre_path),
        actor=as_admin("lead"),
    )
    with pytest.raises(BadInput, match="no image has an expert label yet"):
        submit_job(engine=engine, job_id=job.id, actor=as_reviewer("ada"), allow_unlabelled=True)
    label_like_the_expert_file(engine, job.id, files=["a.png"])
    with pytest.raises(BadInput) as refused:
        submit_job(engine=engine, job_id=job.id, actor=as_reviewer("ada"))
    assert refused.value.problems[0].endswith(
        "2 of 3 images have no expert label; label or skip them, or submit allowing unlabelled images "
        "(--allow-unlabelled) to leave them out"
    )
    assert refused.value.problems[1:] == ["unlabelled: b.png", "unlabelled: zz/c.png"]
    assert get_job(engine, job.id).status == "IN_PROGRESS" and table_counts(engine)["result"] == 0

    submit_job(engine=engine, job_id=job.id, actor=as_reviewer("ada"), allow_unlabelled=True)

    statuses = dict(list_samples(engine=engine, job_id=job.id).select("file_path", "label_status").iter_rows())
    assert statuses == {"a.png": "labelled", "b.png": "skipped", "zz/c.png": "skipped"}
    # b.png's pre boxes did not turn into "removed": nobody reviewed b.png
    assert {r[0] for r in results_of(engine, job.id)} == {"a.png"}


def test_a_skipped_image_is_left_out_of_results_and_exports(engine, tmp_path):
    from core.exports.source import load_source

    files = write_detection_job(tmp_path / "in")
    write_image(files.images_dir / "c.png", 30, 20)
    job = create_manual_job(
        engine=engine,
        name="street",
        spec_id=animals_spec(engine).id,
        images_dir=files.images_dir,
        pre_labels=("coco", files.pre_path),
        actor=as_admin("lead"),
    )
    ids = sample_ids(engine, job.id)
    label_like_the_expert_file(engine, job.id, files=["a.png"])
    save_expert_label(engine=engine, job_id=job.id, sample_id=ids["c.png"], actor=as_reviewer("ada"), boxes=[])
    skip_sample(engine=engine, job_id=job.id, sample_id=ids["b.png"], actor=as_reviewer("ada"))
    submit_job(engine=engine, job_id=job.id, actor=as_reviewer("ada"))  # nothing unlabelled: no permission needed
    set_state(engine, result_ids(engine, job.id), "accepted")
    resultset = create_resultset(engine=engine, job_id=job.id, name="all", actor=as_admin("lead"))
    covered = load_source(engine=engine, resultset_id=resultset.id).images["file_path"].to_list()
    assert covered == ["a.png", "c.png"]  # c.png: labelled "nothing here"; b.png skipped: not exported


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


def test_pre_labels_from_an_auto_job_must_fit(engine, tmp_path):
    files = write_detection_job(tmp_path / "in")
    processing = import_auto_job(
        actor=ADMIN,
        engine=engine,
        name="running",
        images_dir=files.images_dir,
        predictions_path=files.pre_path,
        image_list=files.expert_path,
        status="PROCESSING",
    )
    with pytest.raises(BadInput, match="is PROCESSING; its predictions can be taken as pre-labels once it is READY"):
        create_manual_job(engine=engine, name="m", pre_labels=("auto_job", processing.id), actor=as_admin("lead"))
    auto = import_auto_job(
        actor=ADMIN,
        engine=engine,
        name="auto",
        images_dir=files.images_dir,
        predictions_path=files.pre_path,
        image_list=files.expert_path,
    )
    fruit = fruit_spec(engine)
    with pytest.raises(BadInput, match="is a detection job; spec 'fruit' is for classification"):
        create_manual_job(
            engine=engine, name="m", spec_id=fruit.id, pre_labels=("auto_job", auto.id), actor=as_admin("lead")
        )
    from core.jobs.specs import ClassInput, create_spec

    cats_only = create_spec(actor=ADMIN, engine=engine, name="cats", task="detection", classes=[ClassInput("cat")])
    with pytest.raises(BadInput) as refused:
        create_manual_job(
            engine=engine, name="m", spec_id=cats_only.id, pre_labels=("auto_job", auto.id), actor=as_admin("lead")
        )
    assert refused.value.problems[0] == (
        f"auto label job #{auto.id} 'auto': prediction 4: class 'dog' is not in the label spec (cat)"
    )
    manual = create_manual_job(
        engine=engine,
        name="manual",
        spec_id=animals_spec(engine).id,
        images_dir=files.images_dir,
        actor=as_admin("lead"),
    )
    with pytest.raises(BadInput, match="is a M-LA-OD job, not an auto label job"):
        create_manual_job(engine=engine, name="m", pre_labels=("auto_job", manual.id), actor=as_admin("lead"))
    with pytest.raises(NotFound):
        create_manual_job(engine=engine, name="m", pre_labels=("auto_job", 9999), actor=as_admin("lead"))
    assert [j.name for j in list_jobs(engine=engine)] == ["manual", "auto", "running"]


def test_progress_survives_a_new_engine(store_url, tmp_path):
    from core.store.db import get_engine

    files = write_detection_job(tmp_path / "in")
    engine = get_engine(store_url)
    job = create_manual_job(
        engine=engine,
        name="street",
        spec_id=animals_spec(engine).id,
        images_dir=files.images_dir,
        pre_labels=("coco", files.pre_path),
        actor=as_admin("lead"),
    )
    label_like_the_expert_file(engine, job.id, files=["b.png"])
    get_engine.cache_clear()
    engine.dispose()
    fresh = get_engine(store_url)
    assert labelling_progress(engine=fresh, job_id=job.id).labelled == 1
    state = editor_state(engine=fresh, job_id=job.id, sample_id=sample_ids(fresh, job.id)["b.png"])
    assert (state.source, state.bboxes, state.labels, state.labelled_by) == (
        "expert",
        [[0, 0, 10, 10], [0, 20, 10, 10]],
        [2, 1],
        "ada",
    )
