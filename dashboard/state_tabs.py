"""Pending Review / Accepted / Rejected, each with its count under the current filters."""

from __future__ import annotations

import streamlit as st

from core.vocabulary import REVIEW_STATE_LABELS, REVIEW_STATES


def state_tabs_ui(counts: dict[str, int]) -> str:
    return st.segmented_control(
        "Review state", REVIEW_STATES, default="pending", required=True, key="tab", bind="query-params",
        format_func=lambda s: f"{REVIEW_STATE_LABELS[s]} {counts[s]:,}", label_visibility="collapsed",
    )
