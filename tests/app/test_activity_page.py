"""The Activity page through Streamlit's AppTest: a job's review events newest first, filtered by reviewer and by
the state results moved to (an undo among the moves to either state), narrowed by reviewer and day from the URL,
and what it says without events. Events are written through the core review service into a store of the test's
own (the demo jobs drawn small)."""

from __future__ import annotations

import polars as pl

from core.review import decisions as review
from tests.app.review_helpers import (
    ANA,
    BO,
    captions,
    events,
    ids_where,
    open_page,
    sign_in,
    store,  # noqa: F401  (the fixture: the demo jobs, drawn small)
)
from tests.app.visualize_helpers import frame_of, store_engine
from tests.builders import as_reviewer

# ---- the Activity page -----------------------------------------------------------------------------------------


def test_activity_lists_the_events_newest_first_and_filters_them(store):
    street = store["street-scenes"]
    frame = frame_of(street)
    engine = store_engine()
    person = ids_where(frame, pl.col("class_row") == "person")
    review.accept(
        engine=engine,
        job_id=street,
        result_ids=person,
        from_state="pending",
        actor=as_reviewer(BO),
        selection={"tab": "pending", "filter": {"classes": ["person"]}, "group_by": "expert review class", "slice": []},
    )
    # ANA rejects 8 of BO's accepted ones and 3 pending cars: their results leave two states.
    cars = ids_where(frame, pl.col("class_row") == "car")[:3]
    review.reject(
        engine=engine,
        job_id=street,
        result_ids=person[:8] + cars,
        from_state=None,
        actor=as_reviewer(ANA),
        reason="wrong class",
    )
    review.undo_last(engine=engine, job_id=street, actor=as_reviewer(ANA))  # back to accepted and to pending

    at = sign_in(open_page("activity", street))
    listed = at.dataframe[0].value
    assert listed[["reviewer", "from", "to", "results", "reason", "undoes"]].values.tolist() == [
        [ANA, "Rejected", "several", 11, "", "event 2"],
        [ANA, "several", "Rejected", 11, "wrong class", ""],
        [BO, "Pending Review", "Accepted", 16, "", ""],
    ]
    assert listed["selected by"].tolist() == ["", "", "tab=pending · classes=person · group_by=expert review class"]
    assert list(listed["when"]) == sorted(listed["when"], reverse=True)
    assert "3 of 3 events · 38 decisions" in captions(at)

    at.multiselect[0].set_value([BO]).run()
    assert at.dataframe[0].value["reviewer"].tolist() == [BO]
    assert "1 of 3 events · 16 decisions" in captions(at)
    at.multiselect[0].set_value([ANA]).run()
    assert "2 of 3 events · 22 decisions" in captions(at)

    at.multiselect[0].set_value([])
    at.multiselect[1].set_value(["rejected"]).run()
    assert at.dataframe[0].value["reason"].tolist() == ["wrong class"]
    assert "1 of 3 events · 11 decisions" in captions(at)
    # The undo sent results back to Accepted and to Pending Review: it is among the moves to either.
    at.multiselect[1].set_value(["pending"]).run()
    assert at.dataframe[0].value["undoes"].tolist() == ["event 2"]
    assert "1 of 3 events · 11 decisions" in captions(at)
    at.multiselect[1].set_value(["accepted"]).run()
    assert at.dataframe[0].value["reviewer"].tolist() == [ANA, BO]
    assert "2 of 3 events · 27 decisions" in captions(at)
    at.multiselect[0].set_value([BO]).run()
    assert "1 of 3 events · 16 decisions" in captions(at)


def test_activity_without_events_says_so(store):
    at = open_page("activity", store["fruit-stand"])
    assert [i.value for i in at.info] == ["No review actions yet: every result is Pending Review as imported."]


def test_activity_narrowed_by_reviewer_and_day_from_the_url(store):
    street = store["street-scenes"]
    frame = frame_of(street)
    engine = store_engine()
    review.accept(
        engine=engine,
        job_id=street,
        result_ids=ids_where(frame, pl.col("class_row") == "person"),
        from_state="pending",
        actor=as_reviewer(BO),
    )
    review.reject(
        engine=engine,
        job_id=street,
        result_ids=ids_where(frame, pl.col("class_row") == "car")[:3],
        from_state="pending",
        actor=as_reviewer(ANA),
    )
    today = events(street)[0].created_at.date().isoformat()
    at = open_page("activity", street, reviewer=BO, day=today)
    assert at.multiselect[0].value == [BO]
    assert list(at.dataframe[0].value["reviewer"]) == [BO]
    assert f"On {events(street)[0].created_at:%d %b %Y} (UTC) only." in captions(at)
    at = open_page("activity", street, day="2001-01-01")
    assert [i.value for i in at.info] == ["No review actions on 01 Jan 2001."]
    at = open_page("activity", street, day="not-a-day", reviewer="nobody")  # ignored, not an error
    assert at.multiselect[0].value == [] and len(at.dataframe[0].value) == 2
