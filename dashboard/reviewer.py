"""Who is reviewing: until sign-in exists, a name chosen in the sidebar and kept for the whole session (across
pages), recorded with every review action."""

from __future__ import annotations

import streamlit as st

SESSION_KEY = "reviewer_name"


def reviewer_ui() -> str:
    def keep() -> None:
        st.session_state[SESSION_KEY] = st.session_state["reviewer_input"].strip()

    # A widget's own state is dropped on a page without it; the name lives in a plain session key instead.
    st.session_state["reviewer_input"] = st.session_state.get(SESSION_KEY, "")
    st.sidebar.text_input("Reviewer", key="reviewer_input", on_change=keep, placeholder="Your name",
                          help="Recorded with every review action (until sign-in exists)")
    return st.session_state.get(SESSION_KEY, "")
