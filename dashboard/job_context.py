"""The job a page is about, from the URL's ?job=ID. Opened without one (from the navigation), the page offers the
jobs it can show, most recent first, instead of a dead end; a missing or unknown id is a clear message."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from core.domain.errors import NotFound
from core.domain.plural import plural
from core.jobs.lookup import get_job
from core.jobs.summaries import JobSummary, list_jobs
from core.store.models import LabelJob
from dashboard.job_card import STATUS_COLORS, tag_color
from dashboard.navigation import ANNOTATE_PAGE, JOB_PAGES, JOBS_PAGE
from dashboard.store import engine
from dashboard.text import md


def job_from_query_params(*, page: str, offers: Callable[[JobSummary], bool] = lambda job: True) -> LabelJob | None:
    """page: the page's title, for the picker; offers: which jobs the page can show."""
    raw = st.query_params.get("job")
    if raw is None:
        job_picker_ui(page=page, offers=offers)
        return None
    try:
        return get_job(engine(), int(raw))
    except (ValueError, NotFound):
        st.error(f"There is no job with id {md(repr(raw))}.")
        st.page_link(JOBS_PAGE, label="Back to Labeling Jobs", icon=":material/arrow_back:")
        return None


def job_picker_ui(*, page: str, offers: Callable[[JobSummary], bool]) -> None:
    st.title(page, anchor=False)
    jobs = [job for job in list_jobs(engine=engine()) if offers(job)]
    if not jobs:
        st.info(f"No job to open on {page} yet.", icon=":material/inventory_2:")
        st.page_link(JOBS_PAGE, label="Labeling Jobs", icon=":material/arrow_back:")
        return
    st.caption(f"Pick a job to open on {page} (most recent first), or browse the cards on Labeling Jobs.")
    with st.container(key="job_picker", width=720):
        for job in jobs:
            with st.container(horizontal=True, vertical_alignment="center", border=True, gap="small"):
                st.markdown(f"**{md(job.name)}**", width="stretch")
                st.badge(job.tag, color=tag_color(job.kind))
                st.badge(job.status.replace("_", " "), color=STATUS_COLORS.get(job.status, "gray"))
                st.caption(f"{plural(job.images, 'image')} · {plural(job.results, 'result')}", width=190)
                if st.button("Open", key=f"pick_job_{job.id}", icon=":material/arrow_forward:", type="tertiary"):
                    st.query_params["job"] = str(job.id)
                    st.rerun()


def job_header(job: LabelJob, *, page: str) -> None:
    with st.container(horizontal=True, vertical_alignment="center", key="job_header"):
        st.title(f"{page} · {md(job.name)}", anchor=False)
        st.badge(job.tag, color=tag_color(job.kind))
        st.badge(job.status.replace("_", " "), color=STATUS_COLORS.get(job.status, "gray"))
        st.caption(f"{plural(job.image_count, 'image')} · {plural(job.result_count, 'result')}")
        st.space("stretch")
        pages = JOB_PAGES + (((ANNOTATE_PAGE, "Annotate", ":material/edit:"),) if job.is_labellable else ())
        for path, title, icon in pages:
            if title != page:
                st.page_link(path, label=title, icon=icon, query_params={"job": str(job.id)})
