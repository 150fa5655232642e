"""Bad classification CSVs and bad job names, registered in CASES (tests/store/import_refusals.py): a missing
column, unknown classes, bad confidences, duplicate or escaping file paths, empty labels, missing or corrupt
images, a CSV not in UTF-8 or without rows; a job name taken or blank."""

from __future__ import annotations

from tests.builders import CLASSIFICATION_ROWS, write_classification_job, write_detection_job
from tests.store.import_refusals import case, classification, detection

# ---- classification CSV ----------------------------------------------------------------------------------------


@case
def csv_missing_a_column(root):
    files = write_classification_job(root, rows=[r[:2] for r in CLASSIFICATION_ROWS], header=("file_path", "pre_label"))
    return classification(files), ["labels.csv", "missing column(s) expert_label"]


@case
def csv_unknown_class(root):
    rows = list(CLASSIFICATION_ROWS)
    rows[1] = ("c2.png", "apple", "cow", "0.6")
    files = write_classification_job(root, rows=rows)
    return classification(files, classes=["apple", "pear", "plum"]), [
        "labels.csv",
        "line 3",
        "unknown class 'cow' in expert_label",
    ]


@case
def csv_unknown_pre_class(root):
    files = write_classification_job(root)
    return classification(files, classes=["apple", "pear"]), [
        "labels.csv",
        "line 5",
        "unknown class 'plum' in pre_label",
    ]


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
    return classification(files), [
        "labels.csv",
        "line 3: file_path 'c2.png' appears more than once",
        "line 6: file_path 'c2.png' appears more than once",
    ]


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
