"""Visualize a READY manual label job: Expert Review Stats and the Class Changed table (more to come)."""

import streamlit as st

from core.stats import job_stats
from core.vocabulary import REVIEW_STATE_LABELS
from dashboard.job_context import job_from_query_params, job_header
from dashboard.store import engine

job = job_from_query_params()
if job is None:
    st.stop()
job_header(job, page="Visualize")
if job.kind != "manual" or job.status != "READY":
    st.warning(f"Visualize is for READY manual label jobs; {job.name} is a {job.tag} job that is "
               f"{job.status.replace('_', ' ')}.")
    st.stop()

stats = job_stats(engine=engine(), job_id=job.id)
st.subheader("Expert Review Stats")
st.markdown(f"**{stats['results']:,} results** · {stats['class_changed_share']:.1%} class changed")
st.caption(" · ".join(f"{kind} {n:,}" for kind, n in stats["change_kinds"].items()))
st.caption(" | ".join(f"{REVIEW_STATE_LABELS[s]} {n:,}" for s, n in stats["by_state"].items()))
st.subheader("Class Changed")
st.dataframe(
    [{"class": name, "True": row["true"], "False": row["false"], "Total": row["true"] + row["false"]}
     for name, row in stats["class_changed"].items()],
    hide_index=True,
)
