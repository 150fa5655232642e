"""The detail viewer's one-by-one review on the Visualize page through Streamlit's AppTest: it decides one
result and moves on to the next in grid order, with quick reasons and the result's history; it opens from another
tab and for a result outside the view; it leaves a result decided elsewhere as it is; a tile opens it, and the
image icon opens the side panel with its own review buttons. In a store of the test's own (the demo jobs drawn
small)."""

from __future__ import annotations

import polars as pl
from streamlit.testing.v1 import AppTest

from core.review import decisions as review
from tests.app.conftest import click_in_dialog, plain
from tests.app.review_helpers import (
    ANA,
    BO,
    IN_PERSON_BICYCLE,
    PERSON_BICYCLE,
    PERSON_BICYCLE_SELECTION,
    buttons,
    captions,
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
from tests.app.visualize_helpers import frame_of, grid_event, store_engine, tab_labels, tile_ids
from tests.builders import as_reviewer

# ---- the viewer ------------------------------------------------------------------------------------------------


def viewer_caption(at: AppTest) -> str:
    found = [c for c in captions(at) if " shown · " in c or c.startswith("Not among the results shown")]
    assert len(found) == 1, found
    return found[0]


def test_the_viewer_decides_one_result_and_moves_on_to_the_next(store, monkeypatch):
    street = store["street-scenes"]
    frame = frame_of(street)
    at = open_visualize(street, **PERSON_BICYCLE)
    order = tile_ids(at)  # the first grid page, in grid order
    at = open_visualize(street, **PERSON_BICYCLE, result=str(order[0]))
    assert buttons(at, "viewer_accepted", "viewer_rejected", "viewer_pending", "viewer_previous", "viewer_next") == {
        "viewer_accepted": ("Accept", False),
        "viewer_rejected": ("Reject", False),
        "viewer_previous": ("Previous result", True),
        "viewer_next": ("Next result", False),
    }
    file_path = frame.filter(pl.col("result_id") == order[0])["file_path"].item()
    assert f"**{file_path}**  \nresult {order[0]}" in [plain(m.value) for m in at.markdown]
    assert viewer_caption(at) == "1 of 24 shown · Pending Review"
    assert "No review actions yet: Pending Review as imported." in captions(at)
    assert len(at.get("plotly_chart")) == 1  # the canvas; the page's charts are not drawn under the Images view

    # In the dialog: each click reruns the dialog alone, as in the browser.
    click_in_dialog(at, "viewer_next", monkeypatch)
    assert at.query_params["result"] == str(order[1]) and viewer_caption(at) == "2 of 24 shown · Pending Review"
    click_in_dialog(at, "viewer_next", monkeypatch)
    click_in_dialog(at, "viewer_previous", monkeypatch)
    assert at.query_params["result"] == str(order[1])

    click_in_dialog(at, "viewer_accepted", monkeypatch)
    assert toasts(at) == ["Accepted 1 result"]
    assert at.query_params["result"] == str(order[2])  # the next one in grid order
    assert viewer_caption(at) == "3 of 24 shown · Pending Review"
    [event] = events(street)
    assert (event.reviewer, event.from_state, event.to_state, event.result_ids) == (
        ANA,
        "pending",
        "accepted",
        [order[1]],
    )
    assert event.selection == PERSON_BICYCLE_SELECTION | {"result": order[1]}

    # Quick reasons picked with 1–5, then X: the rejection carries them.
    click_in_dialog(at, "viewer_reason_1", monkeypatch)
    click_in_dialog(at, "viewer_reason_3", monkeypatch)
    assert at.button(key="viewer_rejected").label == "Reject (2 reasons)"
    click_in_dialog(at, "viewer_rejected", monkeypatch)
    assert at.query_params["result"] == str(order[3])
    assert events(street)[0].reason == "wrong class; box too tight"
    assert at.button(key="viewer_rejected").label == "Reject"  # the reasons were used up

    # ← back to the accepted one: its state and history, and the moves its state offers.
    click_in_dialog(at, "viewer_previous", monkeypatch)
    click_in_dialog(at, "viewer_previous", monkeypatch)
    assert at.query_params["result"] == str(order[1])
    assert viewer_caption(at) == "2 of 24 shown · Accepted"
    assert buttons(at, "viewer_accepted", "viewer_rejected", "viewer_pending") == {
        "viewer_rejected": ("Reject", False),
        "viewer_pending": ("Move to pending", False),
    }
    history = [c for c in captions(at) if c.endswith("ana: Pending Review → Accepted")]
    assert len(history) == 1 and history[0].startswith(f"{event.created_at:%d %b %H:%M} · ")

    # Closing the viewer (Esc) reruns the page: the counts follow what was decided in it.
    at.run()
    assert tab_labels(at) == ["Pending Review 25", "Accepted 1", "Rejected 1"]


def test_the_viewer_from_another_tab_and_a_result_outside_the_view(store):
    street = store["street-scenes"]
    review.accept(
        engine=store_engine(),
        job_id=street,
        result_ids=ids_where(frame_of(street), IN_PERSON_BICYCLE)[:2],
        from_state="pending",
        actor=as_reviewer(BO),
    )
    accepted = tile_ids(open_visualize(street, **PERSON_BICYCLE, tab="accepted"))  # in grid order
    assert len(accepted) == 2
    at = sign_in(open_visualize(street, **PERSON_BICYCLE, tab="accepted", result=str(accepted[0])))
    assert viewer_caption(at) == "1 of 2 shown · Accepted"
    click(at, "viewer_pending")
    assert toasts(at) == ["Moved to pending 1 result"]
    assert at.query_params["result"] == str(accepted[1])
    # A result that the filters leave out is still shown, and says so.
    dog = ids_where(frame_of(street), pl.col("class_row") == "dog")[0]
    at = open_visualize(street, **PERSON_BICYCLE, result=str(dog))
    assert viewer_caption(at) == "Not among the results shown · Pending Review"
    at = open_visualize(street, result="999999")
    assert any("Result 999999 is not part of" in w for w in warnings_of(at))


def warnings_of(at: AppTest) -> list[str]:
    return [plain(w.value) for w in at.warning]


def test_the_viewer_leaves_a_result_decided_elsewhere_as_it_is(store, monkeypatch):
    street = store["street-scenes"]
    at = open_visualize(street, **PERSON_BICYCLE)
    target = tile_ids(at)[0]
    at = sign_in(open_visualize(street, **PERSON_BICYCLE, result=str(target)))
    assert viewer_caption(at) == "1 of 24 shown · Pending Review"
    review.accept(
        engine=store_engine(), job_id=street, result_ids=[target], from_state="pending", actor=as_reviewer(BO)
    )

    click_in_dialog(at, "viewer_rejected", monkeypatch)  # the reviewer saw it pending
    assert toasts(at) == [
        "Rejected 0 results · 1 had been changed by someone else in the meantime and were left as they are"
    ]
    assert reviewed_by(street)[target] == BO
    assert frame_of(street).filter(pl.col("result_id") == target)["review_state"].item() == "accepted"
    assert [e.reviewer for e in events(street)] == [BO]


def test_a_tile_opens_the_viewer_and_the_image_icon_opens_the_side_panel(store):
    street = store["street-scenes"]
    at = sign_in(open_visualize(street, **PERSON_BICYCLE))
    first = tile_ids(at)[0]
    grid_event(at, "open", first)
    assert at.query_params["result"] == str(first)
    assert viewer_caption(at) == "1 of 24 shown · Pending Review"

    at = sign_in(open_visualize(street, **PERSON_BICYCLE))
    click(at, "images_panel_icon")
    assert at.query_params["panel"] == "images"
    panel_tiles = tile_ids(at, key="panel_tile_grid")
    assert panel_tiles[:1] == [first]
    assert len(panel_tiles) == 24  # the panel's own page of 24
    # At its bottom right, the decisions of the tab, for everything shown.
    assert buttons(at, "panel_bulk_accepted") == {"panel_bulk_accepted": ("Accept 24 shown", False)}
    assert popovers(at)["Reject 24 shown"] is False
    click(at, "panel_bulk_accepted")
    assert toasts(at) == ["Accepted 24 results"]
    assert tab_labels(at) == ["Pending Review 3", "Accepted 24", "Rejected 0"]
