"""Auto label jobs from predictions (the stand-in for running a model): COCO results with an image list from a
folder or a COCO file, COCO datasets, classification CSVs; and manual jobs made from their predictions."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from core.domain.errors import BadInput
from core.jobs.auto import import_auto_job
from core.jobs.expert_labels import editor_state
from core.jobs.manual import create_manual_job
from core.jobs.submit import submit_job
from core.jobs.summaries import spec_classes
from tests.builders import (
    ADMIN,
    CLASSIFICATION_ROWS,
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
from tests.manual_builders import ANIMALS, label_like_the_fruit_csv, results_of, sample_ids


def predictions(engine, job_id: int) -> list[tuple]:
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                text(
                    "SELECT s.file_path, c.name, p.x, p.y, p.w, p.h, p.score FROM prediction p "
                    "JOIN sample s ON s.id = p.sample_id JOIN labelclass c ON c.id = p.class_id "
                    "WHERE p.job_id = :j ORDER BY p.id"
                ),
                {"j": job_id},
            )
        ]


EXPECTED_PREDICTIONS = [
    ({1: "a.png", 2: "b.png"}[r["image_id"]], ANIMALS[r["category_id"] - 1], *map(float, r["bbox"]), r["score"])
    for r in PRE_RESULTS
]


def test_results_format_with_the_folder_as_the_image_list(engine, tmp_path):
    files = write_detection_job(tmp_path / "in")  # a.png, b.png: ids 1 and 2 by path
    auto = import_auto_job(
        actor=ADMIN,
        engine=engine,
        name="auto",
        images_dir=files.images_dir,
        predictions_path=files.pre_path,
        classes=ANIMALS,
    )
    assert (auto.kind, auto.tag, auto.status, auto.image_count) == ("auto", "LA-OD", "READY", 2)
    assert predictions(engine, auto.id) == EXPECTED_PREDICTIONS
    assert [c.name for c in spec_classes(engine=engine, spec_id=auto.spec_id)] == ANIMALS


def test_results_format_with_a_coco_image_list_and_its_categories(engine, tmp_path):
    files = write_detection_job(tmp_path / "in")
    auto = import_auto_job(
        actor=ADMIN,
        engine=engine,
        name="auto",
        images_dir=files.images_dir,
        predictions_path=files.pre_path,
        image_list=files.expert_path,
    )
    assert predictions(engine, auto.id) == EXPECTED_PREDICTIONS
    images_only = write_json(tmp_path / "images.json", {"images": IMAGES})
    again = import_auto_job(
        actor=ADMIN,
        engine=engine,
        name="auto2",
        images_dir=files.images_dir,
        predictions_path=files.pre_path,
        image_list=images_only,
        classes=ANIMALS,
    )
    assert predictions(engine, again.id) == EXPECTED_PREDICTIONS


def test_the_dataset_format_still_works_and_processing_jobs_store_no_predictions(engine, tmp_path):
    files = write_detection_job(tmp_path / "in")
    dataset = write_json(tmp_path / "predictions.json", pre_as_dataset())
    auto = import_auto_job(
        actor=ADMIN, engine=engine, name="auto", images_dir=files.images_dir, predictions_path=dataset
    )
    assert sorted(predictions(engine, auto.id)) == sorted(EXPECTED_PREDICTIONS)
    running = import_auto_job(
        actor=ADMIN,
        engine=engine,
        name="running",
        images_dir=files.images_dir,
        predictions_path=files.pre_path,
        classes=ANIMALS,
        status="PROCESSING",
    )
    assert (running.status, predictions(engine, running.id)) == ("PROCESSING", [])


def test_results_format_problems(engine, tmp_path):
    files = write_detection_job(tmp_path / "in")
    before = table_counts(engine)
    with pytest.raises(BadInput, match="need their classes"):
        import_auto_job(
            actor=ADMIN, engine=engine, name="auto", images_dir=files.images_dir, predictions_path=files.pre_path
        )
    with pytest.raises(BadInput, match="unknown category id 2"):
        import_auto_job(
            actor=ADMIN,
            engine=engine,
            name="auto",
            images_dir=files.images_dir,
            predictions_path=files.pre_path,
            classes=["cat"],
        )
    with pytest.raises(BadInput, match="the image list names the classes"):
        import_auto_job(
            actor=ADMIN,
            engine=engine,
            name="auto",
            images_dir=files.images_dir,
            predictions_path=files.pre_path,
            image_list=files.expert_path,
            classes=ANIMALS,
        )
    with pytest.raises(BadInput, match="a COCO dataset names its own images and classes"):
        import_auto_job(
            actor=ADMIN,
            engine=engine,
            name="auto",
            images_dir=files.images_dir,
            predictions_path=files.expert_path,
            classes=ANIMALS,
        )
    assert table_counts(engine) == before


def test_classification_auto_job_and_a_manual_job_from_it(engine, tmp_path):
    files = write_classification_job(tmp_path / "fruit")
    top_k = write_csv(
        tmp_path / "predictions.csv",
        [(f, pre, conf) for f, pre, _e, conf in CLASSIFICATION_ROWS],
        header=("file_path", "label", "score"),
    )
    auto = import_auto_job(
        actor=ADMIN,
        engine=engine,
        name="fruit-auto",
        images_dir=files.images_dir,
        task="classification",
        predictions_path=top_k,
        classes=["apple", "pear", "plum"],
    )
    assert (auto.tag, auto.status, auto.image_count) == ("LA-CL", "READY", 4)
    assert [p[:2] for p in predictions(engine, auto.id)] == [(f, pre) for f, pre, _e, _c in CLASSIFICATION_ROWS]

    job = create_manual_job(engine=engine, name="fruit", pre_labels=("auto_job", auto.id), actor=as_admin("lead"))
    assert (job.tag, job.spec_id) == ("M-LA-CL", auto.spec_id)
    c4 = sample_ids(engine, job.id)["c4.png"]
    assert editor_state(engine=engine, job_id=job.id, sample_id=c4).class_index == 2  # plum
    label_like_the_fruit_csv(engine, job.id)
    submit_job(engine=engine, job_id=job.id, actor=as_reviewer("ada"))
    assert [(r[0], r[1], r[2], r[3]) for r in results_of(engine, job.id)] == [
        ("c1.png", "unchanged", "apple", "apple"),
        ("c2.png", "relabeled", "pear", "apple"),
        ("c3.png", "unchanged", "pear", "pear"),
        ("c4.png", "relabeled", "apple", "plum"),
    ]


def test_a_classification_model_top_k_gives_its_best_guess_as_the_pre_label(engine, tmp_path):
    files = write_classification_job(tmp_path / "fruit")
    auto = import_auto_job(
        actor=ADMIN,
        engine=engine,
        name="fruit-auto",
        images_dir=files.images_dir,
        task="classification",
        predictions_path=write_csv(
            tmp_path / "p.csv", [("c1.png", "pear", "0.9")], header=("file_path", "label", "score")
        ),
        classes=["apple", "pear", "plum"],
    )
    with engine.begin() as conn:  # a second, less likely guess for c1.png, as a top-k model stores it
        conn.execute(
            text(
                "INSERT INTO prediction (job_id, sample_id, class_id, score) SELECT p.job_id, p.sample_id, c.id, 0.05 "
                "FROM prediction p JOIN labelclass c ON c.spec_id = :spec AND c.name = 'plum' WHERE p.job_id = :j"
            ),
            {"spec": auto.spec_id, "j": auto.id},
        )
    job = create_manual_job(engine=engine, name="fruit", pre_labels=("auto_job", auto.id), actor=as_admin("lead"))
    state = editor_state(engine=engine, job_id=job.id, sample_id=sample_ids(engine, job.id)["c1.png"])
    assert (state.source, state.class_index) == ("pre", 1)  # pear, 0.9
    assert (
        editor_state(engine=engine, job_id=job.id, sample_id=sample_ids(engine, job.id)["c2.png"]).class_index is None
    )


def test_classification_classes_default_to_those_the_csv_uses(engine, tmp_path):
    files = write_classification_job(tmp_path / "fruit")
    csv = write_csv(
        tmp_path / "p.csv", [("c1.png", "pear", ""), ("c2.png", "apple", "")], header=("file_path", "label", "score")
    )
    auto = import_auto_job(
        actor=ADMIN, engine=engine, name="a", images_dir=files.images_dir, task="classification", predictions_path=csv
    )
    assert [c.name for c in spec_classes(engine=engine, spec_id=auto.spec_id)] == ["pear", "apple"]
    one = write_csv(tmp_path / "one.csv", [("c1.png", "pear", "")], header=("file_path", "label", "score"))
    with pytest.raises(BadInput, match="needs at least 2 classes"):
        import_auto_job(
            actor=ADMIN,
            engine=engine,
            name="b",
            images_dir=files.images_dir,
            task="classification",
            predictions_path=one,
        )
