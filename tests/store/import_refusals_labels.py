"""Bad inputs in the content of COCO label files, registered in CASES (tests/store/import_refusals.py): unknown
category and image ids, boxes outside or degenerate, duplicate ids, file names and class names, file names that
escape the image folder, and pre-labels in the dataset format that disagree with the expert file."""

from __future__ import annotations

import copy

from tests.builders import CATEGORIES, IMAGES, PRE_RESULTS, pre_as_dataset, write_detection_job, write_image
from tests.store.import_refusals import anns_with, case, detection, images_with

# ---- ids and boxes ---------------------------------------------------------------------------------------------


@case
def unknown_category_id_in_expert(root):
    files = write_detection_job(
        root, expert_annotations=anns_with({"id": 6, "image_id": 1, "category_id": 99, "bbox": [1, 1, 5, 5]})
    )
    return detection(files), ["expert.json", "annotation 6 (image 1 'a.png')", "unknown category id 99"]


@case
def unknown_category_id_in_pre_results(root):
    files = write_detection_job(root, pre=PRE_RESULTS + [{"image_id": 2, "category_id": 42, "bbox": [1, 1, 5, 5]}])
    return detection(files), ["pre.json", "annotation 6 (image 2 'b.png')", "unknown category id 42"]


@case
def unknown_image_id_in_expert(root):
    files = write_detection_job(
        root, expert_annotations=anns_with({"id": 6, "image_id": 77, "category_id": 1, "bbox": [1, 1, 5, 5]})
    )
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
    files = write_detection_job(
        root, expert_annotations=anns_with({"id": 3, "image_id": 2, "category_id": 1, "bbox": [1, 1, 5, 5]})
    )
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
    files = write_detection_job(
        root, images=images_with({2: {"file_name": "sub\\..\\..\\b.png"}}), image_files=IMAGES[:1]
    )
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
