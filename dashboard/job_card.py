"""One job card of the Labeling Jobs page."""

from __future__ import annotations

import streamlit as st

from core.auth.access import Actor, Permission
from core.domain.plural import plural
from core.domain.vocabulary import JobKind, JobStatus, ReviewState
from core.jobs.summaries import JobSummary
from dashboard.navigation import ANNOTATE_PAGE, CATALOG_PAGE, NEW_JOB_PAGE, VISUALIZE_PAGE
from dashboard.text import md

STATUS_COLORS = {
    JobStatus.READY: "green",
    JobStatus.PROCESSING: "blue",
    JobStatus.IN_PROGRESS: "orange",
    JobStatus.FAILED: "red",
}
STATUS_ICONS = {
    JobStatus.READY: ":material/check_circle:",
    JobStatus.PROCESSING: ":material/hourglass_top:",
    JobStatus.IN_PROGRESS: ":material/edit:",
    JobStatus.FAILED: ":material/error:",
}
MAX_CLASSES_SHOWN = 6


def job_card(job: JobSummary, *, user: Actor) -> None:
    with st.container(border=True, key=f"job_card_{job.id}"):
        title, tag = st.columns([3, 1], vertical_alignment="center")
        title.markdown(f"**{md(job.name)}**")
        tag.badge(job.tag, color=tag_color(job.kind))
        st.badge(
            job.status.replace("_", " "), icon=STATUS_ICONS.get(job.status), color=STATUS_COLORS.get(job.status, "gray")
        )
        if job.failure_reason:
            st.caption(f":red[{md(job.failure_reason)}]")
        st.markdown(_counts_line(job))
        st.caption(_classes_line(job))
        source = "Pre-labels" if job.is_manual else "Labels"
        st.caption(
            f"{source}: {md(job.pre_label_source)}  \nCreated by {md(job.created_by)} · {job.created_at:%d %b %Y %H:%M}"
        )
        if job.results:
            st.progress(job.reviewed_share, text=_progress_text(job))
        if job.labelling:
            done = job.labelling["labelled"] + job.labelling["skipped"]
            st.progress(
                done / job.labelling["total"] if job.labelling["total"] else 0.0,
                text=f"{done:,} of {plural(job.labelling['total'], 'image')} labelled or skipped",
            )
        if job.is_labellable and user.can(Permission.LABEL):
            if st.button("Annotate", key=f"annotate_{job.id}", icon=":material/edit:", type="primary", width="stretch"):
                st.switch_page(ANNOTATE_PAGE, query_params={"job": str(job.id)})
        if job.gives_pre_labels and user.can(Permission.MANAGE):
            if st.button(
                "Create manual label job from these pre-labels",
                key=f"from_auto_{job.id}",
                icon=":material/add_circle:",
                width="stretch",
            ):
                st.switch_page(NEW_JOB_PAGE, query_params={"from_auto": str(job.id)})
        visualize, catalog = st.columns(2)
        if visualize.button(
            "Visualize",
            key=f"visualize_{job.id}",
            type="primary",
            disabled=not job.is_reviewable,
            help=_visualize_help(job),
            width="stretch",
        ):
            st.switch_page(VISUALIZE_PAGE, query_params={"job": str(job.id)})
        if catalog.button("Catalog", key=f"catalog_{job.id}", width="stretch"):
            st.switch_page(CATALOG_PAGE, query_params={"job": str(job.id)})


def tag_color(kind: str) -> str:
    return "violet" if kind == JobKind.MANUAL else "gray"


def _counts_line(job: JobSummary) -> str:
    parts = [plural(job.images, "image")]
    if job.is_manual:
        parts.append(plural(job.results, "result"))
    parts.append(plural(len(job.classes), "class"))
    return " · ".join(parts) + f" · {job.task}"


def _classes_line(job: JobSummary) -> str:
    shown = ", ".join(md(name) for name in job.classes[:MAX_CLASSES_SHOWN])
    more = len(job.classes) - MAX_CLASSES_SHOWN
    return f"Classes: {shown}" + (f" +{more} more" if more > 0 else "")


def _progress_text(job: JobSummary) -> str:
    s = job.by_state
    return (
        f"{job.reviewed_share:.0%} reviewed · {s[ReviewState.ACCEPTED]:,} accepted · "
        f"{s[ReviewState.REJECTED]:,} rejected · {s[ReviewState.PENDING]:,} pending"
    )


def _visualize_help(job: JobSummary) -> str:
    if job.is_reviewable:
        return "Expert Review Stats, Class Changed table and the results of this job"
    if not job.is_manual:
        return "Visualize is for manual label jobs; create a manual label job from these pre-labels to review them"
    if job.status == JobStatus.IN_PROGRESS:
        return "Visualize opens once the experts have labelled the images and the job is submitted (READY)"
    return f"Visualize opens once the job is READY (it is {job.status.replace('_', ' ')})"
