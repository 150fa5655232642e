"""The viewer: one result at a time in a large dialog that is always in view, whatever tile opened it. The image
zooms and pans in the browser; beside it the decision, the result's metrics and its review history.

Keyboard: ←/→ previous/next result of the current slice, A accept, X reject (1–5 pick quick reasons first),
P move to pending, Z zoom to the box (again: the whole image), Esc close. A decision applies to the result on
screen and moves on to the next one. The dialog reruns alone (it is a fragment): the page behind it catches up
when it closes.
"""

from __future__ import annotations

import polars as pl
import streamlit as st
from streamlit.errors import StreamlitAPIException

from core.analysis import queries
from core.analysis.results_frame import result_state
from core.auth.access import Actor, Permission
from core.domain.vocabulary import RESULT_STATE_LABELS, ReviewState
from core.images.thumbnails import ImageUnavailable
from core.images.viewer_image import viewer_image
from core.jobs.summaries import image_root
from core.review.history import move_of, result_history
from dashboard.job_data import JobData
from dashboard.review_bar import ACTIONS, ICONS, QUICK_REASONS, act, as_seen, show_last_outcome
from dashboard.signed_in import still_signed_in
from dashboard.store import engine
from dashboard.text import md
from dashboard.url_state import open_result
from dashboard.viewer_figure import Layers, viewer_figure

VIEWER_WIDTH = 1400  # px; a narrower window shrinks it to fit
FIGURE_HEIGHT = 580
LAYERS = {"expert": "Expert boxes", "pre": "Pre-label boxes", "others": "Other results"}
VERBS = {ReviewState.ACCEPTED: "Accept", ReviewState.REJECTED: "Reject", ReviewState.PENDING: "Move to pending"}
KEYS = {ReviewState.ACCEPTED: "A", ReviewState.REJECTED: "X", ReviewState.PENDING: "P"}


def _closed() -> None:
    open_result(None)
    st.session_state.pop("viewer_reasons", None)
    # Closing reruns what opened the dialog: the page, or only the grid's fragment when a tile opened it. The grid
    # then reruns the page if a decision was made in the viewer (page_caught_up), so the counts follow.
    st.session_state["viewer_closed"] = True


def page_caught_up() -> None:
    """Call in a full run of the page: whatever the viewer decided is on the page now."""
    st.session_state.pop("viewer_closed", None)
    st.session_state.pop("viewer_decided", None)


def rerun_page_if_viewer_decided() -> None:
    """Call first in the fragment that opens the viewer."""
    if st.session_state.pop("viewer_closed", False) and st.session_state.pop("viewer_decided", False):
        st.rerun()


@st.dialog("Viewer", width=VIEWER_WIDTH, on_dismiss=_closed, icon=":material/image_search:")
def viewer_dialog(data: JobData, order: pl.Series, *, user: Actor, selection: dict) -> None:
    """order: the shown results' ids in the grid's order. The result on screen is the URL's ?result=, read on
    every run of the dialog (its arguments are those of the run that opened it)."""
    user = still_signed_in(user)
    show_last_outcome()
    result_id = _current_result()
    found = queries.result_row(data.results, result_id) if result_id is not None else data.results.clear()
    if found.is_empty():
        st.warning(f"Result {result_id} is not part of {md(data.job.name)}.", icon=":material/search_off:")
        return
    row = found.row(0, named=True)
    state = result_state(engine(), job_id=data.job.id, result_id=result_id) or row["review_state"]
    position = _position(order, result_id)
    image_column, side = st.columns([4, 1.25], gap="medium")
    with image_column:
        _canvas(data, row)
    with side:
        st.markdown(f"**{md(row['file_path'])}**  \nresult {result_id}")
        st.caption(
            f"{position + 1:,} of {order.len():,} shown · {RESULT_STATE_LABELS[state]}"
            if position >= 0
            else f"Not among the results shown · {RESULT_STATE_LABELS[state]}"
        )
        if user.can(Permission.REVIEW) and state in ACTIONS:  # a reworked result is replaced: nothing to decide
            _decide(data, result_id, state, order=order, position=position, user=user, selection=selection)
        _steps(order, position)
        _metrics(data, row)
        _history(data, result_id)


def _rerun_viewer() -> None:
    """Rerun the dialog alone: a click in it is a fragment rerun, in which the page behind it stays as it is. The
    run that opened it (a link with ?result=, or a test's full run) reruns the page."""
    try:
        st.rerun(scope="fragment")
    except StreamlitAPIException:
        st.rerun()


def _current_result() -> int | None:
    raw = st.query_params.get("result")
    return int(raw) if raw is not None and raw.isdigit() else None


def _position(order: pl.Series, result_id: int) -> int:
    found = order.index_of(result_id)
    return -1 if found is None else int(found)


