"""Importing with replace on SQLite and PostgreSQL: the job is swapped for the new one, other jobs are left alone,
and without an existing job it just imports."""

from __future__ import annotations

from core.analysis.results_frame import load_results
from core.analysis.stats import job_stats
from core.jobs import ingest
from core.jobs.lookup import get_job
from tests.builders import ADMIN, EXPERT_ANNOTATIONS, job_rows, table_counts, write_detection_job
from tests.store.import_store_helpers import import_fruit, import_standard, stored_results

# ---- replace ---------------------------------------------------------------------------------------------------


def test_replace_swaps_the_job_for_the_new_one(engine, tmp_path):
    old = import_standard(engine, tmp_path / "old")
    old_frame = load_results(engine, old)  # caches the old revision's frame on disk
    old_rows = job_rows(engine, old.id)
    files = write_detection_job(tmp_path / "new", expert_annotations=[a for a in EXPERT_ANNOTATIONS if a["id"] != 5])
    new = ingest.import_detection(
        actor=ADMIN,
        engine=engine,
        name="street",
        images_dir=files.images_dir,
        pre_path=files.pre_path,
        expert_path=files.expert_path,
        replace=True,
    )
    assert new.data_revision == old.data_revision + 1 == 2
    assert new.result_count == 6
    assert (
        job_rows(engine, old.id) == {"labeljob": [], "sample": [], "result": [], "reviewstate": []} or new.id == old.id
    )
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
