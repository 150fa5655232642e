"""The sidebar's Filters, as the product page lists them. The URL is the source of truth: a deep link fills the widgets,
Apply writes the URL, and a value the link got wrong is named in a notice, never a crash."""

from __future__ import annotations

from dataclasses import fields, replace

import streamlit as st

from core.analysis.filters import GROUP_BYS, ResultFilter, from_query_params, to_query_params
from core.domain.vocabulary import ADDED_ROW, CHANGE_KINDS, REMOVED_ROW
from dashboard.job_data import JobData
from dashboard.url_state import first_page

FILTER_KEYS = tuple(f.name for f in fields(ResultFilter)) + ("group_by",)
CHANGED_OPTIONS = {"All": None, "True": True, "False": False}
ADVANCED = ("pre_classes", "iou_min", "iou_max", "change_kinds", "confidence_min", "confidence_max")
# Query params a new filter makes stale: the selected slice and tile (and the page, see first_page).
RESET_ON_APPLY = ("slice", "result")
BOX_RANGES = ("area", "factor", "iou")


def url_lists() -> dict[str, list[str]]:
    return {key: st.query_params.get_all(key) for key in st.query_params}


def url_filter(data: JobData) -> tuple[ResultFilter, str, list[str]]:
    result_filter, notices = from_query_params(url_lists(), known_classes=data.class_rows)
    if not data.is_detection:
        boxed = {
            f"{name}_{end}": None
            for name in BOX_RANGES
            for end in ("min", "max")
            if getattr(result_filter, f"{name}_{end}") is not None
        }
        if boxed:
            notices.append(f"ignored {', '.join(boxed)}: a classification job has no boxes")
            result_filter = replace(result_filter, **boxed)
    group_by = st.query_params.get("group_by", GROUP_BYS[0])
    if group_by not in GROUP_BYS:
        notices.append(f"ignored group_by={group_by!r} (expected one of {', '.join(GROUP_BYS)})")
        group_by = GROUP_BYS[0]
    return result_filter, group_by, notices


def _seed_widgets(result_filter: ResultFilter, group_by: str) -> None:
    state = st.session_state
    state["f_classes"] = list(result_filter.classes)
    state["f_changed"] = next(k for k, v in CHANGED_OPTIONS.items() if v == result_filter.class_changed)
    for name in ("area", "factor", "iou", "confidence"):
        state[f"f_{name}_min"] = getattr(result_filter, f"{name}_min")
        state[f"f_{name}_max"] = getattr(result_filter, f"{name}_max")
    state["f_change_kinds"] = list(result_filter.change_kinds)
    state["f_pre_classes"] = list(result_filter.pre_classes)
    state["f_group_by"] = group_by
    if any(getattr(result_filter, f) not in (None, ()) for f in ADVANCED):
        state["f_advanced"] = True


def _widget_filter(*, is_detection: bool) -> tuple[ResultFilter, list[str]]:
    state = st.session_state
    values = {
        "classes": tuple(state.get("f_classes", [])),
        "class_changed": CHANGED_OPTIONS[state.get("f_changed", "All")],
        "change_kinds": tuple(state.get("f_change_kinds", [])) if state.get("f_advanced") else (),
        "pre_classes": tuple(state.get("f_pre_classes", [])) if state.get("f_advanced") else (),
    }
    problems = []
    for name in ("area", "factor", "iou", "confidence"):
        shown = (is_detection or name not in BOX_RANGES) and (
            name not in ("iou", "confidence") or state.get("f_advanced")
        )
        low = state.get(f"f_{name}_min") if shown else None
        high = state.get(f"f_{name}_max") if shown else None
        if low is not None and high is not None and low > high:
            problems.append(f"{name}: the minimum {low:g} is above the maximum {high:g}; that range is not applied")
            low = high = None
        values[f"{name}_min"], values[f"{name}_max"] = low, high
    return ResultFilter(**values), problems


