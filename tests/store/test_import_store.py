"""Valid imports land in the store as the hand-computed samples, classes and results; stats and the jobs list
count them right; the store keeps its schema version and its foreign keys. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from core.jobs import ingest
from core.store.db import SCHEMA_VERSION, StoreError, init_db, schema_version
from core.domain.errors import BadInput, NotFound
from core.jobs.summaries import image_root, list_jobs
from core.analysis.results_frame import load_results
from core.jobs.lookup import get_job
from core.analysis.stats import job_stats
from tests.builders import (
    ADMIN,
    CLASSIFICATION_ROWS,
    EXPECTED_RESULTS,
    EXPERT_ANNOTATIONS,
    IMAGES,
    as_admin,
    job_rows,
    pre_as_dataset,
    table_counts,
    write_classification_job,
    write_detection_job,
    write_image,
    write_json,
)
from tests.resultset_builders import result_ids, set_state

STORED_RESULTS = text("""
    SELECT s.file_path, r.change_kind, ec.name, pc.name, r.class_changed, r.iou, r.area_px, r.area_fraction,
           r.adjustment_factor, r.pre_confidence, COALESCE(st.state, 'pending')
    FROM result r JOIN sample s ON s.id = r.sample_id LEFT JOIN reviewstate st ON st.result_id = r.id
    LEFT JOIN labelclass ec ON ec.id = r.expert_class_id LEFT JOIN labelclass pc ON pc.id = r.pre_class_id
    WHERE r.job_id = :job_id ORDER BY r.id
