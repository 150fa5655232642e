"""Overview for team leads: review progress, decisions per reviewer per day, the classes the pre-labels get wrong
most, how good the pre-labels were (and their trend), and the rejected share with its reasons, across every READY
manual label job. Read-only; every table links
to the results behind its numbers."""

import streamlit as st

from core.analysis import overview
from core.analysis.quality.across_jobs import quality_by_job
from dashboard.overview import class_changed_ui, decisions_ui, decisions_window_ui, kpis_ui, progress_ui, rejections_ui
from dashboard.overview_quality import quality_overview_ui
from dashboard.signed_in import signed_in_user
from dashboard.store import engine

signed_in_user()

st.title("Overview")
progress = overview.review_progress(engine=engine())
if progress.is_empty():
    st.info(
        "No READY manual label jobs yet: the Overview sums up their review once there are some. Seed the demo "
        "jobs with `python -m core demo`, or import a finished job (see docs/cli.md).",
        icon=":material/dashboard:",
    )
    st.stop()

kpis_ui(overview.totals(progress))
progress_ui(progress)
days = decisions_window_ui()
decisions_ui(overview.decisions_per_day(engine=engine(), days=days), days=days)
class_changed_ui(overview.class_changed_by_job(engine=engine()))
with st.spinner("Computing the pre-label quality of the jobs not measured yet…"):
    quality = quality_by_job(engine=engine())
quality_overview_ui(quality)
rejections_ui(progress, overview.rejection_reasons(engine=engine()))
