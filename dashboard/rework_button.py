"""Send back for relabelling: on the Rejected tab's review bar, the rejected results shown (or picked) go to a new
rework job (core/jobs/rework.py), named in a popover."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from core.auth.access import Actor
from core.domain.errors import BadInput
from core.domain.plural import plural
from core.jobs.rework import create_rework_job
from dashboard.job_data import JobData
from dashboard.store import engine, store_problems_reported
from dashboard.text import md


def send_back_ui(*, data: JobData, ids: Sequence[int], scope: str, user: Actor, disabled: bool, key: str) -> bool:
    """The popover; True when a rework job was made (the caller clears the picks and reruns)."""
    popover = f"{key}rework_popover"
    if st.session_state.pop(f"{key}rework_sent", False):
        # Closed once its job is made: the results stay rejected until they come back, so the same popover would
        # stay open, its Send button offering to send them again. A stateful popover (on_change) can be closed.
        st.session_state[popover] = False
    with st.popover(
        f"Send back {scope} for relabelling",
        icon=":material/assignment_return:",
        disabled=disabled,
        key=popover,
        on_change="rerun",
    ):
        st.caption(
            "A new manual label job on their images: their expert labels as pre-labels, the reject reasons "
            "shown on each image. Once it is submitted, its results come back here as Pending Review."
        )
        name = st.text_input("Rework job name", value=f"{data.job.name} rework", key=f"{key}rework_name", max_chars=200)
        if not st.button(f"Send back {scope}", key=f"{key}rework_send", type="primary", disabled=disabled):
            return False
        try:
            with store_problems_reported():
                made = create_rework_job(engine=engine(), job_id=data.job.id, result_ids=ids, name=name, actor=user)
        except BadInput as refused:
            st.error(md(refused), icon=":material/block:")
            return False
    st.session_state["last_outcome"] = (
        f"Sent {made.results:,} result{'s' if made.results != 1 else ''} back for relabelling in job "
        f"#{made.job.id} {md(made.job.name)} ({plural(made.job.image_count, 'image')})"
        + (f" · {made.already_sent_back:,} were in a rework job already" if made.already_sent_back else "")
    )
    st.session_state.pop(f"{key}rework_name", None)
    st.session_state[f"{key}rework_sent"] = True
    return True