def _canvas(data: JobData, row: dict) -> None:
    focus = row["result_id"] if data.is_detection else None
    with st.container(horizontal=True, vertical_alignment="center", key="viewer_layers", gap="small"):
        shown = st.pills(
            "Show",
            list(LAYERS),
            default=list(LAYERS),
            selection_mode="multi",
            key="viewer_layers_on",
            format_func=LAYERS.get,
            label_visibility="collapsed",
        )
        opacity = st.slider(
            "Box opacity",
            0.2,
            1.0,
            0.9,
            0.1,
            key="viewer_opacity",
            width=170,
            label_visibility="collapsed",
            format="opacity %.1f",
        )
        st.space("stretch")
        zoomed = st.session_state.get("viewer_zoom", False)
        if data.is_detection:
            st.button(
                "Whole image" if zoomed else "Zoom to this box",
                key="viewer_zoom_box",
                shortcut="Z",
                icon=":material/zoom_out_map:" if zoomed else ":material/zoom_in:",
                type="tertiary",
                on_click=lambda: st.session_state.update(viewer_zoom=not zoomed),
            )
    try:
        image = viewer_image(
            root=image_root(data.job), file_path=row["file_path"], job_id=data.job.id, sample_id=row["sample_id"]
        )
    except ImageUnavailable as exc:
        st.warning(f"Image unavailable: {md(exc)}", icon=":material/broken_image:")
        return
    boxes = queries.few_rows(data.results, data.results["sample_id"] == row["sample_id"])
    layers = Layers(expert="expert" in shown, pre="pre" in shown, others="others" in shown, opacity=opacity)
    figure = viewer_figure(
        image,
        boxes,
        data.overlay,
        focus=focus,
        layers=layers,
        zoom_to_box=zoomed and data.is_detection,
        height=FIGURE_HEIGHT,
    )
    st.plotly_chart(
        figure,
        key="viewer_canvas",
        width="stretch",
        config={
            "scrollZoom": True,
            "displaylogo": False,
            "doubleClick": "reset",
            "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d", "toImage"],
        },
    )
    st.caption(
        "Wheel to zoom, drag to pan, double-click for the whole image. "
        "Solid: expert label · dashed: pre-label · red dashed ✕: removed by the expert."
    )


def _decide(
    data: JobData, result_id: int, state: str, *, order: pl.Series, position: int, user: Actor, selection: dict
) -> None:
    seen_state = as_seen("viewer_seen", (data.job.id, result_id), state)  # what the reviewer had on screen
    after = order[position + 1] if 0 <= position < order.len() - 1 else None
    reasons: list[str] = st.session_state.setdefault("viewer_reasons", [])
    for to_state, _ in ACTIONS[state]:
        label = VERBS[to_state] + (
            f" ({len(reasons)} reason{'s' if len(reasons) != 1 else ''})"
            if to_state == ReviewState.REJECTED and reasons
            else ""
        )
        if st.button(
            label,
            key=f"viewer_{to_state}",
            icon=ICONS[to_state],
            shortcut=KEYS[to_state],
            type="primary" if to_state == ReviewState.ACCEPTED else "secondary",
            width="stretch",
        ):
            act(
                data=data,
                ids=[result_id],
                from_state=seen_state,
                to_state=to_state,
                user=user,
                reason="; ".join(reasons) if to_state == ReviewState.REJECTED and reasons else None,
                selection={**selection, "result": result_id},
            )
            st.session_state["viewer_reasons"] = []
            st.session_state["viewer_decided"] = True
            if after is not None:
                open_result(int(after))  # the decided result is done: on to the next one
            _rerun_viewer()
    if state != ReviewState.REJECTED:
        st.caption("Reject reasons (keys 1–5)")
        with st.container(horizontal=True, gap="xxsmall", key="viewer_reasons_keys"):
            for number, reason in enumerate(QUICK_REASONS, start=1):
                picked = reason in reasons
                if st.button(
                    f"{number} {reason}",
                    key=f"viewer_reason_{number}",
                    shortcut=str(number),
                    type="primary" if picked else "tertiary",
                ):
                    st.session_state["viewer_reasons"] = (
                        [r for r in reasons if r != reason] if picked else [*reasons, reason]
                    )
                    _rerun_viewer()


def _steps(order: pl.Series, position: int) -> None:
    before = order[position - 1] if position > 0 else None
    after = order[position + 1] if 0 <= position < order.len() - 1 else None
    with st.container(horizontal=True, key="viewer_steps", gap="small"):
        for target, key, icon, shortcut, text in (
            (before, "viewer_previous", ":material/chevron_left:", "Left", "Previous result (←)"),
            (after, "viewer_next", ":material/chevron_right:", "Right", "Next result (→)"),
        ):
            if st.button(
                text.split(" (")[0],
                key=key,
                icon=icon,
                shortcut=shortcut,
                disabled=target is None,
                help=text,
                width="stretch",
            ):
                open_result(int(target))
                _rerun_viewer()


def _metrics(data: JobData, row: dict) -> None:
    def fmt(value, spec: str = ",.3g") -> str:
        return "–" if value is None else format(value, spec)

    items = {
        "Pre-label class": md(data.display(row["pre_class_row"])),
        "Expert Review Class": md(data.display(row["class_row"])),
        "Class Changed": str(row["class_changed"]),
    }
    if data.is_detection:
        items |= {
            "Change kind": row["change_kind"],
            "IoU": fmt(row["iou"], ".3f"),
            "Expert Review Area": "–"
            if row["area_px"] is None
            else f"{row['area_px']:,.0f} px² ({row['area_fraction']:.2%})",
            "Adjustment Factor": fmt(row["adjustment_factor"], ".3f"),
        }
    items["Pre-label confidence"] = fmt(row["pre_confidence"], ".2f")
    st.markdown("  \n".join(f":gray[{name}] **{value}**" for name, value in items.items()))


def _history(data: JobData, result_id: int) -> None:
    events = result_history(engine=engine(), job_id=data.job.id, result_id=result_id)
    st.caption("**Review history**")
    if not events:
        st.caption("No review actions yet: Pending Review as imported.")
        return
    for event in events[-8:]:
        before, after = move_of(event, result_id)
        reason = f" · “{md(event.reason)}”" if event.reason else ""
        undo = " (undo)" if event.undoes_event_id else ""
        st.caption(
            f"{event.created_at:%d %b %H:%M} · {md(event.reviewer)}: {RESULT_STATE_LABELS[before]} → "
            f"{RESULT_STATE_LABELS[after]}{undo}{reason}"
        )
