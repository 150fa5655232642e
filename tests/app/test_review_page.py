"""Reviewing in the browser through Streamlit's AppTest: the reviewer's name, the review bar (everything displayed
or the picked tiles, reasons, results changed elsewhere, undo), the detail panel's one-by-one review, the spot check,
Save as ResultSet, and the ResultSets, Activity and Catalog pages.

Every test reviews in a store of its own (the demo jobs drawn small into tmp_path), never in the shared demo store.
Expectations come from the job's results frame and the core services, and are pinned to exact numbers too, so a
wrong expectation cannot hide behind a computed one."""

from __future__ import annotations

import polars as pl
import pytest
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from core.analysis import catalog
from core.review import resultsets
from core.review import decisions as review
from core.auth import users
from core.auth.access import Actor, Role, operator
from core.domain.errors import Forbidden
from core.exports import list_datalog_tables
from core.review.spot_check import draw_sample, error_rate
from dashboard.resultset_panel import download_data
from tests.app.conftest import click_in_dialog, plain, sign_in_as, signed_in_session
from tests.app.test_visualize_page import (
    APP,
    apply,
    frame_of,
    grid_data,
    grid_event,
    job_id,
    pick,
    picked,
    showing,
    store_engine,
    tab_labels,
    tile_ids,
)
from tests.app.test_visualize_page import open_visualize as visualize_page
from tests.builders import as_admin, as_reviewer

ANA, BO = "ana", "bo"  # the reviewer at the page, and someone else reviewing the same job meanwhile


@pytest.fixture
def store(store_url: str, monkeypatch: pytest.MonkeyPatch, copy_demo) -> dict[str, int]:
    """The demo jobs, drawn small, in this test's own store (SQLite, and PostgreSQL when configured; a copy of the
    demo seeded once: copy_demo): street-scenes has 43 results on 8 images, fruit-stand 6. Returns the job ids by
    name."""
    monkeypatch.setenv("LABELDECK_DATABASE_URL", store_url)
    monkeypatch.setenv("LABELDECK_AUTH", "password")  # reviewers by name, as on an internal URL
    copy_demo(store_url, detection_images=8, classification_images=6)
    return {name: job_id(name) for name in ("street-scenes", "fruit-stand")}


# ---- driving the pages -----------------------------------------------------------------------------------------


def open_visualize(job: int, *, user: str = ANA, **params: str) -> AppTest:
    """Visualize as `user`, a reviewer unless the test made that user another role."""
    return visualize_page(job, user=user, **params)


def open_page(page: str, job: int, *, user: str = ANA, **params: str) -> AppTest:
    """Another page of a job (pages/<page>.py?job=…), reached the way open_visualize reaches Visualize."""
    at = signed_in_session(AppTest.from_file(APP, default_timeout=30), user)
    at.run()
    at.query_params["job"] = str(job)
    for key, value in params.items():
        at.query_params[key] = value
    at.switch_page(f"../pages/{page}.py").run()
    assert not at.exception, at.exception
    return at


def sign_in(at: AppTest, name: str = ANA, role: str = "reviewer") -> AppTest:
    return sign_in_as(at, name, role)


