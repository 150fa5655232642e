"""Visualize a READY manual label job: Expert Review Stats, the review-state tabs, the Class Changed table,
distributions, and the image grid with its detail panel. Everything shown follows the sidebar filters; the URL
holds the view, so a link reproduces it."""

import streamlit as st

from core import queries
from core.access import Permission
from core.queries import View
from dashboard.charts import confusion_ui, histogram_ui
from dashboard.class_changed_table import class_changed_table_ui
from dashboard.detail_panel import detail_panel_ui
from dashboard.image_grid import image_grid_ui
from dashboard.job_context import job_from_query_params, job_header
from dashboard.job_data import job_data
from dashboard.navigation import ensure_navigation
from dashboard.resultset_form import save_resultset_ui
from dashboard.review_bar import review_bar_ui
from dashboard.review_stats import review_stats_ui
from dashboard.sidebar_filters import apply_filter, sidebar_filters_ui
from dashboard.signed_in import signed_in_user
from dashboard.spot_check import spot_check_ui
from dashboard.state_tabs import state_tabs_ui
from dashboard.url_state import (
    set_slice,
    url_grid_notices,
    url_result,
    url_slice,
    url_tab,
    view_selection,
)

ensure_navigation()
user = signed_in_user()

job = job_from_query_params()
if job is None:
    st.stop()
job_header(job, page="Visualize")
if job.kind != "manual" or job.status != "READY":
    st.warning(f"Visualize is for READY manual label jobs; {job.name} is a {job.tag} job that is "
               f"{job.status.replace('_', ' ')}.")
    st.stop()

data = job_data(job)
result_filter, group_by, notices = sidebar_filters_ui(data)
state, tab_notices = url_tab()
current_slice, slice_notices = url_slice()
open_result_id, result_notices = url_result()
for notice in notices + tab_notices + slice_notices + result_notices + url_grid_notices():
    st.warning(notice, icon=":material/link_off:")

filtered = data.results.filter(result_filter.expr())
review_stats_ui(filtered, is_detection=data.is_detection)
state = state_tabs_ui(queries.tab_counts(filtered), state=state)
view = View(state=state, filter=result_filter, group_by=group_by, slice=current_slice)
in_tab = queries.in_tab(filtered, view)

table_column, charts_column = st.columns(2)
with table_column:
    st.subheader("Class Changed")
    class_changed_table_ui(queries.class_changed_table(in_tab, view.group_column), group_column=view.group_column,
                           current=current_slice, display=data.display)
with charts_column:
    confusion_ui(in_tab, display=data.display, key=f"confusion_{state}", order=data.class_rows)
if data.is_detection:
    area, factor = st.columns(2)
    with area:
        histogram_ui(in_tab, column="area_px", edges=data.area_edges, title="Expert Review Area (px²)",
                     key=f"area_{state}", range_names=("area_min", "area_max"), applied=result_filter,
                     on_range=lambda f: apply_filter(f, group_by))
    with factor:
        histogram_ui(in_tab, column="adjustment_factor", edges=data.factor_edges,
                     title="Current to Auto/Pre Label Adjustment Factor", key=f"factor_{state}",
                     range_names=("factor_min", "factor_max"), applied=result_filter,
                     on_range=lambda f: apply_filter(f, group_by), mark_one=True)

shown = queries.in_slice(in_tab, view)
described = ([current_slice.describe(data.display)] if current_slice else []) + result_filter.describe(data.display)
caption, clear = st.columns([6, 1], vertical_alignment="center")
caption.markdown(f"**Showing:** {' · '.join(described) or 'all results'} · {shown.height:,} results")
if current_slice and clear.button("Clear slice", icon=":material/close:", type="tertiary"):
    set_slice(None)
    st.rerun()
selection = view_selection(state=state, result_filter=result_filter, group_by=group_by, current_slice=current_slice)
review_bar_ui(data=data, state=state, shown=shown, per_image=group_by == "image", user=user,
              selection=selection)
if state == "pending" and user.can(Permission.REVIEW):
    spot_check_ui(data=data, shown=shown, user=user, selection=selection)
if state == "accepted" and user.can(Permission.EXPORT):
    save_resultset_ui(data=data, user=user)
if open_result_id is not None:
    grid_column, panel_column = st.columns([3, 2])
    with panel_column:
        detail_panel_ui(data, open_result_id, order=queries.tiles(shown, view)["result_id"].to_list(),
                        user=user)
    with grid_column:
        image_grid_ui(data, shown, view, columns=3, pickable=user.can(Permission.REVIEW))
else:
    image_grid_ui(data, shown, view, pickable=user.can(Permission.REVIEW))
