"""Labelling one sample at a time as the editor does: what it shows, saving (idempotent, boxes checked and clipped,
classes by index or name), skipping, resetting, progress and the next image. SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import pytest

from core.domain.errors import BadInput, NotFound
from core.jobs.expert_labels import (
    editor_state,
    labelling_progress,
    list_samples,
    next_unlabelled,
    reset_sample,
    save_expert_label,
    skip_sample,
)
from core.jobs.manual import create_manual_job
from tests.builders import (
    ADMIN,
    as_admin,
    as_reviewer,
    table_counts,
    write_classification_job,
    write_detection_job,
    write_image,
)
from tests.manual_builders import animals_spec, expert_boxes, fruit_pre_csv, fruit_spec, sample_ids


@pytest.fixture
def job(engine, tmp_path):
    files = write_detection_job(tmp_path / "in")
    write_image(files.images_dir / "c.png", 30, 20)
    return create_manual_job(
        engine=engine,
        name="street",
        spec_id=animals_spec(engine).id,
        images_dir=files.images_dir,
        pre_labels=("coco", files.pre_path),
        actor=as_admin("lead"),
    )


def save(engine, job, file_name: str, boxes, by: str = "ada"):
    return save_expert_label(
        engine=engine,
        job_id=job.id,
        sample_id=sample_ids(engine, job.id)[file_name],
        actor=as_reviewer(by),
        boxes=boxes,
    )


def state_of(engine, job, file_name: str):
    return editor_state(engine=engine, job_id=job.id, sample_id=sample_ids(engine, job.id)[file_name])


def test_the_editor_shows_pre_labels_until_an_expert_label_is_saved(engine, job):
    before = state_of(engine, job, "a.png")
    assert (before.source, before.label_status, before.width, before.height) == ("pre", "unlabelled", 100, 50)
    assert before.component_args() == {
        "label_list": ["cat", "dog", "bird"],
        "bboxes": [[10, 10, 20, 20], [50, 10, 20, 20], [0, 30, 10, 10]],
        "labels": [0, 0, 0],
    }
    assert before.scores == [0.9, 0.8, 0.7] and before.colors[0].startswith("#")

    saved = save(engine, job, "a.png", expert_boxes("a.png"))

    assert (saved.changed, saved.clipped) == (True, [])
    after = state_of(engine, job, "a.png")
    assert (after.source, after.label_status, after.labelled_by) == ("expert", "labelled", "ada")
    assert after.labelled_at is not None and after.labelled_at.tzinfo is not None
    assert after.component_args()["bboxes"] == [[10, 10, 20, 20], [50, 10, 20, 20], [0, 30, 20, 10]]
    assert after.labels == [0, 1, 0] and after.scores == [None, None, None]


def test_saving_the_same_label_again_changes_nothing(engine, job):
    boxes = expert_boxes("a.png")
    assert save(engine, job, "a.png", boxes).changed
    first = state_of(engine, job, "a.png")
    counts = table_counts(engine)
    # the same boxes in another order, as the editor's display scale returns them, by someone else
    scale = 512 / 100
    again = [{"bbox": [v / scale * scale for v in b["bbox"]], "label_id": b["label_id"]} for b in reversed(boxes)]
    assert save(engine, job, "a.png", again, by="bob").changed is False
    assert table_counts(engine) == counts
    second = state_of(engine, job, "a.png")
    assert (second.labelled_by, second.labelled_at, second.bboxes) == (
        first.labelled_by,
        first.labelled_at,
        first.bboxes,
    )
    assert save(engine, job, "a.png", boxes[:2], by="bob").changed  # a real change is saved
    assert state_of(engine, job, "a.png").labelled_by == "bob" and len(state_of(engine, job, "a.png").bboxes) == 2


def test_an_empty_list_means_nothing_here_and_is_a_label(engine, job):
    assert save(engine, job, "c.png", []).changed
    state = state_of(engine, job, "c.png")
    assert (state.source, state.label_status, state.bboxes) == ("expert", "labelled", [])
    assert save(engine, job, "c.png", []).changed is False


def test_invalid_boxes_are_refused_naming_the_box_and_nothing_is_written(engine, job):
    counts = table_counts(engine)
    with pytest.raises(BadInput) as refused:
        save(
            engine,
            job,
            "a.png",
            [
                {"bbox": [10, 10, 20, 20], "label_id": 0},
                {"bbox": [10, 10, 0, 20], "label_id": 0},
                {"bbox": [150, 10, 20, 20], "label_id": 1},
                {"bbox": [-30, 0, 20, 20], "label_id": 1},
                {"bbox": [10, 10, 5, 5], "label_id": 3},
                {"bbox": [10, 10, 5, 5], "label": "truck"},
                {"bbox": [10, 10, 5], "label_id": 0},
                {"bbox": [10, 10, float("nan"), 5], "label_id": 0},
                {"bbox": [10, 10, 5, 5], "label_id": True},
            ],
        )
    assert refused.value.problems == [
        "'a.png': box 5 [10, 10, 5, 5]: unknown class 3 (the spec has: cat, dog, bird)",
        "'a.png': box 6 [10, 10, 5, 5]: unknown class 'truck' (the spec has: cat, dog, bird)",
        "'a.png': box 7 [10, 10, 5]: expected {'bbox': [x, y, w, h], 'label_id': class index}",
        "'a.png': box 9 [10, 10, 5, 5]: unknown class True (the spec has: cat, dog, bird)",
        "'a.png': box 2 [10.0, 10.0, 0.0, 20.0] has zero or negative width or height",
        "'a.png': box 3 [150.0, 10.0, 20.0, 20.0] lies outside the 100x50 image",
        "'a.png': box 4 [-30.0, 0.0, 20.0, 20.0] lies outside the 100x50 image",
        "'a.png': box 8 [10.0, 10.0, NaN, 5.0] is not four finite numbers",
    ]
    assert table_counts(engine) == counts
    assert state_of(engine, job, "a.png").label_status == "unlabelled"
    with pytest.raises(BadInput, match="save boxes, not a class"):
        save_expert_label(
            engine=engine,
            job_id=job.id,
            sample_id=sample_ids(engine, job.id)["a.png"],
            actor=as_reviewer("ada"),
            class_name="cat",
        )
    with pytest.raises(BadInput, match="a user name is needed"):
        save(engine, job, "a.png", [], by=" ")


def test_boxes_past_the_border_are_clipped_to_the_image(engine, job):
    saved = save(
        engine,
        job,
        "a.png",
        [
            {"bbox": [-0.5, 10, 20, 20], "label": "cat"},
            {"bbox": [90, 40, 30, 30], "label": "dog"},  # well past the corner, still partly inside: clipped
            {"bbox": [10, 10, 20, 20], "label": "dog"},
        ],
    )
    assert saved.clipped == [1, 2]
    assert state_of(engine, job, "a.png").bboxes == [[0, 10, 19.5, 20], [90, 40, 10, 10], [10, 10, 20, 20]]


def test_classes_by_name_or_display_name_and_indices_follow_the_spec_order(engine, job):
    from core.jobs.specs import ClassInput, update_spec

    update_spec(
        actor=ADMIN,
        engine=engine,
        spec_id=job.spec_id,
        classes=[ClassInput("bird", "Bird"), ClassInput("cat", "Cat"), ClassInput("dog", "Dog")],
    )
    save(engine, job, "b.png", [{"bbox": [0, 0, 10, 10], "label": "Bird"}, {"bbox": [0, 20, 10, 10], "label": "dog"}])
    state = state_of(engine, job, "b.png")
    assert (state.label_list, state.class_names, state.labels) == (
        ["Bird", "Cat", "Dog"],
        ["bird", "cat", "dog"],
        [0, 2],
    )


def test_skip_and_reset(engine, job):
    save(engine, job, "a.png", expert_boxes("a.png"))
    a = sample_ids(engine, job.id)["a.png"]
    assert skip_sample(engine=engine, job_id=job.id, sample_id=a, actor=as_reviewer("bob"))
    assert skip_sample(engine=engine, job_id=job.id, sample_id=a, actor=as_reviewer("bob")) is False
    state = state_of(engine, job, "a.png")
    assert (state.label_status, state.labelled_by, state.source, len(state.bboxes)) == ("skipped", "bob", "pre", 3)
    assert list_samples(engine=engine, job_id=job.id, status="skipped")["expert_labels"].to_list() == [0]
    assert reset_sample(actor=ADMIN, engine=engine, job_id=job.id, sample_id=a)
    state = state_of(engine, job, "a.png")
    assert (state.label_status, state.labelled_by, state.labelled_at) == ("unlabelled", None, None)


def test_progress_and_the_next_unlabelled_image(engine, job):
    ids = sample_ids(engine, job.id)
    assert list(ids) == ["a.png", "b.png", "c.png"]  # file path order
    assert labelling_progress(engine=engine, job_id=job.id).to_json() == {
        "total": 3,
        "labelled": 0,
        "skipped": 0,
        "unlabelled": 3,
        "done_share": 0.0,
    }
    assert next_unlabelled(engine=engine, job_id=job.id) == ids["a.png"]
    save(engine, job, "b.png", expert_boxes("b.png"))
    assert next_unlabelled(engine=engine, job_id=job.id, after_sample_id=ids["a.png"]) == ids["c.png"]
    assert next_unlabelled(engine=engine, job_id=job.id, after_sample_id=ids["c.png"]) == ids["a.png"]  # wraps
    skip_sample(engine=engine, job_id=job.id, sample_id=ids["c.png"], actor=as_reviewer("ada"))
    progress = labelling_progress(engine=engine, job_id=job.id)
    assert (progress.labelled, progress.skipped, progress.unlabelled, progress.done) == (1, 1, 1, 2)
    assert progress.done_share == pytest.approx(2 / 3)
    save(engine, job, "a.png", [])
    assert next_unlabelled(engine=engine, job_id=job.id) is None
    listed = list_samples(engine=engine, job_id=job.id)
    assert listed.select("file_path", "label_status", "pre_labels", "expert_labels").rows() == [
        ("a.png", "labelled", 3, 0),
        ("b.png", "labelled", 2, 2),
        ("c.png", "skipped", 0, 0),
    ]
    assert list_samples(engine=engine, job_id=job.id, offset=1, limit=1)["file_path"].to_list() == ["b.png"]
    with pytest.raises(BadInput, match="status 'done'"):
        list_samples(engine=engine, job_id=job.id, status="done")


def test_a_sample_of_another_job_is_not_found(engine, job, tmp_path):
    other = create_manual_job(
        engine=engine, name="other", spec_id=job.spec_id, images_dir=tmp_path / "in" / "images", actor=as_admin("lead")
    )
    foreign = sample_ids(engine, other.id)["a.png"]
    with pytest.raises(NotFound):
        save_expert_label(engine=engine, job_id=job.id, sample_id=foreign, actor=as_reviewer("ada"), boxes=[])
    with pytest.raises(NotFound):
        editor_state(engine=engine, job_id=job.id, sample_id=foreign)


def test_classification_labels(engine, tmp_path):
    files = write_classification_job(tmp_path / "fruit")
    job = create_manual_job(
        engine=engine,
        name="fruit",
        spec_id=fruit_spec(engine).id,
        images_dir=files.images_dir,
        pre_labels=("csv", fruit_pre_csv(tmp_path / "pre.csv")),
        actor=as_admin("lead"),
    )
    c2 = sample_ids(engine, job.id)["c2.png"]

    def label(class_name):
        return save_expert_label(
            engine=engine, job_id=job.id, sample_id=c2, actor=as_reviewer("ada"), class_name=class_name
        )

    assert editor_state(engine=engine, job_id=job.id, sample_id=c2).class_index == 0  # pre: apple
    assert label("pear").changed and label("pear").changed is False
    assert editor_state(engine=engine, job_id=job.id, sample_id=c2).class_index == 1
    with pytest.raises(BadInput, match=r"unknown class 'kiwi' \(the spec has: apple, pear, plum\)"):
        label("kiwi")
    with pytest.raises(BadInput, match="save a class name, not boxes"):
        save_expert_label(engine=engine, job_id=job.id, sample_id=c2, actor=as_reviewer("ada"), boxes=[])


def test_concurrent_saves_of_one_sample_leave_one_whole_label(engine, job):
    a = sample_ids(engine, job.id)["a.png"]
    labels = [[{"bbox": [i, i, 10, 10], "label_id": i % 3} for i in range(n)] for n in (1, 2, 3, 4)]
    errors = []

    def worker(boxes):
        try:
            save_expert_label(engine=engine, job_id=job.id, sample_id=a, actor=as_reviewer("ada"), boxes=boxes)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(b,)) for b in labels]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    saved = editor_state(engine=engine, job_id=job.id, sample_id=a).bboxes
    assert saved in [[b["bbox"] for b in boxes] for boxes in labels]