def click(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click().run()
    assert not at.exception, at.exception
    return at


def buttons(at: AppTest, *prefixes: str) -> dict[str, tuple[str, bool]]:
    """The buttons whose key starts with one of the prefixes: key → (label, disabled)."""
    return {b.key: (b.label, b.disabled) for b in at.button if b.key and b.key.startswith(prefixes)}


def popovers(at: AppTest) -> dict[str, bool]:
    """Every popover on the page: label → disabled."""
    return {p.proto.popover.label: p.proto.popover.disabled for p in at.get("popover")}


def toasts(at: AppTest) -> list[str]:
    return [t.value for t in at.toast]


def captions(at: AppTest) -> list[str]:
    return [c.value for c in at.caption]


def events(job: int) -> list:
    """The job's review events, newest first."""
    return review.list_events(engine=store_engine(), job_id=job)


def reviewed_by(job: int) -> dict[int, str | None]:
    with store_engine().connect() as conn:
        return dict(conn.execute(text("SELECT r.id, st.reviewed_by FROM result r LEFT JOIN reviewstate st "
                                      "ON st.result_id = r.id WHERE r.job_id = :j"), {"j": job}).all())


def ids_where(frame: pl.DataFrame, condition: pl.Expr) -> list[int]:
    return sorted(frame.filter(condition)["result_id"].to_list())


def keyed_ids(at: AppTest, prefix: str) -> list[int]:
    """The ids in the keys of the containers keyed `<prefix><id>` (a container's id ends with its key)."""
    return sorted(int(c.proto.id.rsplit("-", 1)[-1].removeprefix(prefix)) for c in at.container
                  if c.proto.id.rsplit("-", 1)[-1].startswith(prefix))


def form_button(at: AppTest, label: str):
    found = [b for b in at.button if b.key and b.key.startswith("FormSubmitter:") and b.label == label]
    assert len(found) == 1, found
    return found[0]


def widget_by_label(widgets, label: str):
    found = [w for w in widgets if w.label == label]
    assert len(found) == 1, found
    return found[0]


# The slice of the first review tests: Person and Bicycle (a filter), Class Changed = False (a slice): 24 results,
# two grid pages of 12.
PERSON_BICYCLE = {"classes": ["person", "bicycle"], "slice": "class_changed:false", "page_size": "12"}
PERSON_BICYCLE_SELECTION = {"tab": "pending", "filter": {"classes": ["person", "bicycle"]},
                            "group_by": "expert review class", "slice": ["class_changed:false"]}
IN_PERSON_BICYCLE = pl.col("class_row").is_in(["person", "bicycle"]) & ~pl.col("class_changed")


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
        c.value.removeprefix(":material/visibility: ") for c in at.caption]
    assert list(at.segmented_control(key="workspace").options) == ["Images", "Charts"]  # no spot check to a viewer
    assert tile_ids(at) and grid_data(at)["pickable"] is False  # nothing to pick for

    at = open_visualize(street, page_size="12")
    assert buttons(at, "bulk_", "undo") == {
        "bulk_accepted": ("Accept 43 shown", False), "bulk_rejected": ("Reject 43 shown", False),
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
        ANA, "pending", "accepted", expected, None)
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
        "wrong class", "box too loose", "box too tight", "missed object", "not an object"]
    at.pills(key="reject_quick").set_value(["wrong class", "box too tight"])
    at.text_input(key="reject_text").input("  partly hidden ")
    click(at, "bulk_rejected")

    assert toasts(at) == ["Rejected 24 results"]
    assert tab_labels(at) == ["Pending Review 3", "Accepted 0", "Rejected 24"]
    [event] = events(street)
    assert (event.reviewer, event.from_state, event.to_state, event.result_ids) == (
        ANA, "pending", "rejected", expected)
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
    assert buttons(at, "bulk_") == {"bulk_rejected": ("Reject 16 shown", False),
                                    "bulk_pending": ("Move to pending 16 shown", False)}
    assert popovers(at) == {"Reject 16 shown": False,
                            "Save all 16 accepted results of the job as a ResultSet": False}
    click(at, "bulk_pending")
    assert toasts(at) == ["Moved to pending 16 results"]
    assert tab_labels(at) == ["Pending Review 32", "Accepted 0", "Rejected 11"]
    assert (events(street)[0].from_state, events(street)[0].to_state, events(street)[0].result_ids) == (
        "accepted", "pending", person)

    at.segmented_control(key="tab").set_value("rejected").run()
    assert buttons(at, "bulk_") == {"bulk_accepted": ("Accept 11 shown", False),
                                    "bulk_pending": ("Move to pending 11 shown", False)}
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
        "bulk_accepted": ("Accept 3 picked", False), "bulk_rejected": ("Reject 3 picked", False),
        "clear_picks": ("Clear picks", False)}
    assert popovers(at) == {"Reject 3 picked": False}

    click(at, "bulk_accepted")
    assert toasts(at) == ["Accepted 3 results"]
    assert events(street)[0].result_ids == sorted(chosen)
    assert tab_labels(at) == ["Pending Review 24", "Accepted 3", "Rejected 0"]
    # The picks are done with: the buttons act on the whole slice again.
    assert buttons(at, "bulk_", "clear_picks") == {"bulk_accepted": ("Accept 21 shown", False),
                                                   "bulk_rejected": ("Reject 21 shown", False)}

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
    assert toasts(at) == ["Accepted 19 results · 5 had been changed by someone else in the meantime and were left "
                          "as they are"]
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
    assert toasts(at) == ["Accepted 0 results · 1 had been changed by someone else in the meantime and were left "
                          "as they are"]
    assert tab_labels(at) == ["Pending Review 26", "Accepted 0", "Rejected 1"]
    assert len(events(street)) == 1  # BO's; nothing moved, nothing recorded for ANA


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
        ANA, accepted.id, "accepted", "pending", expected)
    # BO's rejection is BO's: ANA's undo does not touch it, and there is nothing more of ANA's to undo.
    assert ids_where(frame_of(street), pl.col("review_state") == "rejected") == others == bo_action.result_ids
    click(at, "undo")
    assert toasts(at) == ["Nothing of yours to undo on this job"]
    assert len(events(street)) == 3


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
    assert buttons(at, "viewer_accepted", "viewer_rejected", "viewer_pending", "viewer_previous",
                   "viewer_next") == {
        "viewer_accepted": ("Accept", False), "viewer_rejected": ("Reject", False),
        "viewer_previous": ("Previous result", True), "viewer_next": ("Next result", False)}
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
        ANA, "pending", "accepted", [order[1]])
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
        "viewer_rejected": ("Reject", False), "viewer_pending": ("Move to pending", False)}
    history = [c for c in captions(at) if c.endswith("ana: Pending Review → Accepted")]
    assert len(history) == 1 and history[0].startswith(f"{event.created_at:%d %b %H:%M} · ")

    # Closing the viewer (Esc) reruns the page: the counts follow what was decided in it.
    at.run()
    assert tab_labels(at) == ["Pending Review 25", "Accepted 1", "Rejected 1"]


