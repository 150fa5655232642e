"""The review bar on the Visualize page through Streamlit's AppTest: who may review (a viewer sees no review
actions, a reviewer acts under their name), Accept and Reject of everything displayed on every page of the slice
and filters (with the reasons of a rejection), the moves each tab offers, the picked tiles the buttons act on, and
results changed elsewhere meanwhile, which are left as they are and counted.

Every test reviews in a store of its own (the demo jobs drawn small into tmp_path), never in the shared demo store.
Expectations come from the job's results frame and the core services, and are pinned to exact numbers too, so a
wrong expectation cannot hide behind a computed one."""

from __future__ import annotations

import polars as pl

from core.auth import users
from core.auth.access import operator
from core.review import decisions as review
from tests.app.conftest import plain
from tests.app.review_helpers import (
    ANA,
    BO,
    IN_PERSON_BICYCLE,
    PERSON_BICYCLE,
    PERSON_BICYCLE_SELECTION,
    buttons,
    click,
    events,
    ids_where,
    open_visualize,
    popovers,
    reviewed_by,
    sign_in,
    store,  # noqa: F401  (the fixture: the demo jobs, drawn small)
    toasts,
)
from tests.app.visualize_helpers import frame_of, grid_data, pick, picked, showing, store_engine, tab_labels, tile_ids
from tests.builders import as_reviewer

# ---- who is reviewing ------------------------------------------------------------------------------------------


def test_a_viewer_sees_the_job_but_no_review_actions_and_a_reviewer_acts_under_their_name(store):
    street = store["street-scenes"]
    at = open_visualize(street, user="lee", page_size="12")  # lee: a team lead, made a viewer below
    users.set_role(engine=store_engine(), name="lee", role="viewer", actor=operator())
    at.run()
    assert plain(at.title[0].value) == "Visualize · street-scenes"
    assert tab_labels(at) == ["Pending Review 43", "Accepted 0", "Rejected 0"]
    assert buttons(at, "bulk_", "undo") == {} and popovers(at) == {}
    assert "Read-only: you are signed in as a viewer; accepting and rejecting needs the reviewer role." in [
        c.value.removeprefix(":material/visibility: ") for c in at.caption
    ]
    assert list(at.segmented_control(key="workspace").options) == ["Images", "Charts"]  # no spot check to a viewer
    assert tile_ids(at) and grid_data(at)["pickable"] is False  # nothing to pick for

    at = open_visualize(street, page_size="12")
    assert buttons(at, "bulk_", "undo") == {
        "bulk_accepted": ("Accept 43 shown", False),
        "bulk_rejected": ("Reject 43 shown", False),
        "undo": ("Undo my last action", False),
    }
    at.switch_page("../pages/activity.py").run()
    assert plain(at.title[0].value) == "Activity · street-scenes"
    assert f"**{ANA}** · reviewer" in [m.value.split(" ", 1)[1] for m in at.sidebar.markdown if " " in m.value]
    at.switch_page("../pages/visualize.py").run()
    click(at, "bulk_accepted")
    assert [(e.reviewer, e.result_count) for e in events(street)] == [(ANA, 43)]


# ---- the review bar: everything displayed --------------------------------------------------------------------


def test_accept_acts_on_every_page_of_the_slice_and_filters(store):
    street = store["street-scenes"]
    expected = ids_where(frame_of(street), IN_PERSON_BICYCLE)
    assert len(expected) == 24
    at = sign_in(open_visualize(street, **PERSON_BICYCLE))
    assert showing(at) == "Class Changed = False · Person, Bicycle · 24 results"
    assert len(tile_ids(at)) == 12 and at.pagination[0].value == 1  # the first of two grid pages
    assert tab_labels(at) == ["Pending Review 27", "Accepted 0", "Rejected 0"]

    click(at, "bulk_accepted")
    assert toasts(at) == ["Accepted 24 results"]
    assert tab_labels(at) == ["Pending Review 3", "Accepted 24", "Rejected 0"]
    assert showing(at) == "Class Changed = False · Person, Bicycle · 0 results"
    [event] = events(street)
    assert (event.reviewer, event.from_state, event.to_state, event.result_ids, event.reason) == (
        ANA,
        "pending",
        "accepted",
        expected,
        None,
    )
    assert event.selection == PERSON_BICYCLE_SELECTION
    states = frame_of(street)
    assert ids_where(states, pl.col("review_state") == "accepted") == expected
    assert states.height == 43 and (states["review_state"] == "pending").sum() == 19


