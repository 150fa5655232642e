"""Fuzzing the importers' parsing and validation layers (no store): every corpus file of tests/fixtures/malformed/
and hypothesis' mutations of valid COCO files, CSVs, images and zips are either read or refused with BadInput that
names the file and the record. No KeyError, TypeError, ValueError, IndexError, JSONDecodeError or polars error gets
out. The leaks this fuzzing found (deep nesting, huge integers, a folded duplicate header, a symbolic link loop, an
overflowing category id, unreadable zip headers, NUL bytes, 40-bit widths) are fixed and kept as cases here."""

from __future__ import annotations

import io
import itertools
import json
import os
import random
import zipfile
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context
from PIL import Image

from core.analysis.metrics import detection_results
from core.domain.errors import BadInput
from core.files.uploads import UploadLimits, extract_image_zip, uploads_dir
from core.images.image_files import check_images
from core.labels.coco import load_dataset, load_pre_labels
from core.labels.csv_labels import load_classification_csv
from tests.builders import CATEGORIES, EXPERT_ANNOTATIONS, IMAGES, PRE_RESULTS, coco_dataset, write_images, write_json
from tests.fuzz_inputs import FUZZ, mutated_csv, mutated_json
from tests.malformed_corpus import (
    CORPUS,
    CORPUS_DIR,
    SPEC_CLASSES,
    CorpusCase,
    StandardFiles,
    assert_names_where,
    files_of,
    valid_dataset,
    valid_pre_dataset,
    write_standard_files,
)

CHANGE_KINDS = ("added", "removed", "relabeled", "adjusted", "unchanged")


# ---- the pipelines, as the import services run them, short of the store -----------------------------------------


def read_detection(
    expert_path: Path, pre_path: Path, images_dir: Path, *, check_image_files: bool = True
) -> pl.DataFrame:
    """What core.jobs.ingest.import_detection reads and computes before it writes."""
    expert = load_dataset(expert_path)
    pre = load_pre_labels(pre_path, expert=expert)
    if check_image_files:
        check_images(root=images_dir, label_file=expert_path, images=expert.images)
    return detection_results(expert=expert.boxes, pre=pre.boxes, images=expert.images, iou_threshold=0.5)


def read_classification(
    csv_path: Path, images_dir: Path, *, classes: tuple[str, ...] | None, check_image_files: bool = True
) -> pl.DataFrame:
    """What core.jobs.ingest.import_classification reads before it writes."""
    rows = load_classification_csv(csv_path, classes=None if classes is None else list(classes))
    if check_image_files:
        listed = rows.select(pl.col("line").alias("image_id"), pl.col("file_path").alias("file_name"))
        check_images(root=images_dir, label_file=csv_path, images=listed, record="line")
    return rows


def refusal(read: Callable[[], object]) -> BadInput | None:
    """The BadInput that `read` raises, or None when it reads the input; any other exception fails the test."""
    try:
        read()
    except BadInput as error:
        outcome: BadInput | None = error
    else:
        outcome = None
    if currently_in_test_context():  # shown by --hypothesis-show-statistics: the fuzzing must not refuse everything
        event("read" if outcome is None else "refused")
    return outcome


@pytest.fixture
def standard(tmp_path: Path) -> StandardFiles:
    return write_standard_files(tmp_path / "standard")


# ---- the corpus ------------------------------------------------------------------------------------------------


def corpus_params() -> list:
    return [pytest.param(case, id=case.file) for case in CORPUS]


def test_the_corpus_and_its_readme_list_the_same_files():
    on_disk = sorted(p.name for p in CORPUS_DIR.iterdir() if p.name != "README.md")
    listed = [case.file for case in CORPUS]
    assert sorted(listed) == on_disk and len(set(listed)) == len(listed)
    readme = (CORPUS_DIR / "README.md").read_text(encoding="utf-8")
    assert [name for name in on_disk if f"`{name}`" not in readme] == []


@pytest.mark.parametrize("case", corpus_params())
def test_a_corpus_file_is_read_or_refused_with_where_and_why(case: CorpusCase, standard: StandardFiles):
    if case.role == "dataset":
        error = refusal(
            lambda: read_detection(
                case.path, standard.pre_path, standard.images_dir, check_image_files=case.check_image_files
            )
        )
    elif case.role == "pre":
        error = refusal(lambda: read_detection(standard.expert_path, case.path, standard.images_dir))
    else:
        error = refusal(
            lambda: read_classification(
                case.path, standard.images_dir, classes=case.classes, check_image_files=case.check_image_files
            )
        )
    if case.outcome == "accepted":
        assert error is None, f"{case.file} was refused:\n{error}"
    if case.outcome == "refused":
        assert error is not None, f"{case.file} was read, not refused"
    if error is not None:
        message = str(error)
        for fragment in (case.file, *case.where):
            assert fragment in message, f"{fragment!r} not in:\n{message}"
        assert_names_where(error, [case.path, standard.expert_path, standard.pre_path, standard.images_dir])


