"""The review bar over the grid: Accept / Reject / Move to pending for everything displayed (all pages of the
slice and filters) or for the tiles picked by hand, a reason for rejections, Send back for relabelling on the
Rejected tab, and Undo of one's last action."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import polars as pl
import streamlit as st

from core.analysis import queries
from core.auth.access import Actor, Permission
from core.domain.vocabulary import ReviewState
from core.review import decisions as review
from core.review.decisions import ReviewOutcome
from dashboard.job_data import JobData
from dashboard.rework_button import send_back_ui
from dashboard.signed_in import read_only_note
from dashboard.store import engine, store_problems_reported

# The buttons each tab offers, as the product names them: (target state, verb).
ACTIONS = {
    ReviewState.PENDING: ((ReviewState.ACCEPTED, "Accept"), (ReviewState.REJECTED, "Reject")),
    ReviewState.ACCEPTED: ((ReviewState.REJECTED, "Reject"), (ReviewState.PENDING, "Move to pending")),
    ReviewState.REJECTED: ((ReviewState.ACCEPTED, "Accept"), (ReviewState.PENDING, "Move to pending")),
}
ICONS = {
    ReviewState.ACCEPTED: ":material/check:",
    ReviewState.REJECTED: ":material/close:",
    ReviewState.PENDING: ":material/undo:",
}
QUICK_REASONS = ("wrong class", "box too loose", "box too tight", "missed object", "not an object")
PICKS = "picks"  # session state: the set of picked tiles' result ids


def picked_ids(key: str = "") -> set[int]:
    """The result ids of the tiles picked in the grid whose widgets' keys start with `key` (on any page)."""
    return set(st.session_state.get(f"{key}{PICKS}", ()))


def toggle_pick(key: str, result_id: int | None) -> None:
    if result_id is None:
        return
    st.session_state[f"{key}{PICKS}"] = picked_ids(key) ^ {int(result_id)}


def clear_picks(key: str = "") -> None:
    st.session_state.pop(f"{key}{PICKS}", None)


def as_seen(key: str, view: Any, value: Any) -> Any:
    """What the page showed for this same view on its last run, else `value`; keeps `value` for the next run.

    A click reruns the page, which reloads the review states before the button reports it; acting on the reloaded
    results would silently act on what the reviewer never saw (a picked tile decided elsewhere meanwhile even turned
    "Accept 1 picked" into "accept everything shown"). Acting on what was shown, the service's conditional update
    leaves what changed elsewhere as it is and says how many."""
    seen = st.session_state.get(key)
    st.session_state[key] = (view, value)
    return seen[1] if seen is not None and seen[0] == view else value


def act(
    *,
    data: JobData,
    ids: Sequence[int],
    from_state: str | None,
    to_state: str,
    user: Actor,
    reason: str | None = None,
    selection: dict | None = None,
) -> ReviewOutcome:
    """One review action through the service, reported to the reviewer; the page reruns to show it. A busy or
    unreachable store stops the page with a Retry button, the picks kept."""
    with store_problems_reported():
        outcome = review.move(
            engine=engine(),
            job_id=data.job.id,
            result_ids=ids,
            from_state=from_state,
            to_state=to_state,
            actor=user,
            reason=reason,
            selection=selection or {},
        )
    st.session_state["last_outcome"] = describe(outcome, to_state)
    return outcome


def describe(outcome: ReviewOutcome, to_state: str) -> str:
    verb = {
        ReviewState.ACCEPTED: "Accepted",
        ReviewState.REJECTED: "Rejected",
        ReviewState.PENDING: "Moved to pending",
    }[to_state]
    text = f"{verb} {outcome.moved:,} result{'s' if outcome.moved != 1 else ''}"
    if outcome.changed_elsewhere:
        text += (
            f" · {outcome.changed_elsewhere:,} had been changed by someone else in the meantime and were left "
            "as they are"
        )
    return text


def show_last_outcome() -> None:
    message = st.session_state.pop("last_outcome", None)
    if message:
        st.toast(message, icon=":material/task_alt:")


