"""The Overview's figures read from hand-built stores, on SQLite and PostgreSQL: review progress per job, decisions
per reviewer per UTC day, the Class Changed rate per class across jobs, and the rejected results' reasons. Every
expectation is a number worked out by hand from the jobs below.

    street    (tests/resultset_builders.py, 7 results)   r1 cat · r2 dog←cat · r3 cat · r4 bird added ·
                                                          r5 dog · r6 removed (pre dog) · r7 cat
    street-2  (tests/builders.py's standard job, 6)       the same as r1–r6
    fruit     (4 results, classification)                 c1 apple · c2 pear←apple · c3 pear · c4 apple←plum
    broken    (a copy of street-2, FAILED)                never counted
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest
from sqlalchemy import text, update

from core.analysis import overview
from core.domain.errors import BadInput
from core.jobs import ingest
from core.review import decisions as review
from core.store import models
from tests.builders import ADMIN, as_reviewer, write_detection_job
from tests.resultset_builders import import_catalog_job, import_fruit_job, result_ids, set_state

TODAY = date(2025, 3, 7)
ANN, BO, CY = as_reviewer("ann"), as_reviewer("bo"), as_reviewer("cy")


def at(day_offset: int, hour: int = 12, minute: int = 0, second: int = 0, microsecond: int = 0) -> datetime:
    """A UTC moment `day_offset` days from TODAY."""
    day = TODAY + timedelta(days=day_offset)
    return datetime(day.year, day.month, day.day, hour, minute, second, microsecond, tzinfo=UTC)


def stamp(engine, outcome: review.ReviewOutcome, moment: datetime) -> int:
    """Give a review event the time it is meant to have happened at."""
    with engine.begin() as conn:
        conn.execute(
            update(models.ReviewEvent).where(models.ReviewEvent.id == outcome.event_id).values(created_at=moment)
        )
    return outcome.event_id


@pytest.fixture
def jobs(engine, tmp_path) -> dict[str, int]:
    street = import_catalog_job(engine, tmp_path / "street")
    standard = write_detection_job(tmp_path / "standard")
    street_2 = ingest.import_detection(
        actor=ADMIN,
        engine=engine,
        name="street-2",
        images_dir=standard.images_dir,
        pre_path=standard.pre_path,
        expert_path=standard.expert_path,
    )
    fruit = import_fruit_job(engine, tmp_path / "fruit")
    broken = ingest.import_detection(
        actor=ADMIN,
        engine=engine,
        name="broken",
        images_dir=standard.images_dir,
        pre_path=standard.pre_path,
        expert_path=standard.expert_path,
    )
    with engine.begin() as conn:
        conn.execute(text("UPDATE labeljob SET status = 'FAILED' WHERE id = :j"), {"j": broken.id})
    return {"street": street.id, "street-2": street_2.id, "fruit": fruit.id, "broken": broken.id}


@pytest.fixture
def reviewed(engine, jobs) -> dict[str, int]:
    """Review actions by ann, bo and cy over five days (TODAY is day 0), ending in:

    street  r1 rejected (cy: "WRONG class") · r2, r4 rejected (bo: " Wrong  Class ") · r3 accepted ·
            r5 pending (bo rejected it "Blurry", then undid that) · r6 rejected (cy, no reason) ·
            r7 pending (ann accepted it, then moved it back)
    fruit   c1, c2 accepted (ann, day -40) · c3 rejected (bo: "Blurry ") · c4 rejected: bo rejected it
            "Off-topic", ann accepted it, bo's undo found it changed, ann's undo sent it back to rejected
    street-2 and broken: untouched (broken has a decision that must not count)."""
    r = result_ids(engine, jobs["street"])
    c = result_ids(engine, jobs["fruit"])
    street, fruit = jobs["street"], jobs["fruit"]
    stamp(
        engine,
        review.accept(engine=engine, job_id=street, result_ids=[r[0], r[2], r[6]], from_state="pending", actor=ANN),
        at(-2),
    )
    stamp(
        engine,
        review.reject(
            engine=engine,
            job_id=street,
            result_ids=[r[1], r[3]],
            from_state="pending",
            actor=BO,
            reason=" Wrong  Class ",
        ),
        at(-1, 9),
    )
    # The last moment of day -1 and the first of day 0 fall on their own UTC days.
    stamp(
        engine,
        review.reject(engine=engine, job_id=street, result_ids=[r[4]], from_state="pending", actor=BO, reason="Blurry"),
        at(-1, 23, 59, 59, 999_999),
    )
    stamp(engine, review.undo_last(engine=engine, job_id=street, actor=BO), at(0, 0))
    stamp(
        engine,
        review.reject(engine=engine, job_id=street, result_ids=[r[5]], from_state="pending", actor=CY),
        at(0, 10),
    )
    stamp(
        engine,
        review.move_to_pending(engine=engine, job_id=street, result_ids=[r[6]], from_state="accepted", actor=ANN),
        at(0, 11),
    )
    stamp(
        engine,
        review.reject(
            engine=engine, job_id=street, result_ids=[r[0]], from_state="accepted", actor=CY, reason="WRONG class"
        ),
        at(0, 12),
    )

    stamp(
        engine,
        review.accept(engine=engine, job_id=fruit, result_ids=[c[0], c[1]], from_state="pending", actor=ANN),
        at(-40),
    )
    stamp(
        engine,
        review.reject(engine=engine, job_id=fruit, result_ids=[c[2]], from_state="pending", actor=BO, reason="Blurry "),
        at(0, 8),
    )
    stamp(
        engine,
        review.reject(
            engine=engine, job_id=fruit, result_ids=[c[3]], from_state="pending", actor=BO, reason="Off-topic"
        ),
        at(0, 9),
    )
    stamp(
        engine,
        review.accept(engine=engine, job_id=fruit, result_ids=[c[3]], from_state="rejected", actor=ANN),
        at(0, 10),
    )
    bo_undo = review.undo_last(engine=engine, job_id=fruit, actor=BO)
    assert (bo_undo.moved, bo_undo.changed_elsewhere) == (0, 1)
    stamp(engine, bo_undo, at(0, 11))
    stamp(engine, review.undo_last(engine=engine, job_id=fruit, actor=ANN), at(0, 12))

    broken = result_ids(engine, jobs["broken"])
    with engine.begin() as conn:  # a decision on a job that then failed: never part of the Overview's figures
        conn.execute(text("UPDATE labeljob SET status = 'READY' WHERE id = :j"), {"j": jobs["broken"]})
    stamp(
        engine,
        review.reject(
            engine=engine, job_id=jobs["broken"], result_ids=broken[:2], from_state="pending", actor=CY, reason="broken"
        ),
        at(0),
    )
    with engine.begin() as conn:
        conn.execute(text("UPDATE labeljob SET status = 'FAILED' WHERE id = :j"), {"j": jobs["broken"]})
    return jobs


def rows(frame: pl.DataFrame, *columns: str) -> list[tuple]:
    return list(frame.select(columns or frame.columns).iter_rows())


# ---- review progress -----------------------------------------------------------------------------------------------


def test_review_progress_counts_each_ready_manual_job_newest_first(engine, reviewed):
    progress = overview.review_progress(engine=engine)
    assert progress.columns == [
        "job_id",
        "job",
        "tag",
        "task",
        "results",
        "pending",
        "accepted",
        "rejected",
        "reviewed",
        "reviewed_share",
        "rejected_share",
    ]
    assert rows(progress, "job_id", "job", "tag", "task", "results", "pending", "accepted", "rejected", "reviewed") == [
        (reviewed["fruit"], "fruit", "M-LA-CL", "classification", 4, 0, 2, 2, 4),
        (reviewed["street-2"], "street-2", "M-LA-OD", "detection", 6, 6, 0, 0, 0),
        (reviewed["street"], "street", "M-LA-OD", "detection", 7, 2, 1, 4, 5),
    ]
    assert rows(progress, "reviewed_share", "rejected_share") == [(1.0, 0.5), (0.0, None), (5 / 7, 0.8)]


def test_totals_sum_the_jobs(engine, reviewed):
    totals = overview.totals(overview.review_progress(engine=engine))
    assert totals == overview.Totals(jobs=3, results=17, reviewed=9, rejected=6)
    assert totals.reviewed_share == 9 / 17
    assert totals.rejected_share == 6 / 9


def test_a_job_without_results_counts_with_no_share(engine, jobs):
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM result WHERE job_id = :j"), {"j": jobs["street-2"]})
        conn.execute(text("UPDATE labeljob SET result_count = 0 WHERE id = :j"), {"j": jobs["street-2"]})
    progress = overview.review_progress(engine=engine).filter(pl.col("job") == "street-2")
    assert rows(progress, "results", "pending", "reviewed", "reviewed_share", "rejected_share") == [
        (0, 0, 0, 0.0, None)
    ]


# ---- decisions per reviewer per day --------------------------------------------------------------------------------

DAY_0, DAY_1, DAY_2 = TODAY, TODAY - timedelta(days=1), TODAY - timedelta(days=2)


def test_decisions_per_reviewer_per_utc_day_with_undos_on_their_own(engine, reviewed):
    decisions = overview.decisions_per_day(engine=engine, today=TODAY)
    assert decisions.columns == [
        "day",
        "reviewer",
        "job_id",
        "job",
        "accepted",
        "rejected",
        "pending",
        "undone",
        "decisions",
    ]
    assert rows(decisions, "day", "reviewer", "job", "accepted", "rejected", "pending", "undone", "decisions") == [
        (DAY_0, "ann", "fruit", 1, 0, 0, 1, 1),  # accepted c4; undid that, which sent c4 back
        (DAY_0, "ann", "street", 0, 0, 1, 0, 1),
        (DAY_0, "bo", "fruit", 0, 2, 0, 0, 2),  # its undo found c4 changed: moved nothing
        (DAY_0, "bo", "street", 0, 0, 0, 1, 0),  # at 00:00:00, undid the rejection of 23:59:59.999999
        (DAY_0, "cy", "street", 0, 2, 0, 0, 2),
        (DAY_1, "bo", "street", 0, 3, 0, 0, 3),
        (DAY_2, "ann", "street", 3, 0, 0, 0, 3),
    ]
    assert rows(decisions, "job_id")[0] == (reviewed["fruit"],)


def test_decisions_only_within_the_window(engine, reviewed):
    assert rows(overview.decisions_per_day(engine=engine, today=TODAY, days=1), "day", "reviewer", "job") == [
        (DAY_0, "ann", "fruit"),
        (DAY_0, "ann", "street"),
        (DAY_0, "bo", "fruit"),
        (DAY_0, "bo", "street"),
        (DAY_0, "cy", "street"),
    ]
    # Ending yesterday: today's actions are after the window.
    assert rows(overview.decisions_per_day(engine=engine, today=DAY_1, days=2), "day", "reviewer", "decisions") == [
        (DAY_1, "bo", 3),
        (DAY_2, "ann", 3),
    ]
    # ann's acceptance 40 days ago shows in a 41-day window, not in the default 30 days.
    long = overview.decisions_per_day(engine=engine, today=TODAY, days=41)
    assert rows(long.filter(pl.col("day") < DAY_2), "day", "reviewer", "job", "accepted") == [
        (TODAY - timedelta(days=40), "ann", "fruit", 2)
    ]
    assert overview.decisions_per_day(engine=engine, today=TODAY, days=40).filter(pl.col("day") < DAY_2).is_empty()


def test_reviewer_days_sum_over_jobs(engine, reviewed):
    per_day = overview.reviewer_days(overview.decisions_per_day(engine=engine, today=TODAY))
    assert rows(per_day) == [
        (DAY_0, "ann", 1, 0, 1, 1, 2),
        (DAY_0, "bo", 0, 2, 0, 1, 2),
        (DAY_0, "cy", 0, 2, 0, 0, 2),
        (DAY_1, "bo", 0, 3, 0, 0, 3),
        (DAY_2, "ann", 3, 0, 0, 0, 3),
    ]


def test_a_window_of_no_days_is_refused(engine):
    with pytest.raises(BadInput, match="positive number of days"):
        overview.decisions_per_day(engine=engine, days=0)


# ---- Class Changed rate per class ----------------------------------------------------------------------------------


def test_class_changed_per_class_and_job_counts_removed_boxes_under_their_pre_class(engine, jobs):
    by_job = overview.class_changed_by_job(engine=engine)
    assert rows(by_job, "class_name", "job", "results", "class_changed", "removed", "rate") == [
        ("bird", "street", 1, 1, 0, 1.0),  # added
        ("bird", "street-2", 1, 1, 0, 1.0),
        ("dog", "street", 3, 2, 1, 2 / 3),  # relabeled cat → dog, adjusted dog, removed pre-label dog
        ("dog", "street-2", 3, 2, 1, 2 / 3),
        ("apple", "fruit", 2, 1, 0, 0.5),  # c4 plum → apple, c1 apple
        ("pear", "fruit", 2, 1, 0, 0.5),
        ("cat", "street", 3, 0, 0, 0.0),
        ("cat", "street-2", 2, 0, 0, 0.0),
    ]
    assert set(by_job["job_id"]) == {jobs["street"], jobs["street-2"], jobs["fruit"]}  # not the FAILED job


def test_class_changed_rates_across_jobs_worst_first(engine, jobs):
    rates = overview.class_changed_rates(overview.class_changed_by_job(engine=engine))
    assert rows(rates) == [
        ("bird", 2, 2, 0, 1.0, 2),
        ("dog", 6, 4, 2, 4 / 6, 2),
        ("apple", 2, 1, 0, 0.5, 1),
        ("pear", 2, 1, 0, 0.5, 1),
        ("cat", 5, 0, 0, 0.0, 2),
    ]


def test_review_does_not_change_the_class_changed_rates(engine, reviewed):
    assert rows(
        overview.class_changed_rates(overview.class_changed_by_job(engine=engine)),
        "class_name",
        "results",
        "class_changed",
    ) == [("bird", 2, 2), ("dog", 6, 4), ("apple", 2, 1), ("pear", 2, 1), ("cat", 5, 0)]


# ---- rejected results and their reasons ----------------------------------------------------------------------------


def test_each_rejected_result_counts_under_the_reason_of_the_action_that_rejected_it(engine, reviewed):
    reasons = overview.rejection_reasons(engine=engine)
    assert rows(reasons, "job", "reason", "results") == [
        ("fruit", "blurry", 1),
        ("fruit", "off-topic", 1),  # back in rejected by ann's undo: the undone rejection's reason
        ("street", "wrong class", 3),  # " Wrong  Class " and "WRONG class" are one reason
        ("street", "(no reason)", 1),
    ]
    # Per job, the reasons add up to the rejected results.
    rejected = dict(rows(overview.review_progress(engine=engine), "job_id", "rejected"))
    assert dict(rows(reasons.group_by("job_id").agg(pl.col("results").sum()))) == {
        job_id: n for job_id, n in rejected.items() if n
    }


def test_top_reasons_across_jobs(engine, reviewed):
    assert rows(overview.top_reasons(overview.rejection_reasons(engine=engine))) == [
        ("wrong class", 3, 1),
        ("(no reason)", 1, 1),
        ("blurry", 1, 1),
        ("off-topic", 1, 1),
    ]


def test_a_result_rejected_outside_the_review_service_has_no_reason(engine, jobs):
    street = result_ids(engine, jobs["street"])
    set_state(engine, street[:2], "rejected")
    stamp(
        engine,
        review.reject(
            engine=engine,
            job_id=jobs["street"],
            result_ids=street[2:3],
            from_state="pending",
            actor=BO,
            reason="Too dark",
        ),
        at(0),
    )
    assert rows(overview.rejection_reasons(engine=engine), "job", "reason", "results") == [
        ("street", "(no reason)", 2),
        ("street", "too dark", 1),
    ]


def test_a_later_rejection_replaces_the_reason_of_an_earlier_one(engine, jobs):
    street, ids = jobs["street"], result_ids(engine, jobs["street"])
    review.reject(engine=engine, job_id=street, result_ids=ids[:3], from_state="pending", actor=BO, reason="blurry")
    review.accept(engine=engine, job_id=street, result_ids=ids[:1], from_state="rejected", actor=ANN)
    review.reject(engine=engine, job_id=street, result_ids=ids[:1], from_state="accepted", actor=CY, reason="dup")
    assert rows(overview.rejection_reasons(engine=engine), "reason", "results") == [("blurry", 2), ("dup", 1)]


# ---- an empty store ------------------------------------------------------------------------------------------------


def test_an_empty_store_gives_empty_frames(engine):
    progress = overview.review_progress(engine=engine)
    assert progress.is_empty() and progress.schema["rejected_share"] == pl.Float64
    assert overview.totals(progress) == overview.Totals(jobs=0, results=0, reviewed=0, rejected=0)
    assert overview.totals(progress).rejected_share is None
    assert overview.decisions_per_day(engine=engine).is_empty()
    assert overview.class_changed_by_job(engine=engine).is_empty()
    assert overview.class_changed_rates(overview.class_changed_by_job(engine=engine)).is_empty()
    assert overview.rejection_reasons(engine=engine).is_empty()
    assert overview.top_reasons(overview.rejection_reasons(engine=engine)).is_empty()
