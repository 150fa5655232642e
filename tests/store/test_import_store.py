"""Valid detection and classification imports land in the store as the hand-computed samples, classes and
results: either pre-label format, an extra class, the IoU threshold, images without boxes, clipped boxes, image
roots inside and outside the data folder, auto label jobs, tied pre-label boxes. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from core.analysis.results_frame import load_results
from core.analysis.stats import job_stats
from core.domain.errors import BadInput
from core.jobs import ingest
from core.jobs.lookup import get_job
from core.jobs.summaries import image_root
from tests.builders import (
    ADMIN,
    CLASSIFICATION_ROWS,
    EXPECTED_RESULTS,
    EXPERT_ANNOTATIONS,
    IMAGES,
    as_admin,
    pre_as_dataset,
    table_counts,
    write_classification_job,
    write_detection_job,
    write_image,
    write_json,
)
from tests.store.import_store_helpers import (
    assert_results,
    import_fruit,
    import_standard,
    set_states,
    stored_classes,
    stored_results,
    stored_samples,
)

# ---- detection -------------------------------------------------------------------------------------------------


def test_detection_import_with_results_format_pre_labels(engine, tmp_path):
    job = import_standard(engine, tmp_path / "in", actor=as_admin("ana"))
    assert (job.name, job.kind, job.task, job.tag, job.status) == ("street", "manual", "detection", "M-LA-OD", "READY")
    assert (job.image_count, job.result_count, job.iou_threshold, job.data_revision) == (2, 6, 0.5, 1)
    assert job.pre_label_source == "import: pre.json"
    assert job.created_by == "ana" and job.source_job_id is None
    assert stored_samples(engine, job.id) == [("a.png", 100, 50), ("b.png", 40, 40)]
    assert stored_classes(engine, job.id) == [("cat", "cat", 0), ("dog", "dog", 1), ("bird", "bird", 2)]
    assert_results(stored_results(engine, job.id), EXPECTED_RESULTS)


def test_detection_import_with_dataset_format_pre_labels_gives_the_same_results(engine, tmp_path):
    job = import_standard(engine, tmp_path / "in", pre=pre_as_dataset())
    assert stored_classes(engine, job.id) == [("cat", "cat", 0), ("dog", "dog", 1), ("bird", "bird", 2)]
    assert_results(stored_results(engine, job.id), EXPECTED_RESULTS)


def test_pre_labels_with_an_extra_class_add_it_to_the_spec(engine, tmp_path):
    job = import_standard(engine, tmp_path / "in", pre=pre_as_dataset(extra_class=True))
    assert stored_classes(engine, job.id) == [
        ("cat", "cat", 0),
        ("dog", "dog", 1),
        ("bird", "bird", 2),
        ("truck", "Truck", 3),
    ]
    truck = ("a.png", "removed", None, "truck", True, None, None, None, None, 0.4)
    assert_results(stored_results(engine, job.id), EXPECTED_RESULTS[:3] + [truck] + EXPECTED_RESULTS[3:])
    stats = job_stats(engine=engine, job_id=job.id)
    assert stats["change_kinds"]["removed"] == 2
    assert stats["class_changed"]["(removed)"] == {"true": 2, "false": 0}
    assert "truck" not in stats["class_changed"]  # no expert box is a truck


def test_the_iou_threshold_given_at_import_decides_the_matching(engine, tmp_path):
    job = import_standard(engine, tmp_path / "in", iou_threshold=0.6)
    assert job.iou_threshold == 0.6
    kinds = [r[1] for r in stored_results(engine, job.id)]
    # The two IoU-0.5 pairs (a.png cat, b.png dog) no longer match: each is an added and a removed result.
    assert sorted(kinds) == sorted(
        ["unchanged", "relabeled", "added", "added", "added", "removed", "removed", "removed"]
    )
    assert job.result_count == 8


def test_an_image_without_boxes_is_a_sample_without_results(engine, tmp_path):
    images = IMAGES + [{"id": 3, "file_name": "sub/c.png", "width": 30, "height": 20}]
    files = write_detection_job(tmp_path / "in", images=images)
    job = ingest.import_detection(
        actor=ADMIN,
        engine=engine,
        name="street",
        images_dir=files.images_dir,
        pre_path=files.pre_path,
        expert_path=files.expert_path,
    )
    assert job.image_count == 3 and job.result_count == 6
    assert stored_samples(engine, job.id)[-1] == ("sub/c.png", 30, 20)


def test_a_box_a_hair_past_the_border_is_clipped(engine, tmp_path):
    anns = EXPERT_ANNOTATIONS + [{"id": 6, "image_id": 1, "category_id": 1, "bbox": [95.5, -0.5, 5, 5]}]
    files = write_detection_job(tmp_path / "in", expert_annotations=anns)
    job = ingest.import_detection(
        actor=ADMIN,
        engine=engine,
        name="street",
        images_dir=files.images_dir,
        pre_path=files.pre_path,
        expert_path=files.expert_path,
    )
    frame = load_results(engine, get_job(engine, job.id))
    clipped = frame.filter(frame["expert_x"] == 95.5).row(0, named=True)
    assert (clipped["expert_y"], clipped["expert_w"], clipped["expert_h"]) == (0.0, 4.5, 4.5)
    assert clipped["area_px"] == 20.25 and clipped["change_kind"] == "added"
    assert clipped["area_fraction"] == pytest.approx(20.25 / 5000)


def test_images_inside_the_data_folder_are_stored_relative_to_it(engine, data_dir):
    job = import_standard(engine, data_dir / "imports" / "street")
    assert job.image_root == "imports/street/images"
    assert image_root(job) == data_dir / "imports" / "street" / "images"


def test_images_outside_the_data_folder_are_stored_absolute(engine, tmp_path):
    job = import_standard(engine, tmp_path / "elsewhere")
    assert job.image_root == str((tmp_path / "elsewhere" / "images").resolve())
    assert image_root(job) == (tmp_path / "elsewhere" / "images").resolve()


def test_results_frame_matches_the_store(engine, tmp_path):
    job = import_standard(engine, tmp_path / "in")
    frame = load_results(engine, job)
    assert frame["class_row"].to_list() == ["cat", "dog", "cat", "bird", "dog", "(removed)"]
    assert frame["change_kind"].to_list() == [e[1] for e in EXPECTED_RESULTS]
    assert frame["width"].to_list() == [100, 100, 100, 40, 40, 40]


def test_auto_label_job_stores_its_predictions(engine, tmp_path):
    files = write_detection_job(tmp_path / "in")
    predictions = write_json(tmp_path / "in" / "predictions.json", pre_as_dataset())
    auto = ingest.import_auto_predictions(
        actor=ADMIN, engine=engine, name="auto", images_dir=files.images_dir, predictions_path=predictions
    )
    assert (auto.kind, auto.tag, auto.status, auto.result_count) == ("auto", "LA-OD", "READY", 0)
    assert table_counts(engine)["prediction"] == 5
    with pytest.raises(BadInput, match="auto label job"):
        job_stats(engine=engine, job_id=auto.id)


@pytest.mark.parametrize("pre_format", ["results", "dataset"])
def test_tied_pre_boxes_match_in_file_order_in_both_formats(engine, tmp_path, pre_format):
    """Two pre boxes equal to the expert box (IoU 1 both): the first in the file wins, whatever its class."""
    tied = [
        {"image_id": 1, "category_id": 2, "bbox": [10, 10, 20, 20], "score": 0.9},
        {"image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 20], "score": 0.8},
    ]
    pre = (
        tied
        if pre_format == "results"
        else {
            "images": list(reversed(IMAGES)),
            "categories": [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}],
            "annotations": [{"id": i, **t} for i, t in enumerate(tied, 1)],
        }
    )
    files = write_detection_job(tmp_path / "in", expert_annotations=EXPERT_ANNOTATIONS[:1], pre=pre)
    job = ingest.import_detection(
        actor=ADMIN,
        engine=engine,
        name="tied",
        images_dir=files.images_dir,
        pre_path=files.pre_path,
        expert_path=files.expert_path,
    )
    assert [r[1:4] for r in stored_results(engine, job.id)] == [("relabeled", "cat", "dog"), ("removed", None, "cat")]


# ---- classification --------------------------------------------------------------------------------------------


def test_classification_import(engine, tmp_path):
    job = import_fruit(engine, tmp_path / "in")
    assert (job.kind, job.task, job.tag, job.status) == ("manual", "classification", "M-LA-CL", "READY")
    assert (job.image_count, job.result_count) == (4, 4)
    assert stored_samples(engine, job.id) == [(f"c{i}.png", 32, 24) for i in range(1, 5)]
    assert stored_classes(engine, job.id) == [("apple", "apple", 0), ("pear", "pear", 1), ("plum", "plum", 2)]
    assert_results(
        stored_results(engine, job.id),
        [
            ("c1.png", "unchanged", "apple", "apple", False, None, None, None, None, 0.9),
            ("c2.png", "relabeled", "pear", "apple", True, None, None, None, None, 0.6),
            ("c3.png", "unchanged", "pear", "pear", False, None, None, None, None, None),
            ("c4.png", "relabeled", "apple", "plum", True, None, None, None, None, 0.3),
        ],
    )


def test_classification_classes_given_keep_their_order_and_unused_ones(engine, tmp_path):
    job = import_fruit(engine, tmp_path / "in", classes=["plum", "pear", "apple", "kiwi"])
    assert [c[0] for c in stored_classes(engine, job.id)] == ["plum", "pear", "apple", "kiwi"]
    assert [r[2:4] for r in stored_results(engine, job.id)] == [
        ("apple", "apple"),
        ("pear", "apple"),
        ("pear", "pear"),
        ("apple", "plum"),
    ]


def test_classification_stats(engine, tmp_path):
    job = import_fruit(engine, tmp_path / "in")
    set_states(engine, job.id, {"accepted": [0], "rejected": [1, 3]})
    stats = job_stats(engine=engine, job_id=job.id)
    assert (stats["task"], stats["images"], stats["results"]) == ("classification", 4, 4)
    assert stats["by_state"] == {"pending": 1, "accepted": 1, "rejected": 2}
    assert stats["change_kinds"] == {"unchanged": 2, "adjusted": 0, "relabeled": 2, "added": 0, "removed": 0}
    assert stats["class_changed"] == {"apple": {"true": 1, "false": 1}, "pear": {"true": 1, "false": 1}}
    assert stats["class_changed_share"] == 0.5
    assert "expert_review_area" not in stats and "adjustment_factor" not in stats


def test_classification_import_into_a_data_folder_image_root(engine, data_dir):
    files = write_classification_job(data_dir / "fruit")
    write_image(files.images_dir / "unused.png", 5, 5)  # files the CSV does not name are simply not samples
    job = ingest.import_classification(
        actor=ADMIN, engine=engine, name="fruit", images_dir=files.images_dir, csv_path=files.csv_path
    )
    assert job.image_root == "fruit/images" and job.image_count == len(CLASSIFICATION_ROWS)
