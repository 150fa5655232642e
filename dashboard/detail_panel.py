"""The detail panel (the seed's "image icon" side panel): the full image with both label sets, a legend, the
result's metrics and its review history."""

from __future__ import annotations

import polars as pl
import streamlit as st

from core.access import Actor, Permission
from core.history import move_of, result_history
from core.jobs import image_root
from core.thumbnails import REMOVED_COLOR, ImageUnavailable, render_tile
from core.vocabulary import REVIEW_STATE_LABELS
from dashboard.class_chips import class_chips_html
from dashboard.job_data import JobData
from dashboard.review_bar import ICONS, act, as_seen
from dashboard.store import engine
from dashboard.url_state import open_result

DETAIL_SIZE = 960


def detail_panel_ui(data: JobData, result_id: int, *, order: list[int], user: Actor) -> None:
    """order: the displayed results in grid order, for Previous / Next and for moving on after a decision."""
    found = data.results.filter(pl.col("result_id") == result_id)
    with st.container(border=True, key="detail_panel"):
        title, close = st.columns([6, 1], vertical_alignment="center")
        if close.button("", key="close_detail", icon=":material/close:", type="tertiary", help="Close the panel"):
            open_result(None)
            st.rerun()
        if found.is_empty():
            title.warning(f"Result {result_id} is not part of {data.job.name}.")
            return
        row = found.row(0, named=True)
        title.markdown(f"**{row['file_path']}** · result {result_id}")
        if user.can(Permission.REVIEW):
            _review_keys(data, row, order=order, user=user)
        boxes = data.results.filter(pl.col("sample_id") == row["sample_id"])
        try:
            path = render_tile(job_id=data.job.id, revision=data.job.data_revision, root=image_root(data.job),
                               sample=row, boxes=boxes, overlay=data.overlay,
                               focus=result_id if data.is_detection else None, size=DETAIL_SIZE, crop=False)
            st.image(str(path), width="stretch")
        except ImageUnavailable as exc:
            st.warning(f"Image unavailable: {exc}", icon=":material/broken_image:")
        if data.is_detection:
            _legend(data, boxes)
        _metrics(data, row)
        _history(data, result_id)


def _review_keys(data: JobData, row: dict, *, order: list[int], user: Actor) -> None:
    """One-by-one review from the keyboard: A accept, X reject, P back to pending, arrows to move."""
    result_id, state = row["result_id"], row["review_state"]
    seen_state = as_seen("detail_seen", (data.job.id, result_id), state)  # a decision leaves the state shown
    position = order.index(result_id) if result_id in order else -1
    after = order[position + 1] if 0 <= position < len(order) - 1 else None
    before = order[position - 1] if position > 0 else None
    with st.container(horizontal=True, vertical_alignment="center", key="detail_review"):
        for to_state, verb, key in (("accepted", "Accept", "A"), ("rejected", "Reject", "X"),
                                    ("pending", "Move to pending", "P")):
            if to_state == state:
                continue
            if st.button(verb, key=f"one_{to_state}", icon=ICONS[to_state], shortcut=key,
                         type="primary" if to_state == "accepted" else "secondary"):
                act(data=data, ids=[result_id], from_state=seen_state, to_state=to_state, user=user,
                    selection={"result": result_id})
                open_result(after)  # the decided result leaves this tab: go on with the next one
                st.rerun()
        if st.button("", key="previous_result", icon=":material/chevron_left:", shortcut="Left",
                     disabled=before is None, help="Previous result (←)"):
            open_result(before)
            st.rerun()
        if st.button("", key="next_result", icon=":material/chevron_right:", shortcut="Right",
                     disabled=after is None, help="Next result (→)"):
            open_result(after)
            st.rerun()
    st.caption(f"{position + 1:,} of {len(order):,} · {REVIEW_STATE_LABELS[state]}" if position >= 0 else
               f"Not in the current view · {REVIEW_STATE_LABELS[state]}")


def _legend(data: JobData, boxes: pl.DataFrame) -> None:
    classes = sorted(set(boxes["expert_class"].drop_nulls()) | set(boxes["pre_class"].drop_nulls()))
    chips = class_chips_html([(data.display(c), data.overlay.color(c)) for c in classes])
    st.markdown(
        f"{chips}<br><small>solid: expert label · dashed: pre-label · "
        f'<span style="color:{REMOVED_COLOR}">red dashed ✕: removed by the expert</span> · "+": added by the '
        "expert · a thick box is this result</small>",
        unsafe_allow_html=True,
    )


def _metrics(data: JobData, row: dict) -> None:
    def fmt(value, spec: str = ",.3g") -> str:
        return "–" if value is None else format(value, spec)

    items = {
        "Pre-label class": data.display(row["pre_class_row"]),
        "Expert Review Class": data.display(row["class_row"]),
        "Class Changed": str(row["class_changed"]),
        "Review state": REVIEW_STATE_LABELS[row["review_state"]],
    }
    if data.is_detection:
        items |= {
            "Change kind": row["change_kind"],
            "IoU": fmt(row["iou"], ".3f"),
            "Expert Review Area": "–" if row["area_px"] is None else
            f"{row['area_px']:,.0f} px² ({row['area_fraction']:.2%} of the image)",
            "Adjustment Factor": fmt(row["adjustment_factor"], ".3f"),
        }
    items["Pre-label confidence"] = fmt(row["pre_confidence"], ".2f")
    st.dataframe(pl.DataFrame({"metric": list(items), "value": list(items.values())}), hide_index=True,
                 width="stretch")


def _history(data: JobData, result_id: int) -> None:
    events = result_history(engine=engine(), job_id=data.job.id, result_id=result_id)
    st.caption("Review history")
    if not events:
        st.caption("No review actions yet: the result is Pending Review as imported.")
        return
    for event in events:
        before, after = move_of(event, result_id)
        reason = f" · “{event.reason}”" if event.reason else ""
        undo = " (undo)" if event.undoes_event_id else ""
        st.caption(f"{event.created_at:%d %b %Y %H:%M} · {event.reviewer}: {REVIEW_STATE_LABELS[before]} → "
                   f"{REVIEW_STATE_LABELS[after]}{undo}{reason}")