def test_the_viewer_from_another_tab_and_a_result_outside_the_view(store):
    street = store["street-scenes"]
    review.accept(engine=store_engine(), job_id=street, result_ids=ids_where(frame_of(street), IN_PERSON_BICYCLE)[:2],
                  from_state="pending", actor=as_reviewer(BO))
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
    review.accept(engine=store_engine(), job_id=street, result_ids=[target], from_state="pending",
                  actor=as_reviewer(BO))

    click_in_dialog(at, "viewer_rejected", monkeypatch)  # the reviewer saw it pending
    assert toasts(at) == ["Rejected 0 results · 1 had been changed by someone else in the meantime and were left "
                          "as they are"]
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


# ---- spot check ------------------------------------------------------------------------------------------------


def spot_tiles(at: AppTest) -> list[int]:
    return sorted(int(k.removeprefix("spot_accepted_")) for k in buttons(at, "spot_accepted_"))


def test_spot_check_estimates_the_error_rate_and_decides_the_rest(store):
    street = store["street-scenes"]
    in_slice = ids_where(frame_of(street), IN_PERSON_BICYCLE)
    at = sign_in(open_visualize(street, **PERSON_BICYCLE))
    assert list(at.segmented_control(key="workspace").options) == ["Images", "Charts", "Spot check"]
    at.segmented_control(key="workspace").set_value("spot_check").run()
    assert at.query_params["view"] == "spot_check"
    assert at.button(key="spot_draw").label == "Draw 20 of 24"

    at.number_input(key="spot_n").set_value(6)
    at.number_input(key="spot_seed").set_value(7)
    click(at, "spot_draw")
    sample = spot_tiles(at)
    assert keyed_ids(at, "spot_tile_") == sample
    assert sample == draw_sample(pl.Series(in_slice), n=6, seed=7)
    assert len(sample) == 6 and set(sample) <= set(in_slice)
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Estimated error rate"], metrics["Sample reviewed"]) == ("–", "0 of 6")
    assert buttons(at, "spot_accept_rest", "spot_reject_rest") == {
        "spot_accept_rest": ("Accept the rest (18)", False), "spot_reject_rest": ("Reject the rest (18)", False)}

    # Reproducible: the same seed draws the same sample; another seed another one.
    click(at, "spot_end")
    at.number_input(key="spot_n").set_value(6)
    at.number_input(key="spot_seed").set_value(7)
    click(at, "spot_draw")
    assert spot_tiles(at) == sample
    click(at, "spot_end")
    at.number_input(key="spot_n").set_value(6)
    at.number_input(key="spot_seed").set_value(8)
    click(at, "spot_draw")
    assert spot_tiles(at) == draw_sample(pl.Series(in_slice), n=6, seed=8) != sample
    click(at, "spot_end")
    at.number_input(key="spot_n").set_value(6)
    at.number_input(key="spot_seed").set_value(7)
    click(at, "spot_draw")

    click(at, f"spot_rejected_{sample[0]}")
    click(at, f"spot_accepted_{sample[1]}")
    click(at, f"spot_accepted_{sample[2]}")
    click(at, f"spot_rejected_{sample[3]}")
    estimate = error_rate(rejected=2, reviewed=4)
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Estimated error rate"], metrics["Sample reviewed"]) == (f"{estimate.rate:.1%}", "4 of 6")
    assert metrics["Estimated error rate"] == "50.0%"
    interval = f"95% interval {estimate.low:.1%} – {estimate.high:.1%} · 2 of 4 rejected"
    assert interval in captions(at) and interval.startswith("95% interval 15.0% – 85.0%")
    assert at.button(key=f"spot_accepted_{sample[1]}").disabled  # decided already
    # A sample tile changes its mind: the estimate follows.
    click(at, f"spot_accepted_{sample[3]}")
    estimate = error_rate(rejected=1, reviewed=4)
    assert {m.label: m.value for m in at.metric}["Estimated error rate"] == f"{estimate.rate:.1%}" == "25.0%"
    assert f"95% interval {estimate.low:.1%} – {estimate.high:.1%} · 1 of 4 rejected" in captions(at)

    rest = [i for i in in_slice if i not in sample]
    assert at.button(key="spot_accept_rest").label == f"Accept the rest ({len(rest)})" == "Accept the rest (18)"
    click(at, "spot_accept_rest")
    assert toasts(at) == ["Accepted 18 results"]
    rest_event, *sample_events = events(street)
    assert (rest_event.from_state, rest_event.to_state, rest_event.result_ids) == ("pending", "accepted", rest)
    assert rest_event.selection == PERSON_BICYCLE_SELECTION | {"spot_check_rest_of_sample_seed": 7}
    assert [e.result_ids for e in sample_events] == [[sample[3]], [sample[3]], [sample[2]], [sample[1]],
                                                     [sample[0]]]
    assert all(e.selection == PERSON_BICYCLE_SELECTION | {"spot_check_sample": True} for e in sample_events)
    # The two undecided sample results are what is left of the slice.
    assert showing(at) == "Class Changed = False · Person, Bicycle · 2 results"
    at.segmented_control(key="workspace").set_value("images").run()
    assert sorted(tile_ids(at)) == sample[4:]
    assert tab_labels(at) == ["Pending Review 5", "Accepted 21", "Rejected 1"]


