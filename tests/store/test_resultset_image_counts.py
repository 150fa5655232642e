"""A ResultSet counts its complete and partial images when saved (issue 12), in the transaction of its snapshot and
by the exports' rule (core/exports/completeness.py), and records per image whether it was complete; a store saved
before the counts (version 6) or before the records (version 7) gets them on upgrade. SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import inspect, text

from core.review.resultsets import create_resultset, get_resultset, list_resultsets
from core.store import db
from core.store.db import init_db, schema_version
from tests.builders import as_admin
from tests.complete_image_builders import import_partial_job, saved_resultset
from tests.resultset_builders import set_state

COUNTED = ("complete_images", "partial_images")


def counts(resultset) -> tuple[int | None, int | None]:
    return resultset.complete_images, resultset.partial_images


def test_the_issues_image_of_nine_results_one_saved_is_partial_and_a_fully_accepted_one_complete(engine, tmp_path):
    partial = import_partial_job(engine, tmp_path / "scenes")
    r = partial.results
    set_state(engine, [r["scene.png"][0], *r["full.png"]], "accepted")  # 1 of scene's 9, both of full's

    saved = create_resultset(engine=engine, job_id=partial.job.id, name="dogs", actor=as_admin("lead"))

    assert counts(saved) == (1, 1)
    assert counts(get_resultset(engine=engine, resultset_id=saved.id)) == (1, 1)


def test_pending_and_rejected_results_both_make_an_image_partial_and_later_reviews_change_no_count(engine, tmp_path):
    partial = import_partial_job(engine, tmp_path / "scenes")
    saved = saved_resultset(engine, partial)  # scene pending, bad and mixed rejected, full complete, empty unheld
    assert counts(saved) == (1, 3)
    set_state(engine, partial.results["scene.png"], "accepted")  # completes scene now, not in this snapshot
    assert counts(list_resultsets(engine=engine, job_id=partial.job.id)[0]) == (1, 3)


def test_a_version_6_store_counts_the_images_of_its_resultsets_on_upgrade(engine, tmp_path):
    partial = import_partial_job(engine, tmp_path / "scenes")
    saved = saved_resultset(engine, partial)
    with engine.begin() as conn:  # the store as version 6 had it: no counts, no records per image
        for column in COUNTED:
            conn.execute(text(f"ALTER TABLE resultset DROP COLUMN {column}"))
        conn.execute(text("DROP TABLE resultsetimage"))
        conn.execute(text("UPDATE schemaversion SET version = 6"))
    assert not set(COUNTED) & {c["name"] for c in inspect(engine).get_columns("resultset")}

    init_db(engine)

    assert schema_version(engine) == db.SCHEMA_VERSION
    assert counts(get_resultset(engine=engine, resultset_id=saved.id)) == (1, 3)
    with engine.begin() as conn:
        db.UPGRADES[6](conn)  # again, on a counted store: nothing to add, nothing recounted, nothing fails
    assert counts(get_resultset(engine=engine, resultset_id=saved.id)) == (1, 3)


def test_a_version_7_store_records_the_images_of_its_resultsets_on_upgrade(engine, tmp_path):
    partial = import_partial_job(engine, tmp_path / "scenes")
    saved = saved_resultset(engine, partial)
    with engine.begin() as conn:  # the store as version 7 had it: counts, no records per image, tables uncounted
        conn.execute(text("DROP TABLE resultsetimage"))
        conn.execute(text("ALTER TABLE datalogtable DROP COLUMN left_out_images"))
        conn.execute(text("UPDATE schemaversion SET version = 7"))

    init_db(engine)

    assert schema_version(engine) == db.SCHEMA_VERSION
    assert "left_out_images" in {c["name"] for c in inspect(engine).get_columns("datalogtable")}
    with engine.connect() as conn:
        recorded = conn.execute(
            text(
                "SELECT COUNT(*), SUM(CASE WHEN complete THEN 1 ELSE 0 END) FROM resultsetimage "
                "WHERE resultset_id = :id"
            ),
            {"id": saved.id},
        ).one()
    assert tuple(recorded) == (4, 1)
    assert counts(get_resultset(engine=engine, resultset_id=saved.id)) == (1, 3)
    with engine.begin() as conn:
        db.UPGRADES[7](conn)  # again, on a recorded store: nothing recorded twice, nothing fails
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM resultsetimage")).scalar() == 4