def test_reject_asks_for_a_reason_in_its_popover(store):
    street = store["street-scenes"]
    expected = ids_where(frame_of(street), IN_PERSON_BICYCLE)
    at = sign_in(open_visualize(street, **PERSON_BICYCLE))
    assert popovers(at) == {"Reject 24 shown": False}
    assert at.pills(key="reject_quick").options == [
        "wrong class",
        "box too loose",
        "box too tight",
        "missed object",
        "not an object",
    ]
    at.pills(key="reject_quick").set_value(["wrong class", "box too tight"])
    at.text_input(key="reject_text").input("  partly hidden ")
    click(at, "bulk_rejected")

    assert toasts(at) == ["Rejected 24 results"]
    assert tab_labels(at) == ["Pending Review 3", "Accepted 0", "Rejected 24"]
    [event] = events(street)
    assert (event.reviewer, event.from_state, event.to_state, event.result_ids) == (
        ANA,
        "pending",
        "rejected",
        expected,
    )
    assert event.reason == "wrong class; box too tight; partly hidden"
    assert event.selection == PERSON_BICYCLE_SELECTION
    # The reason is not carried over to the next rejection.
    assert at.pills(key="reject_quick").value == [] and at.text_input(key="reject_text").value == ""


def test_a_reject_without_a_reason_records_none(store):
    fruit = store["fruit-stand"]
    at = sign_in(open_visualize(fruit))
    click(at, "bulk_rejected")
    assert toasts(at) == ["Rejected 6 results"]
    assert events(fruit)[0].reason is None


def test_the_accepted_and_rejected_tabs_offer_their_own_moves(store):
    street = store["street-scenes"]
    frame = frame_of(street)
    person = ids_where(frame, pl.col("class_row") == "person")
    bicycle = ids_where(frame, pl.col("class_row") == "bicycle")
    assert (len(person), len(bicycle)) == (16, 11)
    review.accept(engine=store_engine(), job_id=street, result_ids=person, from_state="pending", actor=as_reviewer(BO))
    review.reject(engine=store_engine(), job_id=street, result_ids=bicycle, from_state="pending", actor=as_reviewer(BO))

    at = sign_in(open_visualize(street, tab="accepted", page_size="12"))
    assert tab_labels(at) == ["Pending Review 16", "Accepted 16", "Rejected 11"]
    assert buttons(at, "bulk_") == {
        "bulk_rejected": ("Reject 16 shown", False),
        "bulk_pending": ("Move to pending 16 shown", False),
    }
    assert popovers(at) == {"Reject 16 shown": False, "Save all 16 accepted results of the job as a ResultSet": False}
    click(at, "bulk_pending")
    assert toasts(at) == ["Moved to pending 16 results"]
    assert tab_labels(at) == ["Pending Review 32", "Accepted 0", "Rejected 11"]
    assert (events(street)[0].from_state, events(street)[0].to_state, events(street)[0].result_ids) == (
        "accepted",
        "pending",
        person,
    )

    at.segmented_control(key="tab").set_value("rejected").run()
    assert buttons(at, "bulk_") == {
        "bulk_accepted": ("Accept 11 shown", False),
        "bulk_pending": ("Move to pending 11 shown", False),
    }
    assert popovers(at) == {"Send back 11 shown for relabelling": False}  # tests/app/test_rework_button.py
    click(at, "bulk_accepted")
    assert toasts(at) == ["Accepted 11 results"]
    assert tab_labels(at) == ["Pending Review 32", "Accepted 11", "Rejected 0"]
    assert events(street)[0].selection["tab"] == "rejected"

    at.segmented_control(key="tab").set_value("accepted").run()
    click(at, "bulk_rejected")  # from the Accepted tab, through the same popover
    assert toasts(at) == ["Rejected 11 results"]
    assert tab_labels(at) == ["Pending Review 32", "Accepted 0", "Rejected 11"]
    assert (events(street)[0].from_state, events(street)[0].to_state) == ("accepted", "rejected")
    assert len(events(street)) == 5


# ---- picked tiles ----------------------------------------------------------------------------------------------


