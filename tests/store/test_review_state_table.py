"""Review decisions live in the narrow reviewstate table (issue 14): a store of version 8 kept them in three columns
of the result row and has them moved on upgrade (every decision, its reviewer and time, kept; the columns and their
index gone; pending results without a row); a job's removal takes its decisions. SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import inspect, text

from core.analysis.results_frame import review_states, state_counts
from core.jobs.summaries import delete_job
from core.review import decisions as review
from core.store import db
from core.store.db import init_db, schema_version
from tests.builders import ADMIN, as_reviewer, job_rows
from tests.resultset_builders import import_catalog_job, result_ids, stored_states

V8_COLUMNS = {
    "sqlite": ("VARCHAR NOT NULL DEFAULT 'pending'", "VARCHAR", "DATETIME"),
    "postgresql": ("VARCHAR NOT NULL DEFAULT 'pending'", "VARCHAR", "TIMESTAMP WITH TIME ZONE"),
}


def test_a_version_8_store_moves_its_review_states_into_their_table(engine, tmp_path):
    job = import_catalog_job(engine, tmp_path / "job")
    ids = result_ids(engine, job.id)
    review.accept(engine=engine, job_id=job.id, result_ids=ids[:3], from_state="pending", actor=as_reviewer("ada"))
    review.reject(engine=engine, job_id=job.id, result_ids=ids[3:5], from_state="pending", actor=as_reviewer("bo"))
    before = job_rows(engine, job.id)
    assert len(before["reviewstate"]) == 5
    state, by, at = V8_COLUMNS[engine.dialect.name]
    with engine.begin() as conn:  # back to version 8: the decisions in the result rows, no reviewstate rows
        conn.execute(text(f"ALTER TABLE result ADD COLUMN review_state {state}"))
        conn.execute(text(f"ALTER TABLE result ADD COLUMN reviewed_by {by}"))
        conn.execute(text(f"ALTER TABLE result ADD COLUMN reviewed_at {at}"))
        conn.execute(
            text(
                "UPDATE result SET review_state = s.state, reviewed_by = s.reviewed_by, "
                "reviewed_at = s.reviewed_at FROM reviewstate s WHERE s.result_id = result.id"
            )
        )
        conn.execute(text("DELETE FROM reviewstate"))
        conn.execute(text("DROP INDEX ix_result_job"))
        conn.execute(text("CREATE INDEX ix_result_job_state ON result (job_id, review_state)"))
        if engine.dialect.name == "postgresql":  # as version 8 made them; SQLite cannot add a constraint
            conn.execute(
                text(
                    "ALTER TABLE result ADD CONSTRAINT result_sample_id_fkey FOREIGN KEY (sample_id) "
                    "REFERENCES sample (id) ON DELETE CASCADE"
                )
            )
            for column in ("expert_class_id", "pre_class_id"):
                conn.execute(
                    text(
                        f"ALTER TABLE result ADD CONSTRAINT result_{column}_fkey FOREIGN KEY ({column}) "
                        "REFERENCES labelclass (id)"
                    )
                )
        conn.execute(text("UPDATE schemaversion SET version = 8"))
        assert conn.execute(text("SELECT COUNT(*) FROM result WHERE review_state <> 'pending'")).scalar() == 5

    init_db(engine)

    assert schema_version(engine) == db.SCHEMA_VERSION
    columns = {c["name"] for c in inspect(engine).get_columns("result")}
    assert not columns & {"review_state", "reviewed_by", "reviewed_at"}
    assert {i["name"] for i in inspect(engine).get_indexes("result")} >= {"ix_result_job"}
    # the job is the result's one foreign key: the others slowed every import's COPY on PostgreSQL
    assert [k["referred_table"] for k in inspect(engine).get_foreign_keys("result")] == ["labeljob"]
    assert job_rows(engine, job.id) == before  # every decision with its reviewer and time; nothing else changed
    assert stored_states(engine, job.id) == {
        i: "accepted" if i in ids[:3] else "rejected" if i in ids[3:5] else "pending" for i in ids
    }
    assert review_states(engine, job.id).height == 5
    assert state_counts(engine, [job.id])[job.id] == {"pending": len(ids) - 5, "accepted": 3, "rejected": 2}
    with engine.begin() as conn:
        db.UPGRADES[8](conn)  # again, on a moved store: nothing to move, nothing fails
    assert job_rows(engine, job.id) == before


def test_deleting_or_replacing_a_job_deletes_its_decisions_and_no_others(engine, tmp_path):
    """Decisions have no foreign key (their checks doubled a bulk action's time): the job's removal deletes them."""
    kept = import_catalog_job(engine, tmp_path / "kept", name="kept")
    gone = import_catalog_job(engine, tmp_path / "gone", name="gone")
    for job in (kept, gone):
        review.accept(
            engine=engine,
            job_id=job.id,
            result_ids=result_ids(engine, job.id)[:4],
            from_state="pending",
            actor=as_reviewer("ada"),
        )
    kept_rows = job_rows(engine, kept.id)

    delete_job(engine=engine, job_id=gone.id, actor=ADMIN)
    replaced = import_catalog_job(engine, tmp_path / "again", name="kept", replace=True)

    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM reviewstate")).scalar() == 0
    assert job_rows(engine, replaced.id)["reviewstate"] == []  # the job that took its name (and maybe its id)
    assert len(kept_rows["reviewstate"]) == 4
