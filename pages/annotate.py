"""Annotate an IN_PROGRESS manual label job, one image at a time, with streamlit-image-annotation: boxes pre-filled
from the pre-labels (detection) or the pre-label pre-selected (classification). Complete saves the expert label
and moves to the next unlabelled image; Submit turns the job READY for review."""

import streamlit as st

from core.auth.access import Permission
from core.domain.plural import plural
from core.jobs import expert_labels
from dashboard.annotator import annotator_ui, submit_ui
from dashboard.job_context import job_from_query_params, job_header
from dashboard.navigation import VISUALIZE_PAGE
from dashboard.signed_in import require_permission, signed_in_user
from dashboard.store import engine
from dashboard.text import md

expert = signed_in_user()

job = job_from_query_params(page="Annotate", offers=lambda j: j.is_labellable)
if job is None:
    st.stop()
job_header(job, page="Annotate")
if not job.is_labellable:
    st.info(
        f"{md(job.name)} is {job.status.replace('_', ' ')}: only IN_PROGRESS manual label jobs are annotated here.",
        icon=":material/edit_off:",
    )
    if job.is_reviewable:
        st.page_link(
            VISUALIZE_PAGE,
            label="Review it on Visualize",
            icon=":material/insights:",
            query_params={"job": str(job.id)},
        )
    st.stop()

require_permission(expert, Permission.LABEL, what="Labelling images")
progress = expert_labels.labelling_progress(engine=engine(), job_id=job.id)
done = progress.labelled + progress.skipped
st.progress(
    done / progress.total if progress.total else 0.0,
    text=f"{done:,} of {plural(progress.total, 'image')} done · {progress.labelled:,} labelled · "
    f"{progress.skipped:,} skipped · {progress.unlabelled:,} to go",
)
annotator_ui(job=job, expert=expert)
submit_ui(job=job, expert=expert, unlabelled=progress.unlabelled)
