"""Bad files for an import, registered in CASES (tests/store/import_refusals.py): image files missing, corrupt,
truncated or of another size than the label file states (and a rotated photo labelled at its stored size), and
label files that are not what they claim: missing, not UTF-8, not JSON, the wrong shape, boxes, ids and scores of
the wrong type, an IoU threshold out of range."""

from __future__ import annotations

import copy
from pathlib import Path

from tests.builders import (
    CATEGORIES,
    IMAGES,
    PRE_RESULTS,
    ROTATED_STORED_SIZE,
    DetectionFiles,
    write_cut_image,
    write_detection_job,
    write_json,
    write_rotated_photo,
    write_truncated_image,
)
from tests.store.import_refusals import anns_with, case, detection, images_with

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
        root,
        images=[{"id": 1, "file_name": "portrait.jpg", "width": labelled_size[0], "height": labelled_size[1]}],
        expert_annotations=[{"id": 1, "image_id": 1, "category_id": 1, "bbox": box}],
        pre=[{"image_id": 1, "category_id": 1, "bbox": box, "score": 0.9}],
        image_files=[],
    )
    write_rotated_photo(files.images_dir / "portrait.jpg")
    return files


@case
def rotated_photo_labelled_at_its_stored_size(root):
    files = rotated_photo_job(root, labelled_size=ROTATED_STORED_SIZE)
    return detection(files), [
        "expert.json",
        "image 1 'portrait.jpg'",
        "the file is 32x64 as displayed (stored 64x32, EXIF orientation 6; labels refer to the "
        "displayed image) but the label file says 64x32",
    ]


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
    return detection(files), [
        "expert.json",
        "annotations[1] (id 2)",
        "'bbox' must be a list of 4 numbers",
        "got [50, 10, 20]",
    ]


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
