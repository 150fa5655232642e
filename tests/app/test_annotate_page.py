"""The Annotate page and the Label specs page through AppTest. The annotation component is a browser iframe; its
value reaches the page through session state under its key, which is how these tests drive it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from core.jobs import expert_labels, specs
from core.jobs import manual as manual_jobs
from core.jobs.lookup import get_job
from core.settings import get_settings
from core.store.db import get_engine
from dashboard import annotator, detection_editor
from tests.app.conftest import page_alone, plain, sign_in_as
from tests.builders import ROTATED_BLOCK, ROTATED_SIZE, as_admin, as_reviewer, write_csv, write_rotated_photo
from tests.manual_builders import fruit_spec

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")


@pytest.fixture
def store(store_url, monkeypatch, copy_demo):
    """The demo, drawn small, in this test's store: SQLite, and PostgreSQL when configured (a copy of the demo
    seeded once: copy_demo)."""
    monkeypatch.setenv("LABELDECK_DATABASE_URL", store_url)
    monkeypatch.setenv("LABELDECK_AUTH", "password")  # the expert labels under their own name
    copy_demo(store_url, detection_images=6, classification_images=4)
    return get_engine(get_settings().database_url)


@pytest.fixture
def manual_job(store):
    return manual_jobs.create_manual_job(engine=store, name="refine", pre_labels=("auto_job", 1), actor=as_admin("t"))


def open_page(page: str, *, user: str = "erin", role: str = "reviewer", **params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    for key, value in params.items():
        at.query_params[key] = value
    at.switch_page(page).run()
    return sign_in_as(at, user, role)


def progress_text(at: AppTest) -> str:
    return next(p.proto.text for p in at.get("progress"))


def test_the_editor_opens_on_the_first_unlabelled_image_with_its_pre_labels(store, manual_job):
    at = open_page("../pages/annotate.py", job=str(manual_job.id))
    first = expert_labels.next_unlabelled(engine=store, job_id=manual_job.id)
    state = expert_labels.editor_state(engine=store, job_id=manual_job.id, sample_id=first)
    assert state.source == "pre" and state.bboxes
    assert any(state.file_path in plain(c.value) for c in at.caption)
    assert progress_text(at).startswith(f"0 of {manual_job.image_count} images done")


def test_complete_saves_the_component_value_and_moves_on(store, manual_job):
    at = open_page("../pages/annotate.py", job=str(manual_job.id))
    first = expert_labels.next_unlabelled(engine=store, job_id=manual_job.id)
    state = expert_labels.editor_state(engine=store, job_id=manual_job.id, sample_id=first)
    boxes = [
        {"bbox": box, "label_id": label, "label": state.label_list[label]}
        for box, label in zip(state.bboxes[1:], state.labels[1:])
    ]  # the expert deleted the first box
    boxes.append({"bbox": [1.0, 2.0, 30.0, 40.0], "label_id": 0, "label": state.label_list[0]})  # and added one
    at.session_state[f"annotate_{manual_job.id}_{first}_0"] = boxes
    at.run()
    assert not at.exception, at.exception
    saved = expert_labels.editor_state(engine=store, job_id=manual_job.id, sample_id=first)
    assert saved.source == "expert" and saved.label_status == "labelled" and saved.labelled_by == "erin"
    assert len(saved.bboxes) == len(state.bboxes)
    assert [1.0, 2.0, 30.0, 40.0] in saved.bboxes
    assert at.query_params["sample"] != str(first)  # the next unlabelled image
    assert progress_text(at).startswith(f"1 of {manual_job.image_count} images done · 1 labelled")


def test_an_invalid_box_from_the_component_is_refused_and_nothing_saved(store, manual_job):
    at = open_page("../pages/annotate.py", job=str(manual_job.id))
    first = expert_labels.next_unlabelled(engine=store, job_id=manual_job.id)
    at.session_state[f"annotate_{manual_job.id}_{first}_0"] = [
        {"bbox": [10.0, 10.0, 0.0, 5.0], "label_id": 0, "label": "Car"}
    ]
    at.run()
    assert at.error and "box" in at.error[0].value
    assert expert_labels.editor_state(engine=store, job_id=manual_job.id, sample_id=first).label_status == "unlabelled"


def test_skip_and_submit_turn_the_job_ready(store, manual_job):
    at = open_page("../pages/annotate.py", job=str(manual_job.id))
    samples = expert_labels.list_samples(engine=store, job_id=manual_job.id)["sample_id"].to_list()
    for sample_id in samples[1:]:
        expert_labels.skip_sample(engine=store, job_id=manual_job.id, sample_id=sample_id, actor=as_reviewer("erin"))
    at.run()
    state = expert_labels.editor_state(engine=store, job_id=manual_job.id, sample_id=samples[0])
    at.session_state[f"annotate_{manual_job.id}_{samples[0]}_0"] = [
        {"bbox": b, "label_id": lab, "label": state.label_list[lab]} for b, lab in zip(state.bboxes, state.labels)
    ]
    at.run()
    at.button(key="submit_job").click().run()
    assert not at.exception, at.exception
    job = get_job(store, manual_job.id)
    assert job.status == "READY" and job.result_count == len(state.bboxes)
    with store.connect() as conn:
        kinds = conn.execute(
            text("SELECT change_kind, COUNT(*) FROM result WHERE job_id = :j GROUP BY change_kind"), {"j": job.id}
        ).all()
    assert dict(kinds) == {"unchanged": len(state.bboxes)}


def test_a_ready_job_is_not_annotated(store):
    at = open_page("../pages/annotate.py", job="2")
    assert "only IN_PROGRESS manual label jobs are annotated here" in at.info[0].value


def test_the_spec_page_lists_specs_and_refuses_a_bad_one(store):
    at = open_page("../pages/specs.py", user="adam", role="admin")
    listed = [plain(m.value) for m in at.markdown if m.value.startswith("**")]
    assert any(s.spec.name in " ".join(listed) for s in specs.list_specs(engine=store))
    at.text_input(key="new_spec_name").input("fruit-2")
    at.radio(key="new_spec_task").set_value("classification")
    at.button(key="create_spec").click().run()
    assert at.error and "at least 2 classes" in at.error[0].value
    assert "fruit-2" not in {s.spec.name for s in specs.list_specs(engine=store)}


def create_spec_on_the_page(name: str, classes: str) -> AppTest:
    """An admin fills in the New label spec form (classification) and creates it."""
    at = open_page("../pages/specs.py", user="adam", role="admin")
    at.text_input(key="new_spec_name").input(name)
    at.radio(key="new_spec_task").set_value("classification")
    at.text_area(key="new_spec_classes").input(classes)
    at.button(key="create_spec").click().run()
    return at


def test_the_spec_page_creates_a_spec_from_a_list_of_classes(store):
    at = create_spec_on_the_page("shapes", "circle\nsquare, Square, #112233\n\n")
    assert not at.error, [e.value for e in at.error]
    created = next(s for s in specs.list_specs(engine=store) if s.spec.name == "shapes")
    assert created.spec.task == "classification"
    assert [(c.name, c.display_name, c.color) for c in created.classes][1] == ("square", "Square", "#112233")
    assert [c.name for c in created.classes] == ["circle", "square"]


def test_an_image_without_pre_labels_opens_with_an_empty_editor(store, data_dir):
    job = manual_jobs.create_manual_job(
        engine=store,
        name="blank",
        spec_id=get_job(store, 2).spec_id,
        images_dir=data_dir / "demo" / "street" / "images",
        actor=as_admin("t"),
    )
    at = open_page("../pages/annotate.py", job=str(job.id))
    assert any("showing the image without labels" in c.value for c in at.caption)
    first = expert_labels.next_unlabelled(engine=store, job_id=job.id)
    at.session_state[f"annotate_{job.id}_{first}_0"] = []  # Complete with nothing drawn: "nothing here"
    at.run()
    assert not at.exception, at.exception
    saved = expert_labels.editor_state(engine=store, job_id=job.id, sample_id=first)
    assert saved.label_status == "labelled" and saved.bboxes == []


def portraits_job(store, spec_id: int, pre_labels=None):
    """A manual job over the rotated photo (data/portraits/p.jpg)."""
    write_rotated_photo(get_settings().data_dir / "portraits" / "p.jpg")
    return manual_jobs.create_manual_job(
        engine=store,
        name="portraits",
        spec_id=spec_id,
        pre_labels=pre_labels,
        images_dir=get_settings().data_dir / "portraits",
        actor=as_admin("t"),
    )


def watch(monkeypatch, module, component: str) -> dict:
    """The arguments the page gives `module.component` (which still runs), once the page has run."""
    shown, real = {}, getattr(module, component)

    def watched(**kwargs):
        shown.update(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(module, component, watched)
    return shown


def test_a_rotated_photo_is_edited_upright_with_its_boxes_on_it(store, tmp_path, monkeypatch):
    pre = write_csv(
        tmp_path / "pre.csv",
        [("p.jpg", "car", *ROTATED_BLOCK, 0.9)],
        header=("file_path", "label", "x", "y", "w", "h", "score"),
    )
    job = portraits_job(store, get_job(store, 2).spec_id, pre_labels=("csv", pre))
    shown = watch(monkeypatch, detection_editor, "_component_func")
    at = open_page("../pages/annotate.py", job=str(job.id))
    assert not at.exception, at.exception
    assert tuple(shown["image_size"]) == ROTATED_SIZE  # the photo upright, as the boxes' coordinates have it
    assert [box["bbox"] for box in shown["bbox_info"]] == [ROTATED_BLOCK]
    # Complete with a box in the lower half, which only the upright photo has: saved as drawn, not clipped.
    [sample_id] = expert_labels.list_samples(engine=store, job_id=job.id)["sample_id"]
    at.session_state[f"annotate_{job.id}_{sample_id}_0"] = [
        {"bbox": [4.0, 40.0, 20.0, 20.0], "label_id": 0, "label": shown["label_list"][0]}
    ]
    at.run()
    assert not at.exception, at.exception
    assert expert_labels.editor_state(engine=store, job_id=job.id, sample_id=sample_id).bboxes == [
        [4.0, 40.0, 20.0, 20.0]
    ]


def test_a_rotated_photo_is_classified_upright_too(store, monkeypatch):
    job = portraits_job(store, fruit_spec(store).id)
    shown = watch(monkeypatch, annotator, "classification")
    at = open_page("../pages/annotate.py", job=str(job.id))
    assert not at.exception, at.exception
    assert shown["image_path"].size == ROTATED_SIZE


def test_a_viewer_is_not_offered_the_editor(store, manual_job):
    at = page_alone("annotate", "lee", "viewer", job=str(manual_job.id))
    assert [i.value for i in at.info] == [
        "Labelling images needs the reviewer role; you are signed in as **lee**, a "
        "viewer. An admin can change your role."
    ]
    assert not [b for b in at.button if b.key in ("submit_job", "annotate_skip", "complete_class")]
    assert not at.get("progress")


def test_a_class_display_name_with_markup_is_shown_not_run(store):
    at = create_spec_on_the_page("evil", "a, <img src=x onerror=alert(1)>\nb")
    chips = [m.value for m in at.markdown if "onerror" in m.value]
    assert chips and all("<img" not in m and "&lt;img src=x onerror=alert(1)&gt;" in m for m in chips)
