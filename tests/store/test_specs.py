"""Label specs made by hand: validation, edits, and no removing a class that some job has labels of."""

from __future__ import annotations

import pytest

from core.domain.errors import BadInput, NotFound
from core.jobs import ingest
from core.jobs.expert_labels import next_unlabelled, save_expert_label
from core.jobs.manual import create_manual_job
from core.jobs.saving import PALETTE
from core.jobs.specs import ClassInput, create_spec, find_spec, get_spec_classes, list_specs, update_spec
from tests.builders import ADMIN, IMAGES, as_admin, as_reviewer, write_detection_job, write_images


def classes(*names: str) -> list[ClassInput]:
    return [ClassInput(n) for n in names]


def described(engine, spec_id: int) -> list[tuple]:
    return [(c.name, c.display_name, c.color, c.position) for c in get_spec_classes(engine=engine, spec_id=spec_id)]


def test_a_spec_has_its_classes_in_order_with_display_names_and_colours(engine):
    spec = create_spec(
        actor=ADMIN,
        engine=engine,
        name="animals",
        task="detection",
        classes=[ClassInput("cat", "Cat", "#112233"), ClassInput("dog"), ClassInput("bird", color="#abcdef")],
    )
    assert (spec.name, spec.task) == ("animals", "detection")
    assert described(engine, spec.id) == [
        ("cat", "Cat", "#112233", 0),
        ("dog", "dog", PALETTE[1], 1),
        ("bird", "bird", "#ABCDEF", 2),
    ]
    [summary] = list_specs(engine=engine)
    assert (summary.spec.id, [c.name for c in summary.classes], summary.jobs) == (spec.id, ["cat", "dog", "bird"], 0)
    assert find_spec(engine=engine, name_or_id="animals").id == spec.id
    assert find_spec(engine=engine, name_or_id=str(spec.id)).id == spec.id


@pytest.mark.parametrize(
    ("task", "given", "message"),
    [
        ("detection", ["cat", "cat"], "'cat' appears more than once"),
        ("detection", ["cat", " "], "class 2: a class needs a name"),
        ("detection", [], "needs at least 1 class"),
        ("classification", ["apple"], "a classification spec needs at least 2 classes, got 1"),
        ("segmentation", ["a", "b"], "task 'segmentation'"),
    ],
)
def test_invalid_specs_are_refused(engine, task, given, message):
    with pytest.raises(BadInput, match=message):
        create_spec(actor=ADMIN, engine=engine, name="s", task=task, classes=classes(*given))
    assert list_specs(engine=engine) == []


@pytest.mark.parametrize("color", ["red", "#12345", "#1234567", "#GGGGGG", "123456"])
def test_a_colour_must_be_hex_rrggbb(engine, color):
    with pytest.raises(BadInput, match=rf"class 1 \('cat'\): colour '{color}' is not #RRGGBB"):
        create_spec(actor=ADMIN, engine=engine, name="s", task="detection", classes=[ClassInput("cat", color=color)])


def test_spec_names_are_unique(engine):
    create_spec(actor=ADMIN, engine=engine, name="animals", task="detection", classes=classes("cat"))
    with pytest.raises(BadInput, match="a label spec named 'animals' already exists"):
        create_spec(actor=ADMIN, engine=engine, name="animals", task="classification", classes=classes("a", "b"))
    other = create_spec(actor=ADMIN, engine=engine, name="other", task="detection", classes=classes("cat"))
    with pytest.raises(BadInput, match="already exists"):
        update_spec(actor=ADMIN, engine=engine, spec_id=other.id, name="animals", classes=classes("cat"))


def test_an_edit_renames_recolours_adds_reorders_and_removes_unused_classes(engine):
    spec = create_spec(
        actor=ADMIN, engine=engine, name="animals", task="detection", classes=classes("cat", "dog", "bird")
    )
    ids = {c.name: c.id for c in get_spec_classes(engine=engine, spec_id=spec.id)}
    update_spec(
        actor=ADMIN,
        engine=engine,
        spec_id=spec.id,
        name="pets",
        classes=[ClassInput("dog", "Dog", "#000000"), ClassInput("cat"), ClassInput("fish", "Fish")],
    )
    assert described(engine, spec.id) == [
        ("dog", "Dog", "#000000", 0),
        ("cat", "cat", PALETTE[0], 1),
        ("fish", "Fish", PALETTE[2], 2),
    ]
    after = {c.name: c.id for c in get_spec_classes(engine=engine, spec_id=spec.id)}
    assert (after["dog"], after["cat"]) == (ids["dog"], ids["cat"])  # the same classes, their labels kept
    assert find_spec(engine=engine, name_or_id="pets").id == spec.id
    with pytest.raises(BadInput, match="a classification spec needs at least 2"):
        update_spec(
            actor=ADMIN,
            engine=engine,
            spec_id=create_spec(
                actor=ADMIN, engine=engine, name="c", task="classification", classes=classes("a", "b")
            ).id,
            classes=classes("a"),
        )
    with pytest.raises(NotFound):
        update_spec(actor=ADMIN, engine=engine, spec_id=9999, classes=classes("a"))


def test_a_class_with_labels_in_a_job_cannot_be_removed(engine, tmp_path):
    spec = create_spec(
        actor=ADMIN, engine=engine, name="animals", task="detection", classes=classes("cat", "dog", "bird")
    )
    write_images(tmp_path / "images", IMAGES)
    job = create_manual_job(
        engine=engine, name="pets", spec_id=spec.id, images_dir=tmp_path / "images", actor=as_admin("ada")
    )
    save_expert_label(
        engine=engine,
        job_id=job.id,
        sample_id=next_unlabelled(engine=engine, job_id=job.id),
        actor=as_reviewer("ada"),
        boxes=[{"bbox": [1, 1, 5, 5], "label": "dog"}],
    )
    with pytest.raises(
        BadInput,
        match=r"class 'dog' cannot be removed from spec 'animals': job #\d+ 'pets' has "
        "labels of it",
    ):
        update_spec(actor=ADMIN, engine=engine, spec_id=spec.id, classes=classes("cat", "bird"))
    assert [c[0] for c in described(engine, spec.id)] == ["cat", "dog", "bird"]  # nothing changed
    update_spec(
        actor=ADMIN, engine=engine, spec_id=spec.id, classes=classes("dog", "cat")
    )  # bird has no labels: it goes
    assert [c[0] for c in described(engine, spec.id)] == ["dog", "cat"]
    assert list_specs(engine=engine)[0].jobs == 1


def test_classes_used_by_imported_results_and_auto_job_predictions_are_kept_too(engine, tmp_path):
    files = write_detection_job(tmp_path / "in")
    imported = ingest.import_detection(
        actor=ADMIN,
        engine=engine,
        name="street",
        images_dir=files.images_dir,
        pre_path=files.pre_path,
        expert_path=files.expert_path,
    )
    with pytest.raises(BadInput, match="class 'bird' cannot be removed .* job #\\d+ 'street'"):
        update_spec(actor=ADMIN, engine=engine, spec_id=imported.spec_id, classes=classes("cat", "dog"))
    auto = ingest.import_auto_predictions(
        actor=ADMIN, engine=engine, name="auto", images_dir=files.images_dir, predictions_path=files.expert_path
    )
    with pytest.raises(BadInput) as refused:
        update_spec(actor=ADMIN, engine=engine, spec_id=auto.spec_id, classes=classes("bird"))
    assert len(refused.value.problems) == 2 and "class 'cat'" in refused.value.problems[0]
