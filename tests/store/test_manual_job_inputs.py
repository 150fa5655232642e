"""What a manual label job is created from, on SQLite and PostgreSQL: invalid pre-labels and inputs are refused
with nothing written, pre-labels from an auto job must come from a READY auto job that fits the spec, a rotated
photo is labelled as it is displayed, and a job from a zip upload keeps its images under the data folder while a
refused one leaves no upload behind."""

from __future__ import annotations

import io
import zipfile

import pytest

from core.domain.errors import BadInput, NotFound
from core.files.uploads import uploads_dir
from core.jobs.auto import import_auto_job
from core.jobs.expert_labels import editor_state, save_expert_label
from core.jobs.manual import create_manual_job
from core.jobs.summaries import list_jobs
from tests.builders import (
    ADMIN,
    IMAGES,
    ROTATED_SIZE,
    as_admin,
    as_reviewer,
    pre_as_dataset,
    table_counts,
    write_csv,
    write_detection_job,
    write_json,
    write_rotated_photo,
)
from tests.manual_builders import animals_spec, fruit_pre_csv, fruit_spec, sample_ids


def test_invalid_pre_labels_and_inputs_are_refused_with_nothing_written(engine, tmp_path):
    files = write_detection_job(tmp_path / "in")
    spec = animals_spec(engine)
    before = table_counts(engine)

    def create(**kwargs):
        return create_manual_job(
            **{
                "engine": engine,
                "name": "m",
                "spec_id": spec.id,
                "images_dir": files.images_dir,
                "actor": as_admin("lead"),
                **kwargs,
            }
        )

    bad_csv = write_csv(
        tmp_path / "bad.csv",
        [
            ("a.png", "cat", 10, 10, 20, 20, 0.9),
            ("a.png", "truck", 10, 10, 20, 20, ""),
            ("missing.png", "cat", 1, 1, 2, 2, ""),
            ("b.png", "dog", 35, 35, 10, 10, ""),
            ("b.png", "dog", 5, 5, 0, 3, ""),
            ("b.png", "dog", 39.5, 0, 1, 1, ""),  # a sliver past the border: clipped, not refused
        ],
        header=("file_path", "label", "x", "y", "w", "h", "score"),
    )
    with pytest.raises(BadInput) as refused:
        create(pre_labels=("csv", bad_csv))
    assert refused.value.problems == [
        f"{bad_csv}: line 3: class 'truck' is not in the label spec (cat, dog, bird)",
        f"{bad_csv}: line 4: image 'missing.png' is not among the job's images",
        f"{bad_csv}: line 5: box [35.0, 35.0, 10.0, 10.0] lies outside the 40x40 image",
        f"{bad_csv}: line 6: box [5.0, 5.0, 0.0, 3.0] has zero or negative width or height",
    ]
    resized = pre_as_dataset()
    resized["images"][0]["width"] = 41
    with pytest.raises(BadInput, match="image 12 'b.png' is 41x40 in the file but 40x40 on disk"):
        create(pre_labels=("coco", write_json(tmp_path / "resized.json", resized)))
    with pytest.raises(BadInput, match="COCO pre-labels are for detection"):
        create_manual_job(
            engine=engine,
            name="m",
            spec_id=fruit_spec(engine).id,
            images_dir=files.images_dir,
            pre_labels=("coco", files.pre_path),
            actor=as_admin("lead"),
        )
    with pytest.raises(BadInput, match="missing column.*x, y, w, h"):
        create(pre_labels=("csv", fruit_pre_csv(tmp_path / "fruit.csv")))
    with pytest.raises(BadInput, match="image folder not found"):
        create(images_dir=tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(BadInput, match="no image files"):
        create(images_dir=tmp_path / "empty")
    with pytest.raises(BadInput, match="IoU threshold"):
        create(iou_threshold=0)
    with pytest.raises(BadInput, match="a manual label job needs images"):
        create(images_dir=None)
    with pytest.raises(NotFound):
        create(spec_id=9999)
    with pytest.raises(BadInput, match="job name"):
        create(name="  ")
    after = table_counts(engine)
    assert {k: v for k, v in after.items() if k not in ("labelspec", "labelclass")} == {
        k: v for k, v in before.items() if k not in ("labelspec", "labelclass")
    }
    create(
        pre_labels=(
            "csv",
            write_csv(
                tmp_path / "sliver.csv",
                [("b.png", "dog", 39.5, 0, 1, 1, "")],
                header=("file_path", "label", "x", "y", "w", "h", "score"),
            ),
        )
    )
    state = editor_state(
        engine=engine, job_id=get_job_id(engine, "m"), sample_id=sample_ids(engine, get_job_id(engine, "m"))["b.png"]
    )
    assert state.bboxes == [[39.5, 0.0, 0.5, 1.0]]
    with pytest.raises(BadInput, match="a job named 'm' already exists"):
        create()


def test_a_rotated_photo_is_labelled_as_it_is_displayed(engine, tmp_path):
    write_rotated_photo(tmp_path / "shots" / "portrait.jpg")
    job = create_manual_job(
        engine=engine,
        name="portraits",
        spec_id=animals_spec(engine).id,
        images_dir=tmp_path / "shots",
        actor=as_admin("lead"),
    )
    sample_id = sample_ids(engine, job.id)["portrait.jpg"]
    state = editor_state(engine=engine, job_id=job.id, sample_id=sample_id)
    assert (state.width, state.height) == ROTATED_SIZE  # the size of the image the annotator shows
    # The lower half exists only upright: a box there is the expert's, not one past the stored 64x32 border.
    saved = save_expert_label(
        engine=engine,
        job_id=job.id,
        sample_id=sample_id,
        actor=as_reviewer("ada"),
        boxes=[{"bbox": [4.0, 40.0, 20.0, 20.0], "label": "cat"}],
    )
    assert saved.clipped == []
    assert editor_state(engine=engine, job_id=job.id, sample_id=sample_id).bboxes == [[4.0, 40.0, 20.0, 20.0]]


def get_job_id(engine, name: str) -> int:
    return next(j.id for j in list_jobs(engine=engine) if j.name == name)


def zipped_images(files) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for image in IMAGES:
            archive.write(files.images_dir / image["file_name"], f"photos/{image['file_name']}")
    return out.getvalue()


def test_a_job_from_a_zip_upload_keeps_its_images_under_the_data_folder(engine, tmp_path, data_dir):
    files = write_detection_job(tmp_path / "in")
    csv_rows = [("photos/a.png", "cat", 10, 10, 20, 20, 0.9)]
    pre = write_csv(tmp_path / "pre.csv", csv_rows, header=("file_path", "label", "x", "y", "w", "h", "score"))
    job = create_manual_job(
        engine=engine,
        name="zipped",
        spec_id=animals_spec(engine).id,
        images_zip=io.BytesIO(zipped_images(files)),
        pre_labels=("csv", pre),
        actor=as_admin("lead"),
    )
    assert job.image_root.startswith("uploads/") and job.image_count == 2
    ids = sample_ids(engine, job.id)
    assert list(ids) == ["photos/a.png", "photos/b.png"]
    state = editor_state(engine=engine, job_id=job.id, sample_id=ids["photos/a.png"])
    assert state.image_path.is_file() and state.image_path.is_relative_to(data_dir.resolve() / "uploads")
    assert state.bboxes == [[10, 10, 20, 20]]


def test_a_refused_zip_job_leaves_no_upload_behind(engine, tmp_path):
    files = write_detection_job(tmp_path / "in")
    bad_pre = write_csv(
        tmp_path / "pre.csv",
        [("a.png", "cat", 10, 10, 20, 20, 0.9)],  # not photos/a.png
        header=("file_path", "label", "x", "y", "w", "h", "score"),
    )
    with pytest.raises(BadInput, match="image 'a.png' is not among the job's images"):
        create_manual_job(
            engine=engine,
            name="zipped",
            spec_id=animals_spec(engine).id,
            images_zip=io.BytesIO(zipped_images(files)),
            pre_labels=("csv", bad_pre),
            actor=as_admin("lead"),
        )
    escaping = io.BytesIO()
    with zipfile.ZipFile(escaping, "w") as archive:
        archive.writestr("../evil.png", b"x")
    with pytest.raises(BadInput, match="member '../evil.png'"):
        create_manual_job(
            engine=engine,
            name="zipped",
            spec_id=animals_spec(engine, "a2").id,
            images_zip=escaping,
            actor=as_admin("lead"),
        )
    assert not uploads_dir().exists() or list(uploads_dir().iterdir()) == []
    assert table_counts(engine)["labeljob"] == 0
    with pytest.raises(BadInput, match="a folder or as a zip, not both"):
        create_manual_job(
            engine=engine,
            name="zipped",
            spec_id=1,
            images_dir=files.images_dir,
            images_zip=io.BytesIO(b""),
            actor=as_admin("lead"),
        )


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
