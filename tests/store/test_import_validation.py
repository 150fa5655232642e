"""Every bad input is refused with a message naming the problem and where it is, and the store is left unchanged.

Each case builds its files under tmp_path and returns the import to attempt and the fragments its message must
contain. The store already holds a job ("existing") so "unchanged" means something.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine

from core.jobs import ingest
from core.domain.errors import BadInput
from core.analysis.results_frame import job_samples
from tests.builders import (
    ADMIN,
    CATEGORIES,
    CLASSIFICATION_ROWS,
    EXPERT_ANNOTATIONS,
    IMAGES,
    PRE_RESULTS,
    ROTATED_SIZE,
    ROTATED_STORED_SIZE,
    DetectionFiles,
    job_rows,
    pre_as_dataset,
    table_counts,
    write_classification_job,
    write_cut_image,
    write_detection_job,
    write_image,
    write_json,
    write_rotated_photo,
    write_truncated_image,
)

Attempt = Callable[[Engine], object]
CASES: dict[str, Callable[[Path], tuple[Attempt, list[str]]]] = {}


def case(fn):
    CASES[fn.__name__] = fn
    return fn


def detection(files: DetectionFiles, *, name: str = "incoming", **kwargs) -> Attempt:
    return lambda engine: ingest.import_detection(actor=ADMIN, 
        engine=engine, name=name, images_dir=files.images_dir, pre_path=files.pre_path,
        expert_path=files.expert_path, **kwargs,
    )


def classification(files, *, name: str = "incoming", **kwargs) -> Attempt:
    return lambda engine: ingest.import_classification(actor=ADMIN, 
        engine=engine, name=name, images_dir=files.images_dir, csv_path=files.csv_path, **kwargs
    )


def anns_with(*extra: dict, drop: int | None = None, change: dict[int, dict] | None = None) -> list[dict]:
    """The standard expert annotations, with some appended, one dropped (by id) or some fields changed (by id)."""
    anns = [copy.deepcopy(a) for a in EXPERT_ANNOTATIONS if a["id"] != drop]
    for a in anns:
        a.update((change or {}).get(a["id"], {}))
    return anns + list(extra)


def images_with(change: dict[int, dict] | None = None, *extra: dict) -> list[dict]:
    out = [copy.deepcopy(im) for im in IMAGES]
    for im in out:
        im.update((change or {}).get(im["id"], {}))
    return out + list(extra)


# ---- ids and boxes ---------------------------------------------------------------------------------------------


@case
def unknown_category_id_in_expert(root):
    files = write_detection_job(root, expert_annotations=anns_with(
        {"id": 6, "image_id": 1, "category_id": 99, "bbox": [1, 1, 5, 5]}))
    return detection(files), ["expert.json", "annotation 6 (image 1 'a.png')", "unknown category id 99"]


@case
def unknown_category_id_in_pre_results(root):
    files = write_detection_job(root, pre=PRE_RESULTS + [{"image_id": 2, "category_id": 42, "bbox": [1, 1, 5, 5]}])
    return detection(files), ["pre.json", "annotation 6 (image 2 'b.png')", "unknown category id 42"]


@case
def unknown_image_id_in_expert(root):
    files = write_detection_job(root, expert_annotations=anns_with(
        {"id": 6, "image_id": 77, "category_id": 1, "bbox": [1, 1, 5, 5]}))
    return detection(files), ["expert.json", "annotation 6 (image 77)", "unknown image id 77"]


@case
def unknown_image_id_in_pre_results(root):
    files = write_detection_job(root, pre=[{"image_id": 9, "category_id": 1, "bbox": [1, 1, 5, 5]}] + PRE_RESULTS)
    return detection(files), ["pre.json", "annotation 1 (image 9)", "unknown image id 9"]


@case
def box_past_the_right_border(root):
    files = write_detection_job(root, expert_annotations=anns_with(change={2: {"bbox": [90, 10, 20, 20]}}))
    return detection(files), ["expert.json", "annotation 2 (image 1 'a.png')", "lies outside the 100x50 image"]


@case
def box_left_of_the_image(root):
    files = write_detection_job(root, expert_annotations=anns_with(change={4: {"bbox": [-5, 0, 10, 10]}}))
    return detection(files), ["expert.json", "annotation 4 (image 2 'b.png')", "lies outside the 40x40 image"]


@case
def box_below_the_image_in_pre(root):
    pre = copy.deepcopy(PRE_RESULTS)
    pre[4]["bbox"] = [0, 35, 10, 10]
    files = write_detection_job(root, pre=pre)
    return detection(files), ["pre.json", "annotation 5 (image 2 'b.png')", "lies outside the 40x40 image"]


@case
def box_of_zero_width(root):
    files = write_detection_job(root, expert_annotations=anns_with(change={3: {"bbox": [0, 30, 0, 10]}}))
    return detection(files), ["expert.json", "annotation 3 (image 1 'a.png')", "non-positive width or height"]


@case
def box_of_negative_height_in_pre(root):
    pre = copy.deepcopy(PRE_RESULTS)
    pre[0]["bbox"] = [10, 10, 20, -4]
    files = write_detection_job(root, pre=pre)
    return detection(files), ["pre.json", "annotation 1 (image 1 'a.png')", "non-positive width or height"]


@case
def image_of_zero_width(root):
    files = write_detection_job(root, images=images_with({2: {"width": 0}}), image_files=IMAGES)
    return detection(files), ["expert.json", "image 2 'b.png'", "width and height must be positive, got 0x40"]


@case
def duplicate_image_ids(root):
    extra = {"id": 2, "file_name": "c.png", "width": 40, "height": 40}
    files = write_detection_job(root, images=images_with(None, extra))
    return detection(files), ["expert.json", "image id 2 appears more than once"]


@case
def duplicate_annotation_ids(root):
    files = write_detection_job(root, expert_annotations=anns_with(
        {"id": 3, "image_id": 2, "category_id": 1, "bbox": [1, 1, 5, 5]}))
    return detection(files), ["expert.json", "annotation id 3 appears more than once"]


@case
def duplicate_file_names(root):
    extra = {"id": 3, "file_name": "a.png", "width": 100, "height": 50}
    files = write_detection_job(root, images=images_with(None, extra), image_files=IMAGES)
    return detection(files), ["expert.json", "file name 'a.png' appears more than once"]


@case
def file_name_with_dot_dot(root):
    write_image(root / "b.png", 40, 40)  # it exists, just outside the image root
    files = write_detection_job(root, images=images_with({2: {"file_name": "../b.png"}}), image_files=IMAGES[:1])
    return detection(files), ["expert.json", "image 2 '../b.png'", "contains '..'"]


@case
def file_name_with_dot_dot_and_backslashes(root):
    files = write_detection_job(root, images=images_with({2: {"file_name": "sub\\..\\..\\b.png"}}),
                                image_files=IMAGES[:1])
    return detection(files), ["expert.json", "image 2", "contains '..'"]


@case
def absolute_file_name(root):
    outside = write_image(root / "elsewhere" / "b.png", 40, 40)
    files = write_detection_job(root, images=images_with({2: {"file_name": str(outside)}}), image_files=IMAGES[:1])
    return detection(files), ["expert.json", f"image 2 '{outside}'", "absolute path"]


@case
def windows_drive_file_name(root):
    files = write_detection_job(root, images=images_with({2: {"file_name": "C:\\data\\b.png"}}), image_files=IMAGES[:1])
    return detection(files), ["expert.json", "image 2", "absolute path"]


@case
def pre_dataset_names_an_image_the_expert_lacks(root):
    pre = pre_as_dataset()
    pre["images"].append({"id": 13, "file_name": "c.png", "width": 40, "height": 40})
    files = write_detection_job(root, pre=pre)
    return detection(files), ["pre.json", "image 13 'c.png' is not among the expert's images"]


@case
def pre_dataset_states_another_image_size(root):
    pre = pre_as_dataset()
    pre["images"][1].update(width=1000, height=1000)  # a.png, 100x50 in fact and in the expert file
    pre["annotations"].append({"id": 300, "image_id": 11, "category_id": 21, "bbox": [500, 500, 20, 20]})
    files = write_detection_job(root, pre=pre)
    return detection(files), ["pre.json", "image 11 'a.png' is 1000x1000 here but 100x50 in expert.json"]


@case
def pre_dataset_with_an_unknown_category(root):
    pre = pre_as_dataset()
    pre["annotations"][0]["category_id"] = 99
    files = write_detection_job(root, pre=pre)
    return detection(files), ["pre.json", "annotation 101 (image 11 'a.png')", "unknown category id 99"]


@case
def duplicate_category_names(root):
    files = write_detection_job(root, categories=CATEGORIES + [{"id": 4, "name": "cat"}])
    return detection(files), ["expert.json", "category name 'cat' appears more than once"]


# ---- image files -----------------------------------------------------------------------------------------------


@case
def missing_image_file(root):
    files = write_detection_job(root, image_files=IMAGES[:1])
    return detection(files), ["expert.json", "image 2 'b.png'", "file not found"]


@case
def corrupt_image_file(root):
    files = write_detection_job(root)
    (files.images_dir / "b.png").write_bytes(b"this is not a picture at all" * 10)
    return detection(files), ["expert.json", "image 2 'b.png'", "not an image Pillow can read"]


@case
def truncated_image_file(root):
    files = write_detection_job(root)
    write_truncated_image(files.images_dir / "a.png", 100, 50)
    return detection(files), ["expert.json", "image 1 'a.png'", "corrupt or truncated image"]


@case
def image_size_differs_from_the_label_file(root):
    files = write_detection_job(root, images=images_with({2: {"width": 41}}), image_files=IMAGES)
    return detection(files), ["expert.json", "image 2 'b.png'", "the file is 40x40 but the label file says 41x40"]


@case
def truncated_jpeg_whose_header_reads(root):
    files = write_detection_job(root, images=images_with({1: {"file_name": "a.jpg"}}), image_files=IMAGES[1:])
    write_cut_image(files.images_dir / "a.jpg", keep=0.9, width=100, height=50)
    return detection(files), ["expert.json", "image 1 'a.jpg'", "corrupt or truncated image (image file is truncated"]


def rotated_photo_job(root: Path, *, labelled_size: tuple[int, int]) -> DetectionFiles:
    """The rotated photo, labelled at `labelled_size` with a box that fits either way round."""
    box = [4, 4, 8, 8]
    files = write_detection_job(
        root, images=[{"id": 1, "file_name": "portrait.jpg", "width": labelled_size[0], "height": labelled_size[1]}],
        expert_annotations=[{"id": 1, "image_id": 1, "category_id": 1, "bbox": box}],
        pre=[{"image_id": 1, "category_id": 1, "bbox": box, "score": 0.9}], image_files=[])
    write_rotated_photo(files.images_dir / "portrait.jpg")
    return files


@case
def rotated_photo_labelled_at_its_stored_size(root):
    files = rotated_photo_job(root, labelled_size=ROTATED_STORED_SIZE)
    return detection(files), ["expert.json", "image 1 'portrait.jpg'",
                              "the file is 32x64 as displayed (stored 64x32, EXIF orientation 6; labels refer to the "
                              "displayed image) but the label file says 64x32"]


@case
def missing_image_folder(root):
    files = write_detection_job(root)
    gone = DetectionFiles(images_dir=root / "nowhere", expert_path=files.expert_path, pre_path=files.pre_path)
    return detection(gone), ["nowhere", "image folder not found"]


# ---- files that are not what they claim ------------------------------------------------------------------------


@case
def missing_expert_file(root):
    files = write_detection_job(root)
    files.expert_path.unlink()
    return detection(files), ["expert.json", "file not found"]


@case
def expert_file_not_utf8(root):
    files = write_detection_job(root)
    files.expert_path.write_bytes(b'{"images": [],\n "categories": "caf\xe9"}')
    return detection(files), ["expert.json", "not UTF-8", "byte 0xe9", "line 2"]


@case
def pre_file_not_json(root):
    files = write_detection_job(root)
    files.pre_path.write_text("[\n  {image_id: 1}\n]", encoding="utf-8")
    return detection(files), ["pre.json", "not valid JSON", "line 2"]


@case
def expert_file_is_a_list(root):
    files = write_detection_job(root)
    write_json(files.expert_path, PRE_RESULTS)
    return detection(files), ["expert.json", "expected a COCO dataset"]


@case
def expert_file_without_annotations(root):
    files = write_detection_job(root)
    write_json(files.expert_path, {"images": IMAGES, "categories": CATEGORIES})
    return detection(files), ["expert.json", "missing 'annotations'"]


@case
def images_section_not_a_list(root):
    files = write_detection_job(root)
    write_json(files.expert_path, {"images": {"1": IMAGES[0]}, "annotations": [], "categories": CATEGORIES})
    return detection(files), ["expert.json", "'images'", "expected a list, got dict"]


@case
def pre_file_is_a_number(root):
    files = write_detection_job(root, pre=5)
    return detection(files), ["pre.json", "expected a list, got int"]


@case
def pre_results_are_not_objects(root):
    files = write_detection_job(root, pre=[PRE_RESULTS[0], "a box"])
    return detection(files), ["pre.json", "results[1]", "expected an object"]


@case
def annotation_without_bbox(root):
    anns = anns_with()
    del anns[1]["bbox"]
    files = write_detection_job(root, expert_annotations=anns)
    return detection(files), ["expert.json", "annotations[1] (id 2)", "missing 'bbox'"]


@case
def bbox_of_three_numbers(root):
    files = write_detection_job(root, expert_annotations=anns_with(change={2: {"bbox": [50, 10, 20]}}))
    return detection(files), ["expert.json", "annotations[1] (id 2)", "'bbox' must be a list of 4 numbers",
                              "got [50, 10, 20]"]


@case
def bbox_of_five_numbers_in_pre(root):
    pre = copy.deepcopy(PRE_RESULTS)
    pre[3]["bbox"] = [20, 20, 10, 10, 1]
    files = write_detection_job(root, pre=pre)
    return detection(files), ["pre.json", "results[3]", "'bbox' must be a list of 4 numbers"]


@case
def bbox_of_strings(root):
    files = write_detection_job(root, expert_annotations=anns_with(change={2: {"bbox": ["50", "10", "20", "20"]}}))
    return detection(files), ["expert.json", "annotations[1] (id 2)", "'bbox' must be a list of 4 numbers"]


@case
def bbox_with_a_null(root):
    files = write_detection_job(root, expert_annotations=anns_with(change={2: {"bbox": [50, 10, None, 20]}}))
    return detection(files), ["expert.json", "annotations[1] (id 2)", "'bbox' must be a list of 4 numbers"]


@case
def bbox_with_a_boolean(root):
    files = write_detection_job(root, expert_annotations=anns_with(change={2: {"bbox": [True, 10, 20, 20]}}))
    return detection(files), ["expert.json", "annotations[1] (id 2)", "'bbox' must be a list of 4 numbers"]


@case
def image_id_as_a_string(root):
    anns = anns_with(change={5: {"image_id": "2"}})
    files = write_detection_job(root, expert_annotations=anns)
    return detection(files), ["expert.json", "annotations[4] (id 5)", "'image_id' must be a 64-bit integer"]


@case
def score_as_a_string(root):
    pre = copy.deepcopy(PRE_RESULTS)
    pre[2]["score"] = "high"
    files = write_detection_job(root, pre=pre)
    return detection(files), ["pre.json", "results[2]", "'score' must be a finite number"]


@case
def iou_threshold_out_of_range(root):
    files = write_detection_job(root)
    return detection(files, iou_threshold=0.0), ["--iou 0.0", "must be in (0, 1]"]


# ---- classification CSV ----------------------------------------------------------------------------------------


@case
def csv_missing_a_column(root):
    files = write_classification_job(root, rows=[r[:2] for r in CLASSIFICATION_ROWS],
                                     header=("file_path", "pre_label"))
    return classification(files), ["labels.csv", "missing column(s) expert_label"]


@case
def csv_unknown_class(root):
    rows = list(CLASSIFICATION_ROWS)
    rows[1] = ("c2.png", "apple", "cow", "0.6")
    files = write_classification_job(root, rows=rows)
    return classification(files, classes=["apple", "pear", "plum"]), [
        "labels.csv", "line 3", "unknown class 'cow' in expert_label"]


@case
def csv_unknown_pre_class(root):
    files = write_classification_job(root)
    return classification(files, classes=["apple", "pear"]), [
        "labels.csv", "line 5", "unknown class 'plum' in pre_label"]


@case
def csv_confidence_not_a_number(root):
    rows = list(CLASSIFICATION_ROWS)
    rows[0] = ("c1.png", "apple", "apple", "high")
    files = write_classification_job(root, rows=rows)
    return classification(files), ["labels.csv", "line 2", "confidence 'high' is not a number between 0 and 1"]


@case
def csv_confidence_above_one(root):
    rows = list(CLASSIFICATION_ROWS)
    rows[3] = ("c4.png", "plum", "apple", "1.5")
    files = write_classification_job(root, rows=rows)
    return classification(files), ["labels.csv", "line 5", "confidence '1.5' is not a number between 0 and 1"]


@case
def csv_duplicate_file_path(root):
    rows = list(CLASSIFICATION_ROWS) + [("c2.png", "pear", "pear", "")]
    files = write_classification_job(root, rows=rows)
    return classification(files), ["labels.csv", "line 3: file_path 'c2.png' appears more than once",
                                   "line 6: file_path 'c2.png' appears more than once"]


@case
def csv_empty_label(root):
    rows = list(CLASSIFICATION_ROWS)
    rows[2] = ("c3.png", "pear", "", "")
    files = write_classification_job(root, rows=rows)
    return classification(files), ["labels.csv", "line 4", "empty expert_label"]


@case
def csv_file_path_with_dot_dot(root):
    rows = list(CLASSIFICATION_ROWS) + [("../c1.png", "pear", "pear", "")]
    files = write_classification_job(root, rows=rows)
    return classification(files), ["labels.csv", "line 6", "'../c1.png'", "contains '..'"]


@case
def csv_absolute_file_path(root):
    rows = list(CLASSIFICATION_ROWS) + [("/etc/hostname", "pear", "pear", "")]
    files = write_classification_job(root, rows=rows)
    return classification(files), ["labels.csv", "line 6", "'/etc/hostname'", "absolute path"]


@case
def csv_missing_image_file(root):
    files = write_classification_job(root)
    (files.images_dir / "c3.png").unlink()
    return classification(files), ["labels.csv", "line 4 'c3.png'", "file not found"]


@case
def csv_corrupt_image_file(root):
    files = write_classification_job(root)
    (files.images_dir / "c2.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    return classification(files), ["labels.csv", "line 3 'c2.png'", "corrupt or truncated image"]


@case
def csv_not_utf8(root):
    files = write_classification_job(root)
    files.csv_path.write_bytes(b"file_path,pre_label,expert_label\nc1.png,apple,apple\nc2.png,pomme,\xe9t\xe9\n")
    return classification(files), ["labels.csv", "not UTF-8", "line 3"]


@case
def csv_without_rows(root):
    files = write_classification_job(root, rows=[])
    return classification(files), ["labels.csv", "no rows"]


# ---- names -----------------------------------------------------------------------------------------------------


@case
def detection_job_name_taken(root):
    files = write_detection_job(root)
    return detection(files, name="existing"), ["a job named 'existing' already exists", "--replace"]


@case
def classification_job_name_taken(root):
    files = write_classification_job(root)
    return classification(files, name="existing"), ["a job named 'existing' already exists", "--replace"]


@case
def blank_job_name(root):
    files = write_detection_job(root)
    return detection(files, name="  "), ["--name", "a job needs a name"]


# ---- the tests -------------------------------------------------------------------------------------------------


@pytest.fixture
def existing(engine: Engine, tmp_path: Path) -> int:
    files = write_detection_job(tmp_path / "existing")
    job = ingest.import_detection(actor=ADMIN, engine=engine, name="existing", images_dir=files.images_dir,
                                  pre_path=files.pre_path, expert_path=files.expert_path)
    return job.id


def refused(engine: Engine, attempt: Attempt, existing_job: int) -> BadInput:
    """Run `attempt`, which must raise BadInput and change nothing in the store."""
    counts, rows = table_counts(engine), job_rows(engine, existing_job)
    with pytest.raises(BadInput) as caught:
        attempt(engine)
    assert table_counts(engine) == counts
    assert job_rows(engine, existing_job) == rows
    return caught.value


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_is_refused_with_where_and_why(name, engine, existing, tmp_path):
    attempt, fragments = CASES[name](tmp_path / "incoming")
    error = refused(engine, attempt, existing)
    message = str(error)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in:\n{message}"


def test_existing_job_counts_are_what_the_snapshot_compares(engine, existing):
    counts = table_counts(engine)
    assert counts["labeljob"] == 1 and counts["sample"] == 2 and counts["result"] == 6
    assert counts["labelclass"] == 3 and counts["labelspec"] == 1 and counts["schemaversion"] == 1


def test_every_problem_is_listed_not_only_the_first(engine, existing, tmp_path):
    anns = anns_with(
        {"id": 6, "image_id": 1, "category_id": 99, "bbox": [1, 1, 5, 5]},
        {"id": 7, "image_id": 2, "category_id": 1, "bbox": [35, 35, 10, 10]},
        {"id": 8, "image_id": 55, "category_id": 1, "bbox": [1, 1, 5, 5]},
    )
    files = write_detection_job(tmp_path / "incoming", expert_annotations=anns)
    error = refused(engine, detection(files), existing)
    assert len(error.problems) == 3
    assert "annotation 6" in error.problems[0] and "unknown category id 99" in error.problems[0]
    assert "annotation 7" in error.problems[1] and "outside the 40x40 image" in error.problems[1]
    assert "annotation 8" in error.problems[2] and "unknown image id 55" in error.problems[2]


def test_a_long_list_of_problems_is_shortened(engine, existing, tmp_path):
    anns = anns_with(*[{"id": 100 + i, "image_id": 1, "category_id": 99, "bbox": [1, 1, 5, 5]} for i in range(25)])
    files = write_detection_job(tmp_path / "incoming", expert_annotations=anns)
    error = refused(engine, detection(files), existing)
    assert len(error.problems) == 25
    lines = str(error).splitlines()
    assert len(lines) == 21 and lines[-1] == "... and 5 more problems"


def test_failed_validation_with_replace_leaves_the_existing_job(engine, existing, tmp_path):
    files = write_detection_job(tmp_path / "incoming", image_files=IMAGES[:1])
    error = refused(engine, detection(files, name="existing", replace=True), existing)
    assert "file not found" in str(error)


def test_failed_write_with_replace_rolls_back_to_the_existing_job(engine, existing, tmp_path, monkeypatch):
    """The old job is deleted inside the same transaction as the new rows: a failure halfway restores it."""
    files = write_detection_job(tmp_path / "incoming", expert_annotations=anns_with(drop=5))
    real_insert = ingest.insert_frame

    def failing_insert(session, table, frame):
        if table.name == "result":
            raise RuntimeError("disk full")
        real_insert(session, table, frame)

    monkeypatch.setattr(ingest, "insert_frame", failing_insert)
    counts, rows = table_counts(engine), job_rows(engine, existing)
    with pytest.raises(RuntimeError, match="disk full"):
        detection(files, name="existing", replace=True)(engine)
    assert table_counts(engine) == counts
    assert job_rows(engine, existing) == rows


def test_a_rotated_photo_labelled_as_displayed_imports_at_that_size(engine, existing, tmp_path):
    job = detection(rotated_photo_job(tmp_path / "incoming", labelled_size=ROTATED_SIZE))(engine)
    samples = job_samples(engine, job.id).select("file_path", "width", "height")
    assert samples.rows() == [("portrait.jpg", *ROTATED_SIZE)]


def test_a_valid_import_after_refusals_still_works(engine, existing, tmp_path):
    bad = write_detection_job(tmp_path / "bad", image_files=IMAGES[:1])
    refused(engine, detection(bad), existing)
    good = write_detection_job(tmp_path / "good")
    job = detection(good)(engine)
    assert (job.name, job.image_count, job.result_count) == ("incoming", 2, 6)