def test_spot_check_does_not_decide_the_rest_of_another_slice(store):
    street = store["street-scenes"]
    at = sign_in(open_visualize(street, **PERSON_BICYCLE, view="spot_check"))
    at.number_input(key="spot_n").set_value(4)
    click(at, "spot_draw")
    assert at.button(key="spot_accept_rest").label == "Accept the rest (20)"
    apply(at, f_classes=["dog"])  # another filter: the sample says nothing about it
    assert showing(at) == "Dog · 8 results"
    assert buttons(at, "spot_accept_rest", "spot_reject_rest") == {
        "spot_accept_rest": ("Accept the rest (0)", True), "spot_reject_rest": ("Reject the rest (0)", True)}
    assert any(w.value.startswith("The filters or the slice changed since this sample was drawn") for w in at.warning)
    click(at, "spot_end")
    assert at.button(key="spot_draw").label == "Draw 8 of 8"  # a new spot check of this slice
    assert events(street) == []


# ---- Save as ResultSet -----------------------------------------------------------------------------------------


def test_save_the_accepted_results_as_a_resultset(store):
    street = store["street-scenes"]
    at = sign_in(open_visualize(street, tab="accepted"))
    assert popovers(at) == {"Reject 0 shown": True,
                            "Save all 0 accepted results of the job as a ResultSet": True}  # nothing accepted yet
    accepted = ids_where(frame_of(street), IN_PERSON_BICYCLE)
    review.accept(engine=store_engine(), job_id=street, result_ids=accepted, from_state="pending",
                  actor=as_reviewer(BO))
    at.run()
    assert popovers(at)["Save all 24 accepted results of the job as a ResultSet"] is False

    widget_by_label(at.text_input, "Name").input("people and bikes")
    widget_by_label(at.text_area, "Note (optional)").input("first pass")
    form_button(at, "Save").click().run()
    assert not at.exception, at.exception
    [saved] = resultsets.list_resultsets(engine=store_engine(), job_id=street)
    assert (saved.name, saved.note, saved.item_count, saved.created_by) == ("people and bikes", "first pass", 24, ANA)
    assert resultsets.resultset_frame(engine=store_engine(), resultset_id=saved.id)["result_id"].to_list() == accepted
    assert [s.value for s in at.success] == ["Saved ResultSet 'people and bikes': 24 accepted results."]
    link = at.page_link[-1].proto
    assert (link.label, link.page, link.query_string) == (
        "Open ResultSets", "resultsets", f"job={street}&resultset={saved.id}")

    widget_by_label(at.text_input, "Name").input("people and bikes")
    form_button(at, "Save").click().run()
    assert [plain(e.value) for e in at.error] == [
        f"ResultSet name 'people and bikes': job {street} already has a ResultSet of that name (id {saved.id})"]
    assert len(resultsets.list_resultsets(engine=store_engine(), job_id=street)) == 1