# ---- mutations of valid files ----------------------------------------------------------------------------------

_fresh = itertools.count()


def fresh_dir(root: Path) -> Path:
    folder = root / f"example-{next(_fresh)}"
    folder.mkdir(parents=True)
    return folder


@settings(FUZZ, max_examples=150)
@given(data=st.data())
def test_a_mutated_coco_file_is_read_or_refused(data: st.DataObject, standard: StandardFiles, tmp_path: Path):
    which = data.draw(st.sampled_from(["expert", "pre results", "pre dataset"]), label="mutated file")
    base = {"expert": valid_dataset(), "pre results": PRE_RESULTS, "pre dataset": valid_pre_dataset()}[which]
    mutated = data.draw(mutated_json(base), label="bytes")
    folder = fresh_dir(tmp_path)
    target = folder / ("expert.json" if which == "expert" else "pre.json")
    target.write_bytes(mutated)
    expert_path = target if which == "expert" else standard.expert_path
    pre_path = standard.pre_path if which == "expert" else target
    error = refusal(lambda: read_detection(expert_path, pre_path, standard.images_dir))
    if error is not None:
        assert_names_where(error, [expert_path, pre_path, standard.images_dir])


@settings(FUZZ, max_examples=80)
@given(data=st.data())
def test_a_mutated_coco_dataset_read_as_predictions_is_read_or_refused(
    data: st.DataObject, standard: StandardFiles, tmp_path: Path
):
    path = fresh_dir(tmp_path) / "predictions.json"
    path.write_bytes(data.draw(mutated_json(valid_dataset()), label="bytes"))

    def read() -> None:
        dataset = load_dataset(path)
        check_images(root=standard.images_dir, label_file=path, images=dataset.images)

    error = refusal(read)
    if error is not None:
        assert_names_where(error, [path, standard.images_dir])


@settings(FUZZ, max_examples=40)
@given(data=st.data())
def test_a_valid_coco_file_stays_readable_after_harmless_changes(
    data: st.DataObject, standard: StandardFiles, tmp_path: Path
):
    """Shuffled records, ids renumbered, a BOM: still the same results, so the fuzzing does not refuse too much."""
    rng = random.Random(data.draw(st.integers(0, 2**32), label="seed"))
    dataset = valid_dataset()
    image_ids = {im["id"]: rng.randrange(-(2**63), 2**63 - 1) for im in dataset["images"]}
    category_ids = {c["id"]: rng.randrange(-(2**63), 2**63 - 1) for c in dataset["categories"]}
    for im in dataset["images"]:
        im["id"] = image_ids[im["id"]]
    for c in dataset["categories"]:
        c["id"] = category_ids[c["id"]]
    for a in dataset["annotations"]:
        a.update(image_id=image_ids[a["image_id"]], category_id=category_ids[a["category_id"]])
    for section in ("images", "categories"):
        rng.shuffle(dataset[section])
    pre = [dict(r, image_id=image_ids[r["image_id"]], category_id=category_ids[r["category_id"]]) for r in PRE_RESULTS]
    folder = fresh_dir(tmp_path)
    expert_path, pre_path = folder / "expert.json", folder / "pre.json"
    bom = b"\xef\xbb\xbf" if data.draw(st.booleans(), label="bom") else b""
    expert_path.write_bytes(bom + json.dumps(dataset, indent=data.draw(st.sampled_from([None, 1]))).encode())
    pre_path.write_text(json.dumps(pre), encoding="utf-8")
    results = read_detection(expert_path, pre_path, standard.images_dir)
    expected = read_detection(standard.expert_path, standard.pre_path, standard.images_dir)
    assert results.height == expected.height == 6
    assert results["change_kind"].is_in(CHANGE_KINDS).all()
    assert sorted(results["change_kind"]) == sorted(expected["change_kind"])


@settings(FUZZ, max_examples=150)
@given(data=st.data())
def test_a_mutated_classification_csv_is_read_or_refused(data: st.DataObject, standard: StandardFiles, tmp_path: Path):
    path = fresh_dir(tmp_path) / "labels.csv"
    path.write_bytes(data.draw(mutated_csv(), label="bytes"))
    classes = data.draw(st.sampled_from([SPEC_CLASSES, None]), label="classes")
    error = refusal(lambda: read_classification(path, standard.images_dir, classes=classes))
    if error is not None:
        assert_names_where(error, [path, standard.images_dir])


# ---- image files -----------------------------------------------------------------------------------------------


def png_bytes(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (90, 140, 200)).save(out, format="PNG")
    return out.getvalue()


