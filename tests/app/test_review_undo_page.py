"""Undo on the Visualize page through Streamlit's AppTest: Undo my last action moves the reviewer's last
action back, leaves another reviewer's action as it is, and says so when there is nothing of theirs to undo. In a
store of the test's own (the demo jobs drawn small)."""

from __future__ import annotations

import polars as pl

from core.review import decisions as review
from tests.app.review_helpers import (
    ANA,
    BO,
    IN_PERSON_BICYCLE,
    PERSON_BICYCLE,
    click,
    events,
    ids_where,
    open_visualize,
    sign_in,
    store,  # noqa: F401  (the fixture: the demo jobs, drawn small)
    toasts,
)
from tests.app.visualize_helpers import frame_of, store_engine, tab_labels
from tests.builders import as_reviewer

# ---- undo ------------------------------------------------------------------------------------------------------


def test_undo_moves_the_reviewers_last_action_back(store):
    street = store["street-scenes"]
    expected = ids_where(frame_of(street), IN_PERSON_BICYCLE)
    at = sign_in(open_visualize(street, **PERSON_BICYCLE))
    click(at, "undo")
    assert toasts(at) == ["Nothing of yours to undo on this job"]

    click(at, "bulk_accepted")
    others = ids_where(frame_of(street), pl.col("class_row") == "dog")
    review.reject(engine=store_engine(), job_id=street, result_ids=others, from_state="pending", actor=as_reviewer(BO))
    at.run()
    assert tab_labels(at) == ["Pending Review 3", "Accepted 24", "Rejected 0"]  # dogs are not in the filter

    click(at, "undo")
    assert toasts(at) == ["Undone: 24 result(s) back"]
    assert tab_labels(at) == ["Pending Review 27", "Accepted 0", "Rejected 0"]
    undo, bo_action, accepted = events(street)
    assert (undo.reviewer, undo.undoes_event_id, undo.from_state, undo.to_state, undo.result_ids) == (
        ANA,
        accepted.id,
        "accepted",
        "pending",
        expected,
    )
    # BO's rejection is BO's: ANA's undo does not touch it, and there is nothing more of ANA's to undo.
    assert ids_where(frame_of(street), pl.col("review_state") == "rejected") == others == bo_action.result_ids
    click(at, "undo")
    assert toasts(at) == ["Nothing of yours to undo on this job"]
    assert len(events(street)) == 3
