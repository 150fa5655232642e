"""Visualize a READY manual label job: Expert Review Stats, the Pre-label quality section (closed until opened), the
review-state tabs, and the review workspace: the Class Changed table beside the selection's images (or charts), the
images side panel and the viewer. Everything follows the sidebar filters; the URL holds the view, so a link
reproduces it."""

import streamlit as st

from core.analysis.queries import View
from core.auth.access import Permission
from core.domain.vocabulary import ReviewState
from dashboard.class_changed_table import class_changed_section_ui
from dashboard.job_context import job_from_query_params, job_header
from dashboard.job_data import job_data
from dashboard.quality_section import quality_section_ui
from dashboard.resultset_form import save_resultset_ui
from dashboard.review_bar import show_last_outcome
from dashboard.review_stats import review_stats_ui
from dashboard.sidebar_filters import apply_filter, sidebar_filters_ui
from dashboard.signed_in import signed_in_user
from dashboard.spot_check import spot_check_ui
from dashboard.state_tabs import state_tabs_ui
from dashboard.text import md
from dashboard.url_state import (
    url_grid_notices,
    url_panel,
    url_result,
    url_slice,
    url_sort,
    url_tab,
    url_workspace,
    view_selection,
)
from dashboard.view_data import result_ids_in_order, view_data
from dashboard.viewer import page_caught_up, viewer_dialog
from dashboard.workspace import charts_ui, images_panel_dialog, images_workspace_ui, workspace_switch_ui

filters_area = st.sidebar.container()  # the Filters first in the sidebar, above who is signed in
user = signed_in_user()

job = job_from_query_params(page="Visualize", offers=lambda j: j.is_reviewable)
if job is None:
    st.stop()
job_header(job, page="Visualize")
if not job.is_reviewable:
    st.warning(
        f"Visualize is for READY manual label jobs; this is a {job.tag} job that is {job.status.replace('_', ' ')}."
    )
    st.stop()

data = job_data(job)
with filters_area:
    result_filter, group_by, notices = sidebar_filters_ui(data)
state, tab_notices = url_tab()
current_slice, slice_notices = url_slice()
sort, sort_notices = url_sort()
workspace, workspace_notices = url_workspace()
open_result_id, result_notices = url_result()
for notice in (
    notices + tab_notices + slice_notices + sort_notices + workspace_notices + result_notices + url_grid_notices()
):
    st.warning(md(notice), icon=":material/link_off:")  # they quote the link's values

show_last_outcome()  # of the action that reran the page
page_caught_up()
view = View(state=state, filter=result_filter, group_by=group_by, slice=current_slice, sort=sort)
shown_data = view_data(data, view)
review_stats_ui(shown_data, is_detection=data.is_detection, filtered=not result_filter.is_empty)
quality_section_ui(data, state=state)
state = state_tabs_ui(shown_data.tab_counts, state=state)
selection = view_selection(state=state, result_filter=result_filter, group_by=group_by, current_slice=current_slice)
described = " · ".join(
    ([current_slice.describe(data.display)] if current_slice else []) + result_filter.describe(data.display)
)

table_column, work_column = st.columns([1.15, 2], gap="medium")
with table_column:
    class_changed_section_ui(
        shown_data.table,
        group_column=view.group_column,
        current=current_slice,
        display=data.display,
        state=state,
        described=described,
        shown=shown_data.shown.height,
    )
    if state == ReviewState.ACCEPTED and user.can(Permission.EXPORT):
        save_resultset_ui(data=data, user=user, shown=shown_data.shown.height)
with work_column:
    workspace = workspace_switch_ui(workspace, spot_check=state == ReviewState.PENDING and user.can(Permission.REVIEW))
    if workspace == "charts":
        charts_ui(data=data, in_tab=shown_data.in_tab, view=view, on_range=lambda f: apply_filter(f, group_by))
    elif workspace == "spot_check":
        spot_check_ui(data=data, shown=shown_data.shown, user=user, selection=selection)
    else:
        images_workspace_ui(data=data, shown=shown_data.shown, view=view, user=user, selection=selection)

if open_result_id is not None:
    viewer_dialog(data, result_ids_in_order(data, view, shown_data.shown), user=user, selection=selection)
elif url_panel():
    images_panel_dialog(
        data=data,
        shown=shown_data.shown,
        view=view,
        user=user,
        selection=selection,
        described=described or "All results",
    )