# ---- the ResultSets page ---------------------------------------------------------------------------------------


def two_resultsets(street: int) -> tuple:
    engine = store_engine()
    frame = frame_of(street)
    review.accept(engine=engine, job_id=street, result_ids=ids_where(frame, pl.col("class_row") == "car"),
                  from_state="pending", actor=as_reviewer(BO))
    cars = resultsets.create_resultset(engine=engine, job_id=street, name="cars", actor=as_admin(BO))
    review.accept(engine=engine, job_id=street, result_ids=ids_where(frame, pl.col("class_row") == "dog"),
                  from_state="pending", actor=as_reviewer(BO))
    cars_and_dogs = resultsets.create_resultset(engine=engine, job_id=street, name="cars and dogs", note="v2",
                                                actor=as_admin(BO))
    return cars, cars_and_dogs


def test_the_resultsets_page_lists_renames_and_deletes(store, monkeypatch):
    street = store["street-scenes"]
    cars, cars_and_dogs = two_resultsets(street)
    at = open_page("resultsets", street)
    listed = at.dataframe[0].value
    assert listed[["ResultSet", "results", "saved by", "note"]].values.tolist() == [
        ["cars and dogs", 15, BO, "v2"], ["cars", 7, BO, ""]]
    assert [s.value for s in at.subheader] == ["cars and dogs"]  # the newest is open
    assert at.query_params["resultset"] == str(cars_and_dogs.id)
    assert (f"15 accepted results · 0 complete images, 7 partial when saved · saved by {BO} on "
            f"{cars_and_dogs.created_at:%d %b %Y %H:%M} · v2") in captions(at)
    items = resultsets.resultset_frame(engine=store_engine(), resultset_id=cars_and_dogs.id)["result_id"]
    assert keyed_ids(at, "rs_tile_") == sorted(items.to_list()) and items.len() == 15

    # A link opens another one.
    at = open_page("resultsets", street, resultset=str(cars.id))
    assert [s.value for s in at.subheader] == ["cars"]
    at = open_page("resultsets", street)

    at.text_input(key=f"rename_{cars_and_dogs.id}").input("  pets and cars ")
    click(at, f"rename_save_{cars_and_dogs.id}")
    assert at.dataframe[0].value["ResultSet"].tolist() == ["pets and cars", "cars"]
    assert [s.value for s in at.subheader] == ["pets and cars"]
    at.text_input(key=f"rename_{cars_and_dogs.id}").input("cars")
    click(at, f"rename_save_{cars_and_dogs.id}")
    assert [plain(e.value) for e in at.error] == [
        f"ResultSet name 'cars': job {street} already has a ResultSet of that name (id {cars.id})"]

    click(at, f"delete_{cars_and_dogs.id}")
    [dialog] = at.get("dialog")
    assert dialog.proto.dialog.title == "Delete ResultSet"
    assert any("Delete **pets and cars** (15 results)?" in m.value for m in at.markdown)
    assert len(resultsets.list_resultsets(engine=store_engine(), job_id=street)) == 2  # asked, not done
    click_in_dialog(at, "confirm_delete", monkeypatch)
    assert [r.name for r in resultsets.list_resultsets(engine=store_engine(), job_id=street)] == ["cars"]
    assert at.dataframe[0].value["ResultSet"].tolist() == ["cars"]
    assert [s.value for s in at.subheader] == ["cars"] and at.query_params["resultset"] == str(cars.id)
    assert at.get("dialog") == []