""")


def stored_results(engine: Engine, job_id: int) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(STORED_RESULTS, {"job_id": job_id})]


def stored_classes(engine: Engine, job_id: int) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT c.name, c.display_name, c.position FROM labelclass c JOIN labeljob j ON j.spec_id = c.spec_id "
            "WHERE j.id = :job_id ORDER BY c.position"), {"job_id": job_id})]


def stored_samples(engine: Engine, job_id: int) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT file_path, width, height FROM sample WHERE job_id = :job_id ORDER BY file_path"),
            {"job_id": job_id})]


def assert_results(got: list[tuple], expected: list[tuple]) -> None:
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        file_path, kind, expert, pre, changed, iou, area, fraction, factor, confidence = e
        assert g[:5] == (file_path, kind, expert, pre, changed)
        for value, want in zip(g[5:10], (iou, area, fraction, factor, confidence)):
            assert value == (None if want is None else pytest.approx(want, abs=1e-12)), (g, e)
        assert g[10] == "pending"


def import_standard(engine: Engine, root, *, name: str = "street", pre=None, **kwargs):
    files = write_detection_job(root, **({} if pre is None else {"pre": pre}))
    return ingest.import_detection(**{"actor": ADMIN, **kwargs}, engine=engine, name=name,
                                   images_dir=files.images_dir, pre_path=files.pre_path,
                                   expert_path=files.expert_path)


def import_fruit(engine: Engine, root, *, name: str = "fruit", **kwargs):
    files = write_classification_job(root)
    return ingest.import_classification(actor=ADMIN, engine=engine, name=name, images_dir=files.images_dir,
                                        csv_path=files.csv_path, **kwargs)


def set_states(engine: Engine, job_id: int, states: dict[str, list[int]]) -> None:
    """Review states by result position (0-based, in id order), straight in the store."""
    ids = result_ids(engine, job_id)
    for state, positions in states.items():
        set_state(engine, [ids[i] for i in positions], state)


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
        ("cat", "cat", 0), ("dog", "dog", 1), ("bird", "bird", 2), ("truck", "Truck", 3)]
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
    assert sorted(kinds) == sorted(["unchanged", "relabeled", "added", "added", "added", "removed", "removed",
                                    "removed"])
    assert job.result_count == 8


def test_an_image_without_boxes_is_a_sample_without_results(engine, tmp_path):
    images = IMAGES + [{"id": 3, "file_name": "sub/c.png", "width": 30, "height": 20}]
    files = write_detection_job(tmp_path / "in", images=images)
    job = ingest.import_detection(actor=ADMIN, engine=engine, name="street", images_dir=files.images_dir,
                                  pre_path=files.pre_path, expert_path=files.expert_path)
    assert job.image_count == 3 and job.result_count == 6
    assert stored_samples(engine, job.id)[-1] == ("sub/c.png", 30, 20)


def test_a_box_a_hair_past_the_border_is_clipped(engine, tmp_path):
    anns = EXPERT_ANNOTATIONS + [{"id": 6, "image_id": 1, "category_id": 1, "bbox": [95.5, -0.5, 5, 5]}]
    files = write_detection_job(tmp_path / "in", expert_annotations=anns)
    job = ingest.import_detection(actor=ADMIN, engine=engine, name="street", images_dir=files.images_dir,
                                  pre_path=files.pre_path, expert_path=files.expert_path)
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
    auto = ingest.import_auto_predictions(actor=ADMIN, engine=engine, name="auto", images_dir=files.images_dir,
                                          predictions_path=predictions)
    assert (auto.kind, auto.tag, auto.status, auto.result_count) == ("auto", "LA-OD", "READY", 0)
    assert table_counts(engine)["prediction"] == 5
    with pytest.raises(BadInput, match="auto label job"):
        job_stats(engine=engine, job_id=auto.id)


# ---- classification --------------------------------------------------------------------------------------------


def test_classification_import(engine, tmp_path):
    job = import_fruit(engine, tmp_path / "in")
    assert (job.kind, job.task, job.tag, job.status) == ("manual", "classification", "M-LA-CL", "READY")
    assert (job.image_count, job.result_count) == (4, 4)
    assert stored_samples(engine, job.id) == [(f"c{i}.png", 32, 24) for i in range(1, 5)]
    assert stored_classes(engine, job.id) == [("apple", "apple", 0), ("pear", "pear", 1), ("plum", "plum", 2)]
    assert_results(stored_results(engine, job.id), [
        ("c1.png", "unchanged", "apple", "apple", False, None, None, None, None, 0.9),
        ("c2.png", "relabeled", "pear", "apple", True, None, None, None, None, 0.6),
        ("c3.png", "unchanged", "pear", "pear", False, None, None, None, None, None),
        ("c4.png", "relabeled", "apple", "plum", True, None, None, None, None, 0.3),
    ])


def test_classification_classes_given_keep_their_order_and_unused_ones(engine, tmp_path):
    job = import_fruit(engine, tmp_path / "in", classes=["plum", "pear", "apple", "kiwi"])
    assert [c[0] for c in stored_classes(engine, job.id)] == ["plum", "pear", "apple", "kiwi"]
    assert [r[2:4] for r in stored_results(engine, job.id)] == [
        ("apple", "apple"), ("pear", "apple"), ("pear", "pear"), ("apple", "plum")]


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


# ---- replace ---------------------------------------------------------------------------------------------------


def test_replace_swaps_the_job_for_the_new_one(engine, tmp_path):
    old = import_standard(engine, tmp_path / "old")
    old_frame = load_results(engine, old)  # caches the old revision's frame on disk
    old_rows = job_rows(engine, old.id)
    files = write_detection_job(tmp_path / "new", expert_annotations=[a for a in EXPERT_ANNOTATIONS if a["id"] != 5])
    new = ingest.import_detection(actor=ADMIN, engine=engine, name="street", images_dir=files.images_dir,
                                  pre_path=files.pre_path, expert_path=files.expert_path, replace=True)
    assert new.data_revision == old.data_revision + 1 == 2
    assert new.result_count == 6
    assert job_rows(engine, old.id) == {"labeljob": [], "sample": [], "result": [], "reviewstate": []} or new.id == old.id
    counts = table_counts(engine)
    assert (counts["labeljob"], counts["labelspec"], counts["labelclass"]) == (1, 1, 3)
    assert (counts["sample"], counts["result"]) == (2, 6)
    # SQLite may hand the freed ids to the new rows (PostgreSQL never does): compare content, not ids.
    new_rows = job_rows(engine, new.id)
    assert [r[1:] for r in new_rows["labeljob"]] != [r[1:] for r in old_rows["labeljob"]]
    assert len(new_rows["result"]) == 6
    kinds = [r[1] for r in stored_results(engine, new.id)]
    assert sorted(kinds) == sorted(["unchanged", "relabeled", "adjusted", "added", "removed", "removed"])
    new_frame = load_results(engine, get_job(engine, new.id))
    assert new_frame["change_kind"].to_list() == kinds != old_frame["change_kind"].to_list()
    assert job_stats(engine=engine, job_id=new.id)["change_kinds"]["removed"] == 2


def test_replace_leaves_other_jobs_alone(engine, tmp_path):
    keep = import_fruit(engine, tmp_path / "fruit")
    before = job_rows(engine, keep.id)
    import_standard(engine, tmp_path / "a")
    import_standard(engine, tmp_path / "b", replace=True)
    assert job_rows(engine, keep.id) == before
    assert table_counts(engine)["labeljob"] == 2


def test_replace_without_an_existing_job_just_imports(engine, tmp_path):
    job = import_standard(engine, tmp_path / "in", replace=True)
    assert job.data_revision == 1 and job.result_count == 6


# ---- stats -----------------------------------------------------------------------------------------------------


def test_detection_stats_equal_hand_counts(engine, tmp_path):
    job = import_standard(engine, tmp_path / "in")
    set_states(engine, job.id, {"accepted": [0, 2, 4], "rejected": [5]})
    stats = job_stats(engine=engine, job_id=job.id)
    assert (stats["job_id"], stats["name"], stats["tag"], stats["status"]) == (job.id, "street", "M-LA-OD", "READY")
    assert (stats["images"], stats["results"]) == (2, 6)
    assert stats["by_state"] == {"pending": 2, "accepted": 3, "rejected": 1}
    assert stats["change_kinds"] == {"unchanged": 1, "adjusted": 2, "relabeled": 1, "added": 1, "removed": 1}
    assert stats["class_changed"] == {
        "cat": {"true": 0, "false": 2}, "dog": {"true": 1, "false": 1}, "bird": {"true": 1, "false": 0},
        "(removed)": {"true": 1, "false": 0},
    }
    assert stats["class_changed_share"] == 0.5
    area = stats["expert_review_area"]["px"]
    assert (area["count"], area["min"], area["median"], area["max"]) == (5, 100.0, 200.0, 400.0)
    assert area["mean"] == pytest.approx((400 + 400 + 200 + 100 + 100) / 5)
    fraction = stats["expert_review_area"]["fraction"]
    assert (fraction["count"], fraction["min"], fraction["max"]) == (5, pytest.approx(0.04), pytest.approx(0.08))
    factor = stats["adjustment_factor"]
    assert (factor["count"], factor["min"], factor["median"], factor["max"]) == (4, 0.5, 1.0, 2.0)
    assert factor["mean"] == pytest.approx((1 + 1 + 2 + 0.5) / 4)
    iou = stats["iou"]
    assert (iou["count"], iou["min"], iou["max"], iou["mean"]) == (4, 0.5, 1.0, pytest.approx(0.75))


def test_detection_stats_keep_a_removed_row_when_nothing_was_removed(engine, tmp_path):
    job = import_standard(engine, tmp_path / "in", pre=[r for r in [
        {"image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 20], "score": 0.9}]])
    stats = job_stats(engine=engine, job_id=job.id)
    assert stats["class_changed"]["(removed)"] == {"true": 0, "false": 0}
    assert stats["change_kinds"] == {"unchanged": 1, "adjusted": 0, "relabeled": 0, "added": 4, "removed": 0}


def test_stats_of_an_unknown_job(engine):
    with pytest.raises(NotFound, match="job 999 not found"):
        job_stats(engine=engine, job_id=999)


# ---- the jobs list ---------------------------------------------------------------------------------------------


@pytest.fixture
def three_jobs(engine, tmp_path):
    street = import_standard(engine, tmp_path / "street", name="Street Scenes")
    fruit = import_fruit(engine, tmp_path / "fruit", name="fruit-stand")
    predictions = write_json(tmp_path / "predictions.json", pre_as_dataset())
    auto = ingest.import_auto_predictions(actor=ADMIN, engine=engine, name="street-autolabel",
                                          images_dir=tmp_path / "street" / "images", predictions_path=predictions,
                                          status="PROCESSING")
    return street, fruit, auto


def names(jobs) -> list[str]:
    return sorted(j.name for j in jobs)


def test_list_jobs_summaries(engine, three_jobs):
    street, fruit, auto = three_jobs
    set_states(engine, street.id, {"accepted": [0, 1], "rejected": [2]})
    by_name = {j.name: j for j in list_jobs(engine=engine)}
    assert set(by_name) == {"Street Scenes", "fruit-stand", "street-autolabel"}
    s = by_name["Street Scenes"]
    assert (s.id, s.tag, s.status, s.images, s.results) == (street.id, "M-LA-OD", "READY", 2, 6)
    assert s.classes == ["cat", "dog", "bird"]
    assert s.by_state == {"pending": 3, "accepted": 2, "rejected": 1}
    assert s.reviewed_share == 0.5 and s.is_reviewable
    f = by_name["fruit-stand"]
    assert (f.tag, f.images, f.results, f.classes) == ("M-LA-CL", 4, 4, ["apple", "pear", "plum"])
    a = by_name["street-autolabel"]
    assert (a.tag, a.status, a.results, a.is_reviewable) == ("LA-OD", "PROCESSING", 0, False)
    assert a.by_state == {"pending": 0, "accepted": 0, "rejected": 0} and a.reviewed_share == 0.0
    json_keys = set(s.to_json())
    assert {"id", "name", "tag", "status", "images", "results", "reviewed_share"} <= json_keys


def test_list_jobs_filters(engine, three_jobs):
    assert names(list_jobs(engine=engine, name_contains="street")) == ["Street Scenes", "street-autolabel"]
    assert names(list_jobs(engine=engine, name_contains="  SCENES ")) == ["Street Scenes"]
    assert names(list_jobs(engine=engine, name_contains="nothing")) == []
    assert names(list_jobs(engine=engine, statuses=["READY"])) == ["Street Scenes", "fruit-stand"]
    assert names(list_jobs(engine=engine, statuses=["PROCESSING", "FAILED"])) == ["street-autolabel"]
    assert names(list_jobs(engine=engine, tags=["M-LA-CL"])) == ["fruit-stand"]
    assert names(list_jobs(engine=engine, tags=["M-LA-OD", "LA-OD"])) == ["Street Scenes", "street-autolabel"]
    assert names(list_jobs(engine=engine, name_contains="street", statuses=["READY"], tags=["M-LA-OD"])) == [
        "Street Scenes"]
    assert names(list_jobs(engine=engine, name_contains="fruit", tags=["LA-OD"])) == []


def test_list_jobs_newest_first(engine, three_jobs):
    assert [j.name for j in list_jobs(engine=engine)] == ["street-autolabel", "fruit-stand", "Street Scenes"]


# ---- schema and integrity --------------------------------------------------------------------------------------


def test_schema_version_is_recorded_and_init_db_is_idempotent(engine, tmp_path):
    assert schema_version(engine) == SCHEMA_VERSION
    job = import_standard(engine, tmp_path / "in")
    before = table_counts(engine)
    init_db(engine)
    init_db(engine)
    assert schema_version(engine) == SCHEMA_VERSION
    assert table_counts(engine) == before and before["schemaversion"] == 1
    assert get_job(engine, job.id).name == "street"


def test_a_store_newer_than_the_code_is_refused(engine):
    with engine.begin() as conn:
        conn.execute(text("UPDATE schemaversion SET version = :v"), {"v": SCHEMA_VERSION + 1})
    with pytest.raises(StoreError, match="newer than this LabelDeck"):
        init_db(engine)


def test_deleting_a_job_cascades_to_its_samples_and_results(engine, tmp_path):
    street = import_standard(engine, tmp_path / "street")
    fruit = import_fruit(engine, tmp_path / "fruit")
    fruit_rows = job_rows(engine, fruit.id)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM labeljob WHERE id = :id"), {"id": street.id})
    assert job_rows(engine, street.id) == {"labeljob": [], "sample": [], "result": [], "reviewstate": []}
    assert job_rows(engine, fruit.id) == fruit_rows
    counts = table_counts(engine)
    assert (counts["sample"], counts["result"]) == (4, 4)


def test_foreign_keys_are_enforced(engine, tmp_path):
    job = import_standard(engine, tmp_path / "in")
    with pytest.raises(IntegrityError):
        with engine.begin() as conn:
            conn.execute(text(  # a result's job is a foreign key (its sample and classes are not: models.Result)
                "INSERT INTO result (job_id, sample_id, class_changed, change_kind) "
                "VALUES (999999, :sample, false, 'added')"),
                {"sample": conn.execute(text("SELECT MIN(id) FROM sample WHERE job_id = :j"), {"j": job.id}).scalar()})
    with pytest.raises(IntegrityError):
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO sample (job_id, file_path, width, height) VALUES (999999, 'x.png', 1, 1)"))
    assert table_counts(engine)["result"] == 6


def test_a_file_path_is_unique_within_a_job(engine, tmp_path):
    job = import_standard(engine, tmp_path / "in")
    with pytest.raises(IntegrityError):
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO sample (job_id, file_path, width, height) VALUES (:j, 'a.png', 1, 1)"),
                         {"j": job.id})


def test_classification_import_into_a_data_folder_image_root(engine, data_dir):
    files = write_classification_job(data_dir / "fruit")
    write_image(files.images_dir / "unused.png", 5, 5)  # files the CSV does not name are simply not samples
    job = ingest.import_classification(actor=ADMIN, engine=engine, name="fruit", images_dir=files.images_dir,
                                       csv_path=files.csv_path)
    assert job.image_root == "fruit/images" and job.image_count == len(CLASSIFICATION_ROWS)


@pytest.mark.parametrize("pre_format", ["results", "dataset"])
def test_tied_pre_boxes_match_in_file_order_in_both_formats(engine, tmp_path, pre_format):
    """Two pre boxes equal to the expert box (IoU 1 both): the first in the file wins, whatever its class."""
    tied = [{"image_id": 1, "category_id": 2, "bbox": [10, 10, 20, 20], "score": 0.9},
            {"image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 20], "score": 0.8}]
    pre = tied if pre_format == "results" else {
        "images": list(reversed(IMAGES)), "categories": [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}],
        "annotations": [{"id": i, **t} for i, t in enumerate(tied, 1)],
    }
    files = write_detection_job(tmp_path / "in", expert_annotations=EXPERT_ANNOTATIONS[:1], pre=pre)
    job = ingest.import_detection(actor=ADMIN, engine=engine, name="tied", images_dir=files.images_dir,
                                  pre_path=files.pre_path,
                                  expert_path=files.expert_path)
    assert [r[1:4] for r in stored_results(engine, job.id)] == [("relabeled", "cat", "dog"), ("removed", None, "cat")]