def apply_filter(result_filter: ResultFilter, group_by: str) -> None:
    """Write a filter to the URL (from Apply, or a box selection on a chart); the widgets follow on the rerun."""
    for key in FILTER_KEYS + RESET_ON_APPLY:
        st.query_params.pop(key, None)
    first_page()
    st.query_params.update(to_query_params(result_filter))
    if group_by != GROUP_BYS[0]:
        st.query_params["group_by"] = group_by


def sidebar_filters_ui(data: JobData) -> tuple[ResultFilter, str, list[str]]:
    """The applied filter, the Group by choice, and notices about the URL or the inputs. Drawn where it is called:
    the page puts it at the top of the sidebar."""
    result_filter, group_by, notices = url_filter(data)
    synced = (to_query_params(result_filter), group_by)
    if st.session_state.get("f_synced") != synced:  # a deep link, or the browser's back button
        _seed_widgets(result_filter, group_by)
        st.session_state["f_synced"] = synced

    st.header("Filters", anchor=False)
    st.toggle("Show Advanced Filter", key="f_advanced")
    with st.form("filters", border=False):
        st.multiselect(
            "Expert Review Class", data.class_rows, key="f_classes", format_func=data.display, placeholder="All classes"
        )
        st.radio("Class Changed Condition", list(CHANGED_OPTIONS), key="f_changed", horizontal=True)
        if data.is_detection:
            _range_inputs(
                "Expert Review Area (px²)", "area", step=100.0, help="Area of the expert box in px², min and max"
            )
            _range_inputs(
                "Adjustment Factor",
                "factor",
                step=0.1,
                help="Current to Auto/Pre Label Adjustment Factor: area(expert box) / area(pre-label "
                "box); 1.0 is the same size, 0.5 half, 2.0 double",
            )
        if st.session_state.get("f_advanced"):
            st.caption("Advanced")
            st.multiselect(
                "Pre-label class",
                pre_class_rows(data),
                key="f_pre_classes",
                format_func=data.display,
                placeholder="All classes",
                help="The class of the result's pre-label; (added): an expert label without a pre-label",
            )
            if data.is_detection:
                _range_inputs(
                    "IoU", "iou", step=0.05, help="Intersection over union of the expert box and its pre-label box"
                )
                st.multiselect("Change kind", CHANGE_KINDS, key="f_change_kinds", placeholder="All kinds")
            _range_inputs("Pre-label confidence", "confidence", step=0.05)
        st.selectbox("Group by", GROUP_BYS, key="f_group_by")
        applied = st.form_submit_button("Apply", type="primary", width="stretch")
    if applied:
        new_filter, problems = _widget_filter(is_detection=data.is_detection)
        group_by = st.session_state["f_group_by"]
        apply_filter(new_filter, group_by)
        st.session_state["f_synced"] = (to_query_params(new_filter), group_by)
        return new_filter, group_by, notices + problems
    return result_filter, group_by, notices


def pre_class_rows(data: JobData) -> list[str]:
    """The pre-label classes a result may have: the spec's, then (added) for an expert label without one."""
    return [c for c in data.class_rows if c != REMOVED_ROW] + [ADDED_ROW]


def _range_inputs(label: str, name: str, *, step: float, help: str | None = None) -> None:
    """One short label over a min and a max input (labelled Min/Max … for screen readers and tests)."""
    st.markdown(f"<small>{label}</small>", unsafe_allow_html=True, help=help)
    low, high = st.columns(2, gap="small")
    low.number_input(
        f"Min {label}",
        key=f"f_{name}_min",
        value=None,
        min_value=0.0,
        step=step,
        placeholder="min",
        format="%g",
        label_visibility="collapsed",
    )
    high.number_input(
        f"Max {label}",
        key=f"f_{name}_max",
        value=None,
        min_value=0.0,
        step=step,
        placeholder="max",
        format="%g",
        label_visibility="collapsed",
    )
