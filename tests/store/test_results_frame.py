"""The results frame written at import is the one the store would give, and a later process finds it."""

from __future__ import annotations

import pytest

from core.analysis import results_frame
from core.analysis.results_frame import load_results
from core.jobs import ingest
from core.jobs.lookup import get_job
from core.settings import get_settings
from tests.builders import ADMIN, write_detection_job


@pytest.fixture
def imported(engine, tmp_path):
    files = write_detection_job(tmp_path)
    job = ingest.import_detection(
        actor=ADMIN,
        engine=engine,
        name="frame",
        images_dir=files.images_dir,
        pre_path=files.pre_path,
        expert_path=files.expert_path,
    )
    return job


def test_a_fresh_read_of_the_job_finds_the_frame_written_at_import(engine, imported, monkeypatch):
    def no_store(*_args, **_kwargs):
        raise AssertionError("the frame was rebuilt from the store instead of read from the import's cache")

    monkeypatch.setattr(results_frame, "_fetch_results", no_store)
    frame = load_results(engine, get_job(engine, imported.id))  # the job as another process reads it back
    assert frame.height == 6


def test_the_import_frame_equals_the_frame_rebuilt_from_the_store(engine, imported):
    written = load_results(engine, get_job(engine, imported.id))
    for path in get_settings().cache_dir.glob("*.parquet"):
        path.unlink()
    rebuilt = load_results(engine, get_job(engine, imported.id))
    assert written.columns == rebuilt.columns
    assert written.equals(rebuilt)
    assert sorted(rebuilt["change_kind"]) == ["added", "adjusted", "adjusted", "relabeled", "removed", "unchanged"]
    assert set(rebuilt["class_row"]) == {"cat", "dog", "bird", "(removed)"}
    assert set(rebuilt["pre_class_row"]) == {"cat", "dog", "(added)"}