def test_picked_tiles_are_all_the_buttons_act_on(store):
    street = store["street-scenes"]
    at = sign_in(open_visualize(street, **PERSON_BICYCLE))
    first_page = tile_ids(at)
    chosen = [first_page[0], first_page[5], first_page[11]]
    for result_id in chosen:
        pick(at, result_id)
    assert picked(at) == chosen  # the boxes the grid ticks
    assert buttons(at, "bulk_", "clear_picks") == {
        "bulk_accepted": ("Accept 3 picked", False),
        "bulk_rejected": ("Reject 3 picked", False),
        "clear_picks": ("Clear picks", False),
    }
    assert popovers(at) == {"Reject 3 picked": False}

    click(at, "bulk_accepted")
    assert toasts(at) == ["Accepted 3 results"]
    assert events(street)[0].result_ids == sorted(chosen)
    assert tab_labels(at) == ["Pending Review 24", "Accepted 3", "Rejected 0"]
    # The picks are done with: the buttons act on the whole slice again.
    assert buttons(at, "bulk_", "clear_picks") == {
        "bulk_accepted": ("Accept 21 shown", False),
        "bulk_rejected": ("Reject 21 shown", False),
    }

    pick(at, tile_ids(at)[0])
    assert at.button(key="bulk_accepted").label == "Accept 1 picked"
    pick(at, tile_ids(at)[1])
    pick(at, tile_ids(at)[1])  # ticked and unticked again
    assert picked(at) == [tile_ids(at)[0]]
    click(at, "clear_picks")
    assert at.button(key="bulk_accepted").label == "Accept 21 shown"
    assert picked(at) == []


def test_a_picked_image_tile_stands_for_all_its_results(store):
    street = store["street-scenes"]
    frame = frame_of(street)
    at = sign_in(open_visualize(street, group_by="image", page_size="12"))
    assert len(tile_ids(at)) == 8  # one tile per image
    tile = tile_ids(at)[1]
    image = frame.filter(pl.col("result_id") == tile)["file_path"].item()
    of_image = ids_where(frame, pl.col("file_path") == image)
    assert (image, len(of_image)) == ("scene_0002.jpg", 7)

    pick(at, tile)
    assert at.button(key="bulk_accepted").label == "Accept 7 picked"
    click(at, "bulk_accepted")
    assert toasts(at) == ["Accepted 7 results"]
    assert events(street)[0].result_ids == of_image
    assert tab_labels(at) == ["Pending Review 36", "Accepted 7", "Rejected 0"]


# ---- changed elsewhere -----------------------------------------------------------------------------------------


def test_results_changed_elsewhere_are_left_as_they_are_and_counted(store):
    street = store["street-scenes"]
    expected = ids_where(frame_of(street), IN_PERSON_BICYCLE)
    at = sign_in(open_visualize(street, **PERSON_BICYCLE))
    assert at.button(key="bulk_accepted").label == "Accept 24 shown"
    # Someone else decides five of them while the page shows them.
    taken, refused = expected[:3], expected[20:22]
    review.accept(engine=store_engine(), job_id=street, result_ids=taken, from_state="pending", actor=as_reviewer(BO))
    review.reject(engine=store_engine(), job_id=street, result_ids=refused, from_state="pending", actor=as_reviewer(BO))

    click(at, "bulk_accepted")
    assert toasts(at) == [
        "Accepted 19 results · 5 had been changed by someone else in the meantime and were left as they are"
    ]
    assert tab_labels(at) == ["Pending Review 3", "Accepted 22", "Rejected 2"]
    mine = [i for i in expected if i not in taken + refused]
    assert events(street)[0].reviewer == ANA and events(street)[0].result_ids == mine
    by = reviewed_by(street)
    assert {by[i] for i in taken + refused} == {BO} and {by[i] for i in mine} == {ANA}
    assert ids_where(frame_of(street), pl.col("review_state") == "rejected") == refused


def test_a_picked_tile_decided_elsewhere_is_not_turned_into_the_whole_slice(store):
    street = store["street-scenes"]
    at = sign_in(open_visualize(street, **PERSON_BICYCLE))
    tile = tile_ids(at)[4]
    pick(at, tile)
    assert at.button(key="bulk_accepted").label == "Accept 1 picked"
    review.reject(engine=store_engine(), job_id=street, result_ids=[tile], from_state="pending", actor=as_reviewer(BO))

    click(at, "bulk_accepted")
    assert toasts(at) == [
        "Accepted 0 results · 1 had been changed by someone else in the meantime and were left as they are"
    ]
    assert tab_labels(at) == ["Pending Review 26", "Accepted 0", "Rejected 1"]
    assert len(events(street)) == 1  # BO's; nothing moved, nothing recorded for ANA
