"""What the annotator of a rework job is told on each image: which results were sent back and why they were
rejected (core/jobs/rework.py), so the relabelling answers the reviewer's objection."""

from __future__ import annotations

import streamlit as st

from core.jobs.rework import rework_notes
from core.store.models import LabelJob
from dashboard.store import engine
from dashboard.text import md


def rework_notes_ui(*, job: LabelJob, sample_id: int) -> None:
    if job.origin_job_id is None:
        return
    notes = rework_notes(engine=engine(), job_id=job.id, sample_id=sample_id)
    if not notes:
        return
    lines = [
        f"- **{md(n.class_name)}**"
        + (f" at [{', '.join(f'{v:g}' for v in n.box)}]" if n.box else "")
        + f": {md(n.reason) if n.reason else 'rejected without a reason'}"
        for n in notes
    ]
    st.warning(
        f"Sent back for relabelling from job #{job.origin_job_id}:\n" + "\n".join(lines),
        icon=":material/assignment_return:",
    )
