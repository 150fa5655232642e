"""The corpus of malformed label files for the importer fuzz tests (tests/unit/test_import_fuzz.py,
tests/store/test_import_fuzz_store.py), and what it leans on.

- The corpus in tests/fixtures/malformed/ (its README lists them), and what each must be refused for: CORPUS.
- The standard valid files the corpus leans on: a COCO dataset over a.png (100x50) and b.png (40x40) with the
  classes cat, dog, bird (tests/builders.py), and a classification CSV over c1.png..c4.png with the spec's classes
  apple, pear, plum.
- The check that a refusal names the file and the record: `assert_names_where`; and `files_of`, what a refused
  import must not add.

The rule under test: bad input is refused with core.domain.errors.BadInput, each of whose problems names the file and the
record, and changes nothing; no other exception gets out of an importer."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.domain.errors import BadInput
from tests.builders import (
    CATEGORIES,
    EXPERT_ANNOTATIONS,
    IMAGES,
    PRE_RESULTS,
    coco_dataset,
    pre_as_dataset,
    write_image,
    write_images,
)

CORPUS_DIR = Path(__file__).parent / "fixtures" / "malformed"

SPEC_CLASSES = ("apple", "pear", "plum")
CSV_HEADER = ("file_path", "pre_label", "expert_label", "confidence")
CSV_ROWS = (
    ("c1.png", "apple", "apple", "0.9"),
    ("c2.png", "apple", "pear", "0.6"),
    ("c3.png", "pear", "pear", ""),
    ("c4.png", "plum", "apple", "0.3"),
)
CSV_IMAGE_SIZE = (32, 24)


# ---- the corpus ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CorpusCase:
    """One file of the corpus and what it must come to.

    role: "dataset" (a COCO dataset: an expert file, or an auto label job's predictions), "pre" (pre-labels beside
    the standard expert file, in either COCO format) or "csv" (a classification CSV).
    outcome: "refused" (BadInput whose message holds the file's name and each of `where`), "accepted" (imports),
    or "either" (the rule does not say which, only that nothing but BadInput gets out).
    """

    file: str
    role: str
    where: tuple[str, ...] = ()
    outcome: str = "refused"
    classes: tuple[str, ...] | None = SPEC_CLASSES  # csv: the label spec's classes; None lets the CSV name them
    check_image_files: bool = True

    @property
    def path(self) -> Path:
        return CORPUS_DIR / self.file


CORPUS: tuple[CorpusCase, ...] = (
    # COCO dataset: the file as a whole
    CorpusCase("coco_not_json.json", "dataset", ("not valid JSON", "line 1, column 1")),
    CorpusCase("coco_truncated.json", "dataset", ("not valid JSON", "line 10")),
    CorpusCase("coco_empty_file.json", "dataset", ("not valid JSON", "line 1, column 1")),
    CorpusCase("coco_top_level_list.json", "dataset", ("expected a COCO dataset",)),
    CorpusCase("coco_missing_images.json", "dataset", ("missing 'images'",)),
    CorpusCase("coco_missing_annotations.json", "dataset", ("missing 'annotations'",)),
    CorpusCase("coco_missing_categories.json", "dataset", ("missing 'categories'",)),
    CorpusCase("coco_images_is_an_object.json", "dataset", ("'images'", "expected a list, got dict")),
    CorpusCase("coco_latin1_bytes.json", "dataset", ("not UTF-8", "byte 0xe9", "line 17")),
    CorpusCase("coco_utf16.json", "dataset", ("not UTF-8", "offset 0")),
    CorpusCase("coco_valid_with_bom.json", "dataset", outcome="accepted"),
    CorpusCase("coco_deeply_nested.json", "dataset", ("not valid JSON for a label file", "nested too deeply")),
    CorpusCase("coco_integer_with_5000_digits.json", "dataset", ("not valid JSON for a label file", "4300 digits")),
    # COCO dataset: one record
    CorpusCase("coco_annotation_not_an_object.json", "dataset", ("annotations[2]", "expected an object")),
    CorpusCase("coco_bbox_as_string.json", "dataset", ("annotations[1] (id 2)", "'bbox' must be a list of 4 numbers")),
    CorpusCase("coco_bbox_three_numbers.json", "dataset", ("annotations[1] (id 2)", "got [50, 10, 20]")),
    CorpusCase(
        "coco_bbox_negative_width.json", "dataset", ("annotation 3 (image 1 'a.png')", "non-positive width or height")
    ),
    CorpusCase("coco_bbox_nan.json", "dataset", ("annotations[2] (id 3)", "got [0, 30, NaN, 10]")),
    CorpusCase("coco_bbox_infinity.json", "dataset", ("annotations[3] (id 4)", "got [0, 0, Infinity, 10]")),
    CorpusCase(
        "coco_bbox_huge_coordinates.json",
        "dataset",
        ("annotation 2 (image 1 'a.png')", "lies outside the 100x50 image"),
    ),
    CorpusCase("coco_bbox_boolean_coordinate.json", "dataset", ("annotations[4] (id 5)", "list of 4 numbers")),
    CorpusCase(
        "coco_box_outside_image.json", "dataset", ("annotation 4 (image 2 'b.png')", "lies outside the 40x40 image")
    ),
    CorpusCase("coco_id_beyond_64_bits.json", "dataset", ("annotations[0]", "'id' must be a 64-bit integer")),
    CorpusCase("coco_image_id_as_string.json", "dataset", ("annotations[4] (id 5)", "'image_id' must be a 64-bit")),
    CorpusCase(
        "coco_width_overflows_to_infinity.json",
        "dataset",
        ("images[1] (id 2)", "'width' must be a 64-bit integer, got Infinity"),
    ),
    CorpusCase("coco_image_zero_width.json", "dataset", ("image 2 'b.png'", "width and height must be positive")),
    CorpusCase("coco_unknown_image_id.json", "dataset", ("annotation 5 (image 77)", "unknown image id 77")),
    CorpusCase(
        "coco_unknown_category_id.json", "dataset", ("annotation 1 (image 1 'a.png')", "unknown category id 99")
    ),
    CorpusCase("coco_duplicate_image_ids.json", "dataset", ("image id 2 appears more than once",)),
    CorpusCase("coco_duplicate_annotation_ids.json", "dataset", ("annotation id 3 appears more than once",)),
    CorpusCase("coco_duplicate_file_names.json", "dataset", ("file name 'a.png' appears more than once",)),
    CorpusCase("coco_duplicate_category_names.json", "dataset", ("category name 'cat' appears more than once",)),
    CorpusCase("coco_empty_categories.json", "dataset", ("'categories' is empty",)),
    # COCO dataset: file names and the image files they name
    CorpusCase("coco_file_name_dot_dot_escape.json", "dataset", ("image 2 '../b.png'", "escape the image root")),
    CorpusCase("coco_file_name_backslash_escape.json", "dataset", ("image 2", "escape the image root")),
    CorpusCase("coco_file_name_absolute.json", "dataset", ("image 2 '/etc/passwd'", "absolute path")),
    CorpusCase("coco_file_name_windows_drive.json", "dataset", ("image 2", "absolute path")),
    CorpusCase("coco_file_name_nul_byte.json", "dataset", ("images[1] (id 2)", "without NUL bytes")),
    CorpusCase("coco_file_name_missing_on_disk.json", "dataset", ("image 2 'missing.png'", "file not found")),
    CorpusCase("coco_file_name_is_a_folder.json", "dataset", ("image 2 '.'", "is a folder, not an image")),
    CorpusCase(
        "coco_size_differs_from_image_file.json",
        "dataset",
        ("image 1 'a.png'", "the file is 100x50 but the label file says 640x480"),
    ),
    # COCO dataset: once passed the parser and failed in PostgreSQL's insert; refused before any write now
    CorpusCase("coco_category_name_nul_byte.json", "dataset", ("categories[", "without NUL bytes")),
    CorpusCase(
        "coco_width_beyond_32_bits.json",
        "dataset",
        ("image 1 'a.png'", "no side may exceed 1,000,000 px"),
        check_image_files=False,
    ),
    # COCO results format (pre-labels)
    CorpusCase("results_truncated.json", "pre", ("not valid JSON", "line 3")),
    CorpusCase("results_not_a_list.json", "pre", ("'results'", "expected a list, got int")),
    CorpusCase("results_record_not_an_object.json", "pre", ("results[1]", "expected an object")),
    CorpusCase("results_missing_bbox.json", "pre", ("results[1]", "missing 'bbox'")),
    CorpusCase("results_bbox_five_numbers.json", "pre", ("results[2]", "list of 4 numbers")),
    CorpusCase("results_score_as_string.json", "pre", ("results[1]", "'score' must be a finite number")),
    CorpusCase("results_score_nan.json", "pre", ("results[1]", "'score' must be a finite number, got NaN")),
    CorpusCase("results_unknown_image_id.json", "pre", ("annotation 1 (image 9)", "unknown image id 9")),
    CorpusCase("results_unknown_category_id.json", "pre", ("annotation 4 (image 2 'b.png')", "unknown category id 42")),
    CorpusCase("results_empty_list.json", "pre", outcome="accepted"),
    # COCO dataset format as pre-labels
    CorpusCase("pre_dataset_image_not_in_expert.json", "pre", ("image 13 'c.png' is not among the expert's images",)),
    CorpusCase("pre_dataset_other_image_size.json", "pre", ("image 11 'a.png' is 1000x1000 here but 100x50",)),
    # classification CSV
    CorpusCase(
        "csv_unknown_classes.csv",
        "csv",
        ("line 3: unknown class 'cow' in expert_label", "line 5: unknown class 'banana' in pre_label"),
    ),
    CorpusCase("csv_missing_expert_label_column.csv", "csv", ("missing column(s) expert_label",)),
    CorpusCase("csv_empty_file.csv", "csv", ("not a readable CSV",)),
    CorpusCase("csv_header_only.csv", "csv", ("no rows",)),
    CorpusCase("csv_semicolon_delimiter.csv", "csv", ("missing column(s) file_path, pre_label, expert_label",)),
    CorpusCase("csv_tab_delimiter.csv", "csv", ("missing column(s) file_path, pre_label, expert_label",)),
    CorpusCase(
        "csv_duplicate_rows.csv",
        "csv",
        ("line 3: file_path 'c2.png' appears more than once", "line 6: file_path 'c2.png' appears more than once"),
    ),
    CorpusCase("csv_latin1_bytes.csv", "csv", ("not UTF-8", "byte 0xea", "line 6")),
    CorpusCase(
        "csv_formula_injection_labels.csv",
        "csv",
        ("line 3: unknown class '=HYPERLINK(", "line 4", "line 5: unknown class '+1' in pre_label"),
    ),
    CorpusCase("csv_formula_injection_file_path.csv", "csv", ("line 3 \"=cmd|' /C calc'!A0\"", "file not found")),
    CorpusCase("csv_very_long_line.csv", "csv", ("line 3: unknown class 'pearpear",)),
    CorpusCase("csv_ragged_rows.csv", "csv", ("not a readable CSV",)),
    CorpusCase("csv_unterminated_quote.csv", "csv", ("not a readable CSV",)),
    CorpusCase("csv_confidence_not_a_number.csv", "csv", ("line 2: confidence 'high' is not a number",)),
    CorpusCase("csv_confidence_out_of_range.csv", "csv", ("line 5: confidence '1.5' is not a number between 0 and 1",)),
    CorpusCase("csv_empty_label.csv", "csv", ("line 4: empty expert_label",)),
    CorpusCase(
        "csv_file_path_escapes_root.csv",
        "csv",
        ("line 6: file_path '../c1.png'", "escape the image root", "line 7: file_path '/etc/passwd': absolute path"),
    ),
    CorpusCase("csv_missing_image_file.csv", "csv", ("line 6 'c9.png'", "file not found")),
    CorpusCase(
        "csv_header_duplicated_after_case_folding.csv", "csv", ("line 1: the header names 'file_path' more than once",)
    ),
    CorpusCase("csv_valid_with_bom_and_crlf.csv", "csv", outcome="accepted"),
    CorpusCase("csv_label_nul_byte.csv", "csv", ("a cell holds a NUL byte",), classes=None),
)


# ---- the standard valid files ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StandardFiles:
    """Images for the corpus and the mutations, and the valid files a corpus file is paired with."""

    images_dir: Path  # a.png, b.png (the COCO images) and c1.png..c4.png (the CSV's)
    expert_path: Path  # the standard COCO dataset (tests/builders.py)
    pre_path: Path  # the standard pre-labels, COCO results format


def write_standard_files(root: Path) -> StandardFiles:
    images_dir = write_images(root / "images", IMAGES)
    for name, *_ in CSV_ROWS:
        write_image(images_dir / name, *CSV_IMAGE_SIZE)
    expert_path = root / "expert.json"
    expert_path.write_text(json.dumps(valid_dataset()), encoding="utf-8")
    pre_path = root / "pre.json"
    pre_path.write_text(json.dumps(PRE_RESULTS), encoding="utf-8")
    return StandardFiles(images_dir=images_dir, expert_path=expert_path, pre_path=pre_path)


def valid_dataset() -> dict[str, Any]:
    return copy.deepcopy(coco_dataset(IMAGES, EXPERT_ANNOTATIONS, CATEGORIES))


def valid_pre_dataset() -> dict[str, Any]:
    """The standard pre-labels in the COCO dataset format, with ids of its own."""
    return pre_as_dataset()


# ---- where a refusal points ------------------------------------------------------------------------------------

# A problem about the file as a whole names only the file; any other names a record or a section of it.
WHOLE_FILE = (
    "not valid JSON",
    "not UTF-8",
    "expected a COCO",
    "not a COCO dataset",
    "file not found",
    "cannot be read",
    "not a readable CSV",
    "missing column(s)",
    "no rows",
    "image folder not found",
)
RECORD = re.compile(
    r"(images|annotations|categories|results)\[\d+\]"
    r"|annotation (id )?-?\d+|image (id )?-?\d+|category (id |name )?"
    r"|file name '|line \d+|'(images|annotations|categories|results)'"
)


def assert_names_where(error: BadInput, files: Sequence[Path]) -> None:
    """Every problem of the refusal names one of `files` and either a record or a whole-file reason."""
    assert error.problems, "a refusal with no problem in it"
    for problem in error.problems:
        assert isinstance(problem, str), problem
        assert any(str(f) in problem for f in files), f"names none of {[f.name for f in files]}: {problem!r}"
        assert RECORD.search(problem) or any(r in problem for r in WHOLE_FILE), f"names no record: {problem!r}"


def files_of(directory: Path) -> dict[Path, int]:
    """Every file under `directory` with its size, stores' own files left out: what a refused import must not add."""
    if not directory.exists():
        return {}
    return {
        p: p.stat().st_size
        for p in directory.rglob("*")
        if p.is_file() and not p.name.endswith((".db", ".db-journal", ".db-wal", ".db-shm"))
    }