def test_a_job_without_resultsets_points_to_the_visualize_page(store):
    at = open_page("resultsets", store["street-scenes"])
    assert [i.value for i in at.info] == [
        "No ResultSets yet: accept results on the Visualize page, then use Save as ResultSet on its Accepted tab."]


def test_downloads_in_every_format_and_only_the_box_formats_for_detection(store):
    street, fruit = store["street-scenes"], store["fruit-stand"]
    two_resultsets(street)
    at = open_page("resultsets", street)
    assert [(d.key, d.label, d.disabled) for d in at.download_button] == [
        ("download_coco", "COCO JSON", False), ("download_yolo", "YOLO (zip)", False),
        ("download_voc", "Pascal VOC (zip)", False), ("download_csv", "CSV", False)]

    review.accept(engine=store_engine(), job_id=fruit, result_ids=frame_of(fruit)["result_id"].to_list(),
                  from_state="pending", actor=as_reviewer(BO))
    resultsets.create_resultset(engine=store_engine(), job_id=fruit, name="fruit", actor=as_admin(BO))
    at = open_page("resultsets", fruit)
    assert [(d.key, d.label) for d in at.download_button] == [("download_coco", "COCO JSON"),
                                                              ("download_csv", "CSV")]
    assert buttons(at, "download_") == {"download_yolo_disabled": ("YOLO (zip)", True),
                                        "download_voc_disabled": ("Pascal VOC (zip)", True)}


def test_a_download_drawn_before_a_demotion_or_removal_is_refused_when_clicked(store):
    """The download is built when clicked, maybe long after the page run that drew its button: the role is read
    again then (a fragment or dialog rerun re-reads it the same way, through still_signed_in)."""
    _, cars_and_dogs = two_resultsets(store["street-scenes"])
    at = open_page("resultsets", store["street-scenes"], user="lee")
    assert at.download_button  # drawn for lee, a reviewer
    drawn_for = Actor(name="lee", role=Role.REVIEWER)
    assert download_data(resultset_id=cars_and_dogs.id, format="csv", user=drawn_for,
                         include_partial=True).count(b"\n") == 16
    users.set_role(engine=store_engine(), name="lee", role="viewer", actor=operator())
    with pytest.raises(Forbidden, match="viewer"):
        download_data(resultset_id=cars_and_dogs.id, format="csv", user=drawn_for)
    users.remove_user(engine=store_engine(), name="lee", actor=operator())
    with pytest.raises(Forbidden, match="lee no longer has a LabelDeck role"):
        download_data(resultset_id=cars_and_dogs.id, format="csv", user=drawn_for)


