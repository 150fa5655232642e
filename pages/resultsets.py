"""ResultSets of a job: frozen snapshots of accepted results, with their downloads and datalog-table exports."""

import polars as pl
import streamlit as st

from core.review import resultsets
from dashboard.job_context import job_from_query_params, job_header
from dashboard.resultset_panel import resultset_panel_ui
from dashboard.signed_in import signed_in_user
from dashboard.store import engine

user = signed_in_user()

job = job_from_query_params(page="ResultSets")
if job is None:
    st.stop()
job_header(job, page="ResultSets")

saved = resultsets.list_resultsets(engine=engine(), job_id=job.id)
if not saved:
    st.info(
        "No ResultSets yet: accept results on the Visualize page, then use Save as ResultSet on its Accepted tab.",
        icon=":material/inventory:",
    )
    st.stop()

table = pl.DataFrame(
    {
        "ResultSet": [r.name for r in saved],
        "results": [r.item_count for r in saved],
        # when saved (core/exports/completeness.py): complete images are what a model can train on
        "complete images": [r.complete_images for r in saved],
        "partial images": [r.partial_images for r in saved],
        "saved by": [r.created_by for r in saved],
        "saved at": [r.created_at for r in saved],
        "note": [r.note or "" for r in saved],
    }
)
ids = [r.id for r in saved]
wanted = st.query_params.get("resultset")
current = ids.index(int(wanted)) if wanted and wanted.isdigit() and int(wanted) in ids else 0
picked = st.dataframe(
    table,
    hide_index=True,
    on_select="rerun",
    selection_mode="single-row",
    key="resultsets",
    selection_default={"selection": {"rows": [current]}},
    column_config={
        **{
            column: st.column_config.NumberColumn(format="localized")
            for column in ("results", "complete images", "partial images")
        },
        "saved at": st.column_config.DatetimeColumn(format="D MMM YYYY, HH:mm"),
    },
)
rows = picked.selection.rows
chosen = saved[rows[0] if rows else current]
st.query_params["resultset"] = str(chosen.id)
resultset_panel_ui(job=job, resultset=chosen, user=user)
