"""The job a page is about, from the URL's ?job=ID; a missing or unknown id is a clear message, not a traceback."""

from __future__ import annotations

import streamlit as st

from core.errors import NotFound
from core.models import LabelJob
from core.results_frame import get_job
from dashboard.job_card import STATUS_COLORS, tag_color
from dashboard.navigation import JOB_PAGES
from dashboard.store import engine

JOBS_PAGE = "pages/jobs.py"


def job_from_query_params() -> LabelJob | None:
    raw = st.query_params.get("job")
    if raw is None:
        st.info("Pick a job on the Labeling Jobs page.")
        st.page_link(JOBS_PAGE, label="Labeling Jobs", icon=":material/arrow_back:")
        return None
    try:
        return get_job(engine(), int(raw))
    except (ValueError, NotFound):
        st.error(f"There is no job with id {raw!r}.")
        st.page_link(JOBS_PAGE, label="Back to Labeling Jobs", icon=":material/arrow_back:")
        return None


def job_header(job: LabelJob, *, page: str) -> None:
    st.title(f"{page} · {job.name}")
    with st.container(horizontal=True, key="job_pages"):
        pages = JOB_PAGES + ((("pages/annotate.py", "Annotate", ":material/edit:"),)
                             if job.status == "IN_PROGRESS" and job.kind == "manual" else ())
        for path, title, icon in pages:
            if title != page:
                st.page_link(path, label=title, icon=icon, query_params={"job": str(job.id)})
    with st.container(horizontal=True, vertical_alignment="center"):
        st.badge(job.tag, color=tag_color(job.kind))
        st.badge(job.status.replace("_", " "), color=STATUS_COLORS.get(job.status, "gray"))
        st.caption(f"{job.image_count:,} images · {job.result_count:,} results · {job.task}")
