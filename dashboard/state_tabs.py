"""Pending Review / Accepted / Rejected, each with its count under the current filters. The URL's `tab` holds the
choice by its name (pending, accepted, rejected), so a link keeps working when the counts change."""

from __future__ import annotations

import streamlit as st

from core.domain.vocabulary import REVIEW_STATE_LABELS, REVIEW_STATES
from dashboard.url_state import set_tab


def state_tabs_ui(counts: dict[str, int], *, state: str) -> str:
    st.session_state["tab"] = state  # the URL is the source of truth; a click reaches it through on_change first
    return st.segmented_control(
        "Review state",
        REVIEW_STATES,
        required=True,
        key="tab",
        on_change=lambda: set_tab(st.session_state["tab"]),
        format_func=lambda s: f"{REVIEW_STATE_LABELS[s]} {counts[s]:,}",
        label_visibility="collapsed",
    )