@settings(FUZZ, max_examples=60)
@given(data=st.data())
def test_a_damaged_image_file_is_read_or_refused_naming_the_image(data: st.DataObject, tmp_path: Path):
    image = bytearray(png_bytes(100, 50))
    if data.draw(st.booleans(), label="truncate"):
        image = image[: data.draw(st.integers(0, len(image) - 1), label="keep")]
    for _ in range(data.draw(st.integers(0, 4), label="flips")):
        if image:
            image[data.draw(st.integers(0, len(image) - 1))] = data.draw(st.integers(0, 255))
    folder = fresh_dir(tmp_path)
    write_images(folder / "images", IMAGES[1:])
    (folder / "images" / "a.png").write_bytes(bytes(image))
    expert_path = write_json(folder / "expert.json", coco_dataset(IMAGES, EXPERT_ANNOTATIONS, CATEGORIES))
    error = refusal(
        lambda: check_images(root=folder / "images", label_file=expert_path, images=load_dataset(expert_path).images)
    )
    if error is not None:
        assert_names_where(error, [expert_path])
        assert all("image 1 'a.png'" in p for p in error.problems), error.problems


def test_an_image_behind_a_symbolic_link_loop_is_refused(standard: StandardFiles, tmp_path: Path):
    images_dir = standard.images_dir
    os.symlink(images_dir / "loop_b", images_dir / "loop_a")
    os.symlink(images_dir / "loop_a", images_dir / "loop_b")
    images = [IMAGES[0], {"id": 2, "file_name": "loop_a/b.png", "width": 40, "height": 40}]
    expert_path = write_json(tmp_path / "expert.json", coco_dataset(images, [], CATEGORIES))
    error = refusal(lambda: read_detection(expert_path, standard.pre_path, images_dir))
    assert error is not None and "image 2 'loop_a/b.png'" in str(error)


# ---- found by the fuzzing, too narrow for a corpus file of its own -----------------------------------------------


def test_largest_category_id_beside_dataset_format_pre_labels(standard: StandardFiles, tmp_path: Path):
    top = 2**63 - 1
    categories = [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}, {"id": top, "name": "bird"}]
    annotations = [dict(a, category_id=top) if a["category_id"] == 3 else a for a in EXPERT_ANNOTATIONS]
    expert_path = write_json(tmp_path / "expert.json", coco_dataset(IMAGES, annotations, categories))
    pre_path = write_json(tmp_path / "pre.json", valid_pre_dataset())
    error = refusal(lambda: read_detection(expert_path, pre_path, standard.images_dir))
    if error is not None:
        assert_names_where(error, [expert_path, pre_path])


# ---- zip uploads of images -------------------------------------------------------------------------------------


def image_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.png", png_bytes(8, 6))
        archive.writestr("street/b.png", png_bytes(8, 6))
    return out.getvalue()


def zip_patched(offset_from: bytes, at: int, value: bytes) -> bytes:
    """A valid image zip with `value` written `at` bytes after the first `offset_from` signature."""
    data = bytearray(image_zip())
    start = data.index(offset_from) + at
    data[start : start + len(value)] = value
    return bytes(data)


CENTRAL_DIRECTORY = b"PK\x01\x02"
END_OF_CENTRAL_DIRECTORY = b"PK\x05\x06"


@pytest.mark.parametrize(
    ("label", "data"),
    [
        pytest.param("needs_version_12_8.zip", zip_patched(CENTRAL_DIRECTORY, 6, b"\x80\x00"), id="version 12.8"),
        pytest.param(
            "central_directory_far_off.zip",
            zip_patched(END_OF_CENTRAL_DIRECTORY, 19, b"\x88"),
            id="negative member offset",
        ),
    ],
)
def test_a_damaged_zip_header_is_refused(label: str, data: bytes):
    before = files_of(uploads_dir())
    error = refusal(lambda: extract_image_zip(io.BytesIO(data), label=label))
    assert error is not None and label in str(error)
    assert files_of(uploads_dir()) == before


@settings(FUZZ, max_examples=40)
@given(data=st.data())
def test_a_truncated_or_oversized_zip_upload_is_refused_and_leaves_nothing(data: st.DataObject):
    archive = image_zip()
    keep = data.draw(st.integers(0, len(archive) - 1), label="keep")
    limits = data.draw(
        st.sampled_from(
            [
                UploadLimits(),
                UploadLimits(max_zip_bytes=100),
                UploadLimits(max_total_bytes=100),
                UploadLimits(max_files=1),
            ]
        ),
        label="limits",
    )
    truncated = data.draw(st.booleans(), label="truncated")
    before = files_of(uploads_dir())
    error = refusal(
        lambda: extract_image_zip(
            io.BytesIO(archive[:keep] if truncated else archive), limits=limits, label="upload.zip"
        )
    )
    if truncated or limits != UploadLimits():
        assert error is not None, "a truncated or oversized zip was extracted"
        assert all("upload.zip" in p for p in error.problems), error.problems
        assert files_of(uploads_dir()) == before
