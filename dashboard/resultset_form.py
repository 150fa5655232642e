"""Save as ResultSet, from the Accepted tab: a name and an optional note; a frozen snapshot of the accepted
results at that moment."""

from __future__ import annotations

import streamlit as st

from core.auth.access import Actor
from core.domain.errors import BadInput
from core.domain.vocabulary import ReviewState
from core.review import resultsets
from dashboard.job_data import JobData
from dashboard.navigation import RESULTSETS_PAGE
from dashboard.store import engine
from dashboard.text import md


def save_resultset_ui(*, data: JobData, user: Actor, shown: int) -> None:
    """shown: the accepted results under the filters and slice, which a ResultSet does not narrow to: it says so."""
    accepted = int((data.results["review_state"] == ReviewState.ACCEPTED.value).sum())  # a Series: the string
    with st.popover(
        f"Save all {accepted:,} accepted results of the job as a ResultSet",
        icon=":material/inventory:",
        disabled=not accepted,
        width="stretch",
    ):
        if shown != accepted:
            st.caption(
                f"The filters and the slice show {shown:,} of them; a ResultSet holds every accepted result of the job."
            )
        with st.form("save_resultset", border=False):
            name = st.text_input("Name", max_chars=100, placeholder="e.g. street-scenes accepted 2026-11")
            note = st.text_area("Note (optional)", height=80)
            saved = st.form_submit_button("Save", type="primary")
        if saved:
            try:
                created = resultsets.create_resultset(
                    engine=engine(), job_id=data.job.id, name=name, note=note.strip() or None, actor=user
                )
            except BadInput as problem:
                st.error(md(problem))
                return
            st.success(f"Saved ResultSet {md(repr(created.name))}: {created.item_count:,} accepted results.")
            st.page_link(
                RESULTSETS_PAGE,
                label="Open ResultSets",
                icon=":material/inventory:",
                query_params={"job": str(data.job.id), "resultset": str(created.id)},
            )
