"""The parts of a view that live in the URL besides the filters: the tab, the slice, the sort, the workspace's
view (images or charts), the images panel, the result open in the viewer, the grid page.

The grid's page and page size are widgets bound to the URL (Streamlit keeps them in sync); a value they cannot
take is dropped by Streamlit, so it is named here first.
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from core.analysis.filters import ResultFilter, Slice, parse_state, to_query_params
from core.analysis.queries import SORTS
from core.domain.vocabulary import ReviewState

PAGE_SIZES = (12, 24, 48, 96)
WORKSPACE_VIEWS = ("images", "charts", "spot_check")


def url_tab() -> tuple[str, list[str]]:
    state, notice = parse_state(st.query_params.get("tab"))
    return state, [notice] if notice else []


def set_tab(state: str) -> None:
    _set_param("tab", state, default=ReviewState.PENDING)
    first_page()


def url_slice() -> tuple[Slice | None, list[str]]:
    return Slice.from_params(st.query_params.get_all("slice"))


def set_slice(selected: Slice | None) -> None:
    st.query_params.pop("slice", None)
    st.query_params.pop("result", None)
    first_page()
    if selected is not None:
        st.query_params["slice"] = selected.to_params()


def first_page() -> None:
    # The page widget owns ?page=; it may only be moved through its session state, before it is drawn.
    st.session_state["page"] = 1


def url_sort() -> tuple[str, list[str]]:
    return _choice("sort", SORTS, default="table")


def set_sort(sort: str) -> None:
    _set_param("sort", sort, default="table")
    first_page()


def url_workspace() -> tuple[str, list[str]]:
    return _choice("view", WORKSPACE_VIEWS, default="images")


def set_workspace(view: str) -> None:
    _set_param("view", view, default="images")


def _choice(name: str, choices, *, default: str) -> tuple[str, list[str]]:
    """?name= when it is one of `choices`, else the default and a notice (none when it is absent)."""
    raw = st.query_params.get(name)
    if raw is None or raw in choices:
        return raw or default, []
    return default, [f"ignored {name}={raw!r} (expected one of {', '.join(choices)})"]


def _set_param(name: str, value: str, *, default: str) -> None:
    """The default stays out of the URL, so a plain link and a link to the default view are the same link."""
    if value == default:
        st.query_params.pop(name, None)
    else:
        st.query_params[name] = value


def url_panel() -> bool:
    """?panel=images: the right-side panel of the selected value's images is open."""
    return st.query_params.get("panel") == "images"


def open_panel(is_open: bool) -> None:
    _set_param("panel", "images" if is_open else "", default="")


def url_result() -> tuple[int | None, list[str]]:
    raw = st.query_params.get("result")
    if raw is None:
        return None, []
    try:
        return int(raw), []
    except ValueError:
        return None, [f"ignored result={raw!r} (not a result id)"]


def open_result(result_id: int | None) -> None:
    if result_id is None:
        st.query_params.pop("result", None)
    else:
        st.query_params["result"] = str(result_id)


def url_grid_notices() -> list[str]:
    notices = []
    page = st.query_params.get("page")
    if page is not None and not (page.isdigit() and int(page) >= 1):
        notices.append(f"ignored page={page!r} (expected a page number)")
    size = st.query_params.get("page_size")
    if size is not None and size not in {str(s) for s in PAGE_SIZES}:
        notices.append(f"ignored page_size={size!r} (expected one of {', '.join(map(str, PAGE_SIZES))})")
    return notices


def url_day() -> date | None:
    """?day=YYYY-MM-DD (a UTC day); None when absent or not a date (a broken link shows every day)."""
    try:
        return date.fromisoformat(st.query_params.get("day", ""))
    except ValueError:
        return None


def view_selection(*, state: str, result_filter: ResultFilter, group_by: str, current_slice: Slice | None) -> dict:
    """What selected the results of a review action, as the event records it (the same words as the URL)."""
    return {
        "tab": state,
        "filter": to_query_params(result_filter),
        "group_by": group_by,
        "slice": current_slice.to_params() if current_slice else [],
    }


def describe_selection(selection: dict | None) -> str:
    """A review event's selection in the URL's own words, e.g. `tab=pending · class_changed=true · slice=...`."""
    if not selection:
        return ""
    parts = []
    for key, value in selection.items():
        if isinstance(value, dict):
            parts += [f"{k}={','.join(map(str, v)) if isinstance(v, list) else v}" for k, v in value.items()]
        elif isinstance(value, list):
            if value:
                parts.append(f"{key}={','.join(map(str, value))}")
        elif value not in (None, ""):
            parts.append(f"{key}={value}")
    return " · ".join(parts)
