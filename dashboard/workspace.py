"""The review workspace beside the Class Changed table: the selection's images (review bar, sort, tile size, grid)
or its charts; and the right-side images panel that the section's image icon opens.

The images part is a fragment: a pick, a page turn, a sort or a tile size reruns it alone, never the table or the
charts. A review action reruns the page, whose counts it changes."""

from __future__ import annotations

from dataclasses import replace

import polars as pl
import streamlit as st

from core.analysis.queries import View
from core.auth.access import Actor, Permission
from dashboard.charts import confusion_ui, histogram_ui
from dashboard.image_grid import image_grid_ui
from dashboard.job_data import JobData
from dashboard.review_bar import review_bar_ui
from dashboard.signed_in import still_signed_in
from dashboard.text import md
from dashboard.url_state import WORKSPACE_VIEWS, open_panel, open_result, set_workspace, url_sort
from dashboard.view_data import image_review_counts, result_ids_in_order
from dashboard.viewer import rerun_page_if_viewer_decided, viewer_dialog

PANEL_WIDTH = 780
VIEW_LABELS = {"images": "Images", "charts": "Charts", "spot_check": "Spot check"}


def workspace_switch_ui(current: str, *, spot_check: bool) -> str:
    """spot_check: offered (on the Pending Review tab, to a reviewer)."""
    views = [v for v in WORKSPACE_VIEWS if spot_check or v != "spot_check"]
    st.session_state["workspace"] = current if current in views else "images"  # the URL is the source of truth
    return st.segmented_control(
        "Workspace",
        views,
        key="workspace",
        required=True,
        format_func=VIEW_LABELS.get,
        label_visibility="collapsed",
        on_change=lambda: set_workspace(st.session_state["workspace"]),
    )


@st.fragment
def images_workspace_ui(*, data: JobData, shown: pl.DataFrame, view: View, user: Actor, selection: dict) -> None:
    user = still_signed_in(user)
    rerun_page_if_viewer_decided()
    view = replace(view, sort=url_sort()[0])  # a fragment rerun keeps its first arguments; the sort may be newer
    review_bar_ui(
        data=data, state=view.state, shown=shown, per_image=view.group_by == "image", user=user, selection=selection
    )
    if view.group_by == "image" and not shown.is_empty():
        _image_counts_ui(image_review_counts(data, view, shown))
    opened = image_grid_ui(data, shown, view, pickable=user.can(Permission.REVIEW), on_open=open_result)
    if opened is not None:
        # From inside the fragment: the dialog opens without rerunning the page behind it.
        viewer_dialog(data, result_ids_in_order(data, view, shown), user=user, selection=selection)


def _image_counts_ui(counts: dict[str, int]) -> None:
    st.caption(
        f"Images: {counts['complete']:,} complete · {counts['partial']:,} partial · {counts['untouched']:,} untouched",
        help="Each image of these results, judged on all its results in the job: complete when every one "
        "is accepted (a model can train on it), untouched when every one is pending, else partial. "
        "Accepting a picked image accepts all its results in this tab.",
    )


def charts_ui(*, data: JobData, in_tab: pl.DataFrame, view: View, on_range) -> None:
    confusion_ui(in_tab, display=data.display, key=f"confusion_{view.state}", order=data.class_rows)
    if data.is_detection:
        histogram_ui(
            in_tab,
            column="area_px",
            edges=data.area_edges,
            title="Expert Review Area (px²)",
            key=f"area_{view.state}",
            range_names=("area_min", "area_max"),
            applied=view.filter,
            on_range=on_range,
        )
        histogram_ui(
            in_tab,
            column="adjustment_factor",
            edges=data.factor_edges,
            title="Current to Auto/Pre Label Adjustment Factor",
            key=f"factor_{view.state}",
            range_names=("factor_min", "factor_max"),
            applied=view.filter,
            on_range=on_range,
            mark_one=True,
        )


def _panel_closed() -> None:
    open_panel(False)


@st.dialog("Images", position="right", width=PANEL_WIDTH, on_dismiss=_panel_closed, icon=":material/photo_library:")
def images_panel_dialog(
    *, data: JobData, shown: pl.DataFrame, view: View, user: Actor, selection: dict, described: str
) -> None:
    """The product page's right-side panel: the selected value's images, and at its bottom right the decisions
    the tab offers (on Accepted: Reject and Move to pending)."""
    user = still_signed_in(user)
    st.markdown(f"**{md(described)}** · {shown.height:,} result{'s' if shown.height != 1 else ''}")
    opened = image_grid_ui(
        data, shown, view, size="medium", pickable=user.can(Permission.REVIEW), on_open=open_result, key="panel_"
    )
    if opened is not None:
        st.rerun()  # the viewer takes the panel's place (one dialog at a time); closing it brings the panel back
    with st.container(horizontal=True, horizontal_alignment="right", key="panel_actions"):
        review_bar_ui(
            data=data,
            state=view.state,
            shown=shown,
            per_image=view.group_by == "image",
            user=user,
            selection=selection,
            key="panel_",
        )
