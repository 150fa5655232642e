"""Spot check ("review sample jobs"): review a seeded random sample of the slice one by one, see the
slice's estimated error rate, then accept or reject the rest of the slice in one action."""

from __future__ import annotations

import polars as pl
import streamlit as st

from core.auth.access import Actor
from core.domain.vocabulary import ReviewState
from core.review.spot_check import draw_sample, error_rate
from dashboard.image_grid import TILE_SIZES, boxes_by_sample, caption_line_ui, tile_caption, tile_image_ui
from dashboard.job_data import JobData
from dashboard.review_bar import ICONS, act, as_seen

TILE = TILE_SIZES["small"]


def spot_check_ui(*, data: JobData, shown: pl.DataFrame, user: Actor, selection: dict) -> None:
    """shown: the Pending Review results of the current slice and filters."""
    key = f"spot_check_{data.job.id}"
    spot = st.session_state.get(key)
    if spot is None:
        _draw(key, shown, selection)
    else:
        _review_sample(
            key,
            spot,
            data=data,
            shown=shown,
            user=user,
            same_slice=_slice_of(spot["selection"]) == _slice_of(selection),
        )


def _slice_of(selection: dict) -> dict:
    """What decides which results a selection holds (the grouping alone does not)."""
    return {k: selection.get(k) for k in ("tab", "filter", "slice")}


def _draw(key: str, shown: pl.DataFrame, selection: dict) -> None:
    st.caption(
        "Review a random sample one by one to estimate how many of this slice's results are wrong, then "
        "decide the rest at once."
    )
    size, seed, draw = st.columns([1, 1, 2], vertical_alignment="bottom")
    n = size.number_input("Sample size", min_value=1, max_value=500, value=20, key="spot_n")
    seed_value = seed.number_input("Seed", min_value=0, max_value=1_000_000, value=1, key="spot_seed")
    if draw.button(f"Draw {min(n, shown.height):,} of {shown.height:,}", disabled=shown.is_empty(), key="spot_draw"):
        st.session_state[key] = {
            "ids": draw_sample(shown["result_id"], n=n, seed=seed_value),
            "seed": seed_value,
            "selection": selection,
        }
        st.rerun()


def _review_sample(key: str, spot: dict, *, data: JobData, shown: pl.DataFrame, user: Actor, same_slice: bool) -> None:
    sample = data.results.filter(pl.col("result_id").is_in(spot["ids"]))
    states = sample["review_state"].cast(pl.String)
    seen_states = as_seen("spot_seen", (key, tuple(spot["ids"])), dict(zip(sample["result_id"], states)))
    reviewed = int((states != ReviewState.PENDING.value).sum())
    rejected = int((states == ReviewState.REJECTED.value).sum())
    estimate = error_rate(rejected=rejected, reviewed=reviewed)
    summary, reviewed_column = st.columns(2)
    summary.metric(
        "Estimated error rate",
        "–" if estimate is None else f"{estimate.rate:.1%}",
        help="Rejected share of the reviewed sample, with a 95% Wilson interval",
    )
    if estimate is not None:
        summary.caption(f"95% interval {estimate.low:.1%} – {estimate.high:.1%} · {rejected} of {reviewed} rejected")
    reviewed_column.metric("Sample reviewed", f"{reviewed} of {sample.height}", help=f"seed {spot['seed']}")

    boxes = boxes_by_sample(data, sample)
    grid = st.columns(TILE.columns, gap="small")
    for i, tile in enumerate(sample.iter_rows(named=True)):
        with grid[i % TILE.columns], st.container(border=True, key=f"spot_tile_{tile['result_id']}", gap="xxsmall"):
            tile_image_ui(data, tile, boxes[tile["sample_id"]], pixels=TILE.pixels)
            caption_line_ui(tile_caption(data, tile), changed=bool(tile["class_changed"]))
            _decide_one(
                data,
                tile,
                user=user,
                selection=spot["selection"],
                seen_state=seen_states.get(tile["result_id"], tile["review_state"]),
            )

    # The rest of the slice the sample was drawn from: under other filters or another slice it would be a set the
    # estimate says nothing about (and the event would record the sample's selection for it).
    rest = shown.filter(~pl.col("result_id").is_in(spot["ids"]))["result_id"].to_list() if same_slice else []
    seen_rest = as_seen("spot_rest_seen", (key, tuple(spot["ids"])), rest)
    if not same_slice:
        st.warning(
            "The filters or the slice changed since this sample was drawn: go back to them to decide the "
            "rest of that slice, or end the spot check.",
            icon=":material/filter_alt:",
        )
    accept, reject, end = st.columns(3)
    rest_selection = {**spot["selection"], "spot_check_rest_of_sample_seed": spot["seed"]}
    if accept.button(
        f"Accept the rest ({len(rest):,})",
        key="spot_accept_rest",
        icon=ICONS[ReviewState.ACCEPTED],
        disabled=not rest,
        type="primary",
    ):
        act(
            data=data,
            ids=seen_rest,
            from_state=ReviewState.PENDING,
            to_state=ReviewState.ACCEPTED,
            user=user,
            selection=rest_selection,
        )
        st.rerun()
    if reject.button(
        f"Reject the rest ({len(rest):,})", key="spot_reject_rest", icon=ICONS[ReviewState.REJECTED], disabled=not rest
    ):
        act(
            data=data,
            ids=seen_rest,
            from_state=ReviewState.PENDING,
            to_state=ReviewState.REJECTED,
            user=user,
            reason="spot check: rest of the slice",
            selection=rest_selection,
        )
        st.rerun()
    if end.button("End spot check", key="spot_end", type="tertiary"):
        del st.session_state[key]
        st.rerun()


def _decide_one(data: JobData, tile: dict, *, user: Actor, selection: dict, seen_state: str) -> None:
    state = tile["review_state"]
    with st.container(horizontal=True, gap="xxsmall", horizontal_alignment="distribute"):
        buttons = [
            (
                to_state,
                verb,
                st.button(
                    "",
                    key=f"spot_{to_state}_{tile['result_id']}",
                    icon=ICONS[to_state],
                    disabled=state == to_state,
                    type="tertiary",
                    help=verb,
                ),
            )
            for to_state, verb in ((ReviewState.ACCEPTED, "Accept"), (ReviewState.REJECTED, "Reject"))
        ]
    for to_state, _verb, clicked in buttons:
        if clicked:
            act(
                data=data,
                ids=[tile["result_id"]],
                from_state=seen_state,
                to_state=to_state,
                user=user,
                selection={**selection, "spot_check_sample": True},
            )
            st.rerun()
