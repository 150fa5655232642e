"""Catalog of a job: its images with their labels and review states, searchable by file name and class; its
ResultSets and the datalog tables exported from them."""

import polars as pl
import streamlit as st

from core import exports
from core.analysis import queries
from core.review import resultsets
from dashboard.catalog_images import catalog_images_ui, catalog_page, shows_images
from dashboard.job_context import job_from_query_params, job_header
from dashboard.navigation import RESULTSETS_PAGE
from dashboard.signed_in import signed_in_user
from dashboard.store import engine
from dashboard.text import md

PAGE_SIZE = 50

signed_in_user()

job = job_from_query_params(page="Catalog")
if job is None:
    st.stop()
job_header(job, page="Catalog")
st.caption(
    f"Images under {md(job.image_root)} · {'pre-labels' if job.is_manual else 'labels'}: {md(job.pre_label_source)}"
)

st.subheader("Images")
with st.container(horizontal=True, vertical_alignment="bottom", gap="small"):
    search = st.text_input(
        "Search",
        placeholder="File name or class",
        key="catalog_search",
        width=420,
        on_change=lambda: st.session_state.update(catalog_page=1, catalog_image_page=1),
    )
    view = st.segmented_control(
        "View",
        ["Images", "Table"],
        key="catalog_view",
        required=True,
        default="Images" if shows_images(job) else "Table",
        label_visibility="collapsed",
    )
if view == "Images":
    catalog_images_ui(job, search=search)
else:
    page = st.session_state.get("catalog_page", 1)  # the pager is drawn below the table it pages
    samples, total = catalog_page(job, search=search, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    st.dataframe(
        samples.drop("sample_id").with_columns(pl.col("classes").list.join(", ")),
        hide_index=True,
        column_config={
            c: st.column_config.NumberColumn(format="localized") for c in ("results", "pending", "accepted", "rejected")
        },
    )
    st.pagination(queries.page_count(total, PAGE_SIZE), key="catalog_page")
    st.caption(
        f"{total:,} image{'s' if total != 1 else ''}"
        + (f" match{'es' if total == 1 else ''} “{md(search.strip())}”" if search.strip() else "")
    )

left, right = st.columns(2)
with left:
    st.subheader("ResultSets")
    saved = resultsets.list_resultsets(engine=engine(), job_id=job.id)
    if saved:
        st.dataframe(
            pl.DataFrame(
                {
                    "ResultSet": [r.name for r in saved],
                    "results": [r.item_count for r in saved],
                    "saved by": [r.created_by for r in saved],
                }
            ),
            hide_index=True,
        )
    else:
        st.caption("None yet.")
    st.page_link(
        RESULTSETS_PAGE, label="Open ResultSets", icon=":material/inventory:", query_params={"job": str(job.id)}
    )
with right:
    st.subheader("Datalog tables")
    tables = exports.list_datalog_tables(engine=engine(), job_id=job.id)
    if not tables:
        st.caption("None yet: export a ResultSet to a datalog table on the ResultSets page.")
    else:
        st.dataframe(
            pl.DataFrame(
                {
                    "table": [t.name for t in tables],
                    "rows": [t.row_count for t in tables],
                    # partial images (a box missing) kept out of the table: see the ResultSets page
                    "partial images left out": [t.left_out_images for t in tables],
                    "from ResultSet": [t.resultset_name for t in tables],
                },
                schema_overrides={"partial images left out": pl.Int64},
            ),
            hide_index=True,
        )
        chosen = st.selectbox("Preview", [t.name for t in tables], key="catalog_table")
        st.dataframe(exports.preview_datalog_table(engine=engine(), name=chosen, limit=20), hide_index=True)