def review_bar_ui(
    *, data: JobData, state: str, shown: pl.DataFrame, per_image: bool, user: Actor, selection: dict, key: str = ""
) -> None:
    """shown: every result displayed for the tab, filters and slice (all pages). key: prefixes the widgets' keys
    (and the picks read) when a second bar is on the page (the side panel)."""
    if not user.can(Permission.REVIEW):
        read_only_note(user, Permission.REVIEW, what="accepting and rejecting")
        return
    picked = _picked_results(data.results, shown, state=state, per_image=per_image, key=key)
    # A Series, not a list: a million ids stay in polars on every rerun, and go to the service as they are.
    ids = pl.Series("result_id", sorted(picked), dtype=pl.Int64) if picked else shown["result_id"]
    scope = f"{ids.len():,} picked" if picked else f"{ids.len():,} shown"
    disabled = ids.is_empty()
    view = (data.job.id, state, json.dumps(selection, sort_keys=True), per_image, tuple(sorted(picked_ids(key))))
    seen_ids = as_seen(f"{key}review_bar_seen", view, ids)
    with st.container(horizontal=True, vertical_alignment="center", key=f"{key}review_bar"):
        for to_state, verb in ACTIONS[state]:
            if to_state == ReviewState.REJECTED:
                _reject_popover(
                    data=data,
                    ids=seen_ids,
                    state=state,
                    scope=scope,
                    user=user,
                    selection=selection,
                    disabled=disabled,
                    key=key,
                )
            elif st.button(
                f"{verb} {scope}",
                key=f"{key}bulk_{to_state}",
                icon=ICONS[to_state],
                disabled=disabled,
                type="primary" if to_state == ReviewState.ACCEPTED else "secondary",
            ):
                act(data=data, ids=seen_ids, from_state=state, to_state=to_state, user=user, selection=selection)
                clear_picks(key)
                st.rerun()
        if state == ReviewState.REJECTED and send_back_ui(
            data=data, ids=seen_ids, scope=scope, user=user, disabled=disabled, key=key
        ):
            clear_picks(key)
            st.rerun()
        if picked and st.button("Clear picks", key=f"{key}clear_picks", type="tertiary"):
            clear_picks(key)
            st.rerun()
        if st.button("Undo my last action", key=f"{key}undo", icon=":material/history:", type="tertiary"):
            outcome = review.undo_last(engine=engine(), job_id=data.job.id, actor=user)
            st.session_state["last_outcome"] = (
                f"Undone: {outcome.moved:,} result(s) back"
                + (
                    f" · {outcome.changed_elsewhere:,} changed since by someone else, left as they are"
                    if outcome.changed_elsewhere
                    else ""
                )
                if outcome
                else "Nothing of yours to undo on this job"
            )
            st.rerun()


def _picked_results(results: pl.DataFrame, shown: pl.DataFrame, *, state: str, per_image: bool, key: str) -> set[int]:
    """The displayed results the reviewer picked. Grouped by image, a tile is its image, drawn with all its boxes:
    it stands for all the image's results in the tab, those the filters or the slice hide too, so that accepting
    an image completes it (a complete image is what a model can train on)."""
    tiles = picked_ids(key)
    if not tiles:
        return set()
    on_show = shown.filter(pl.col("result_id").is_in(list(tiles)))
    if not per_image:
        return set(on_show["result_id"].to_list())
    of_images = results["sample_id"].is_in(on_show["sample_id"].implode()) & (results["review_state"] == state)
    return set(queries.few_rows(results, of_images)["result_id"].to_list())


def _reject_popover(
    *, data: JobData, ids: Sequence[int], state: str, scope: str, user: Actor, selection: dict, disabled: bool, key: str
) -> None:
    popover = f"{key}reject_popover"
    if st.session_state.pop(f"{popover}_close", False):
        # Closed after a rejection: left open, its button would read "Reject N shown" once the picks are cleared,
        # one click from rejecting everything shown. A widget's state is set before the widget, in the next run.
        st.session_state[popover] = False
    with st.popover(
        f"Reject {scope}", icon=ICONS[ReviewState.REJECTED], disabled=disabled, key=popover, on_change="rerun"
    ):
        quick = st.pills("Reason", QUICK_REASONS, selection_mode="multi", key=f"{key}reject_quick")
        text = st.text_input("Other reason (optional)", key=f"{key}reject_text")
        if st.button(f"Reject {scope}", key=f"{key}bulk_rejected", type="primary", disabled=disabled):
            reason = "; ".join([*quick, *([text.strip()] if text.strip() else [])]) or None
            act(
                data=data,
                ids=ids,
                from_state=state,
                to_state=ReviewState.REJECTED,
                user=user,
                reason=reason,
                selection=selection,
            )
            clear_picks(key)
            for name in (f"{key}reject_quick", f"{key}reject_text"):
                st.session_state.pop(name, None)
            st.session_state[f"{popover}_close"] = True
            st.rerun()
