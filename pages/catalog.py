"""Catalog of a job: its samples with their labels and states (ResultSets and datalog tables to come)."""

import streamlit as st

from dashboard.job_context import job_from_query_params, job_header
from dashboard.navigation import ensure_navigation

ensure_navigation()

job = job_from_query_params()
if job is None:
    st.stop()
job_header(job, page="Catalog")
st.caption(f"Images under {job.image_root} · pre-labels: {job.pre_label_source}")