def test_export_to_a_datalog_table_then_the_catalog_lists_it(store):
    street = store["street-scenes"]
    _, cars_and_dogs = two_resultsets(street)
    at = sign_in(open_page("resultsets", street))
    at.checkbox(key=f"include_partial_{cars_and_dogs.id}").check().run()  # its images are all partial
    widget_by_label(at.text_input, "Table name").input("Cars And Dogs")
    form_button(at, "Export").click().run()
    assert [plain(e.value) for e in at.error] == [
        "datalog table name 'Cars And Dogs': use 1 to 63 characters, lower-case letters, digits and _, starting with a "
        "letter"]
    widget_by_label(at.text_input, "Table name").input("result")  # a LabelDeck table
    form_button(at, "Export").click().run()
    assert len(at.error) == 1 and "result" in at.error[0].value
    assert list_datalog_tables(engine=store_engine(), job_id=street) == []

    widget_by_label(at.text_input, "Table name").input("cars_and_dogs")
    form_button(at, "Export").click().run()
    assert [s.value for s in at.success] == [
        "Exported 15 rows to the datalog table cars_and_dogs; the Catalog lists it."]
    [table] = list_datalog_tables(engine=store_engine(), job_id=street)
    assert (table.name, table.row_count, table.resultset_name, table.created_by) == (
        "cars_and_dogs", 15, "cars and dogs", ANA)

    at = open_page("catalog", street)
    frames = {tuple(d.value.columns)[:2]: d.value for d in at.dataframe}
    assert frames[("table", "rows")].values.tolist() == [["cars_and_dogs", 15, 0, "cars and dogs"]]
    assert at.selectbox(key="catalog_table").value == "cars_and_dogs"
    preview = frames[("result_id", "file_path")]
    expected = resultsets.resultset_frame(engine=store_engine(), resultset_id=cars_and_dogs.id)
    assert sorted(preview["result_id"].tolist()) == sorted(expected["result_id"].to_list())
    assert set(preview["class_name"]) == {"car", "dog"} and set(preview["reviewer"]) == {BO}
    assert frames[("ResultSet", "results")].values.tolist() == [["cars and dogs", 15, BO], ["cars", 7, BO]]


# ---- the Activity page -----------------------------------------------------------------------------------------


def test_activity_lists_the_events_newest_first_and_filters_them(store):
    street = store["street-scenes"]
    frame = frame_of(street)
    engine = store_engine()
    person = ids_where(frame, pl.col("class_row") == "person")
    review.accept(engine=engine, job_id=street, result_ids=person, from_state="pending", actor=as_reviewer(BO),
                  selection={"tab": "pending", "filter": {"classes": ["person"]}, "group_by": "expert review class",
                             "slice": []})
    # ANA rejects 8 of BO's accepted ones and 3 pending cars: their results leave two states.
    cars = ids_where(frame, pl.col("class_row") == "car")[:3]
    review.reject(engine=engine, job_id=street, result_ids=person[:8] + cars, from_state=None, actor=as_reviewer(ANA),
                  reason="wrong class")
    review.undo_last(engine=engine, job_id=street, actor=as_reviewer(ANA))  # back to accepted and to pending

    at = sign_in(open_page("activity", street))
    listed = at.dataframe[0].value
    assert listed[["reviewer", "from", "to", "results", "reason", "undoes"]].values.tolist() == [
        [ANA, "Rejected", "several", 11, "", "event 2"],
        [ANA, "several", "Rejected", 11, "wrong class", ""],
        [BO, "Pending Review", "Accepted", 16, "", ""],
    ]
    assert listed["selected by"].tolist() == [
        "", "", "tab=pending · classes=person · group_by=expert review class"]
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


# ---- the Catalog page ------------------------------------------------------------------------------------------


def catalog_table(job: int) -> AppTest:
    """The Catalog page's Table view (it opens on the images)."""
    at = open_page("catalog", job)
    at.segmented_control(key="catalog_view").set_value("Table").run()
    assert not at.exception, at.exception
    return at


def catalog_rows(at: AppTest) -> list[tuple]:
    frame = at.dataframe[0].value
    return [(r.file_path, r.classes, r.results, r.pending, r.accepted, r.rejected) for r in frame.itertuples()]


def expected_catalog(job: int, search: str = "") -> list[tuple]:
    samples, _ = catalog.catalog_samples(engine=store_engine(), job_id=job, search=search)
    return [(s["file_path"], ", ".join(s["classes"]), s["results"], s["pending"], s["accepted"], s["rejected"])
            for s in samples.iter_rows(named=True)]


