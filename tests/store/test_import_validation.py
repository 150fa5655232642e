"""Every bad input is refused with a message naming the problem and where it is, and the store is left unchanged.

Each case (tests/store/import_refusals*.py) builds its files under tmp_path and returns the import to attempt and
the fragments its message must contain. The store already holds a job ("existing") so "unchanged" means something."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from core.analysis.results_frame import job_samples
from core.domain.errors import BadInput
from core.jobs import ingest, saving
from tests.builders import ADMIN, IMAGES, ROTATED_SIZE, job_rows, table_counts, write_detection_job

# Imported for their @case functions, which fill CASES in this order (the order of the old single module).
from tests.store import import_refusals_csv, import_refusals_files, import_refusals_labels  # noqa: F401
from tests.store.import_refusals import CASES, Attempt, anns_with, detection
from tests.store.import_refusals_files import rotated_photo_job

# ---- the tests -------------------------------------------------------------------------------------------------


@pytest.fixture
def existing(engine: Engine, tmp_path: Path) -> int:
    files = write_detection_job(tmp_path / "existing")
    job = ingest.import_detection(
        actor=ADMIN,
        engine=engine,
        name="existing",
        images_dir=files.images_dir,
        pre_path=files.pre_path,
        expert_path=files.expert_path,
    )
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
    real_insert = saving.insert_frame

    def failing_insert(session, table, frame):
        if table.name == "result":
            raise RuntimeError("disk full")
        real_insert(session, table, frame)

    monkeypatch.setattr(saving, "insert_frame", failing_insert)
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