def test_catalog_search_by_file_name_and_by_class(store):
    street = store["street-scenes"]
    frame = frame_of(street)
    review.accept(engine=store_engine(), job_id=street, result_ids=ids_where(frame, pl.col("class_row") == "dog"),
                  from_state="pending", actor=as_reviewer(BO))
    at = catalog_table(street)
    assert catalog_rows(at) == expected_catalog(street)
    assert len(catalog_rows(at)) == 8 and "8 images" in captions(at)
    assert sum(r[2] for r in catalog_rows(at)) == 43 and sum(r[4] for r in catalog_rows(at)) == 8

    at.text_input(key="catalog_search").input("SCENE_0003").run()
    assert catalog_rows(at) == expected_catalog(street, "scene_0003")
    assert [r[0] for r in catalog_rows(at)] == ["scene_0003.jpg"]
    assert "1 image matches “SCENE_0003”" in [plain(c) for c in captions(at)]

    at.text_input(key="catalog_search").input("dog").run()
    rows = catalog_rows(at)
    assert rows == expected_catalog(street, "dog")
    with_dogs = sorted(set(frame.filter(pl.col("expert_class") == "dog")["file_path"]))
    assert [r[0] for r in rows] == with_dogs and len(rows) == 5
    assert all("dog" in r[1].split(", ") for r in rows) and sum(r[4] for r in rows) == 8
    assert "5 images match “dog”" in [plain(c) for c in captions(at)]

    at.text_input(key="catalog_search").input("zebra").run()
    assert catalog_rows(at) == [] and "0 images match “zebra”" in [plain(c) for c in captions(at)]


def test_a_new_catalog_search_starts_on_its_first_page(tmp_path, monkeypatch, copy_demo):
    data = tmp_path / "data"
    monkeypatch.setenv("LABELDECK_DATA_DIR", str(data))
    monkeypatch.setenv("LABELDECK_DATABASE_URL", f"sqlite:///{data / 'labeldeck.db'}")
    copy_demo(f"sqlite:///{data / 'labeldeck.db'}", detection_images=55, classification_images=2)
    street = job_id("street-scenes")
    at = catalog_table(street)
    assert len(catalog_rows(at)) == 50 and "55 images" in captions(at)
    at.pagination[0].set_value(2).run()
    assert [r[0] for r in catalog_rows(at)] == [f"scene_{i:04d}.jpg" for i in range(51, 56)]
    at.text_input(key="catalog_search").input("scene_0003").run()
    assert [r[0] for r in catalog_rows(at)] == ["scene_0003.jpg"]
    assert at.pagination[0].value == 1


def test_activity_narrowed_by_reviewer_and_day_from_the_url(store):
    street = store["street-scenes"]
    frame = frame_of(street)
    engine = store_engine()
    review.accept(engine=engine, job_id=street, result_ids=ids_where(frame, pl.col("class_row") == "person"),
                  from_state="pending", actor=as_reviewer(BO))
    review.reject(engine=engine, job_id=street, result_ids=ids_where(frame, pl.col("class_row") == "car")[:3],
                  from_state="pending", actor=as_reviewer(ANA))
    today = events(street)[0].created_at.date().isoformat()
    at = open_page("activity", street, reviewer=BO, day=today)
    assert at.multiselect[0].value == [BO]
    assert list(at.dataframe[0].value["reviewer"]) == [BO]
    assert f"On {events(street)[0].created_at:%d %b %Y} (UTC) only." in captions(at)
    at = open_page("activity", street, day="2001-01-01")
    assert [i.value for i in at.info] == ["No review actions on 01 Jan 2001."]
    at = open_page("activity", street, day="not-a-day", reviewer="nobody")  # ignored, not an error
    assert at.multiselect[0].value == [] and len(at.dataframe[0].value) == 2


def test_a_viewer_sees_a_resultset_but_cannot_download_rename_delete_or_export_it(store):
    street = store["street-scenes"]
    _, cars_and_dogs = two_resultsets(street)
    at = open_page("resultsets", street, user="lee")
    users.set_role(engine=store_engine(), name="lee", role="viewer", actor=operator())
    at.run()
    assert [s.value for s in at.subheader] == ["cars and dogs"]
    assert keyed_ids(at, "rs_tile_") and not at.download_button
    assert not [b for b in at.button if b.key and b.key.startswith(("delete_", "rename_"))]
    assert not [e for e in at.expander if e.label == "Export to a datalog table"]
    assert ("Read-only: you are signed in as a viewer; downloading, renaming or exporting a ResultSet needs the "
            "reviewer role.") in [c.value.removeprefix(":material/visibility: ") for c in at.caption]
