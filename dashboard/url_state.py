"""The parts of a view that live in the URL besides the filters: the slice, the open tile, the grid page."""

from __future__ import annotations

import streamlit as st

from core.filters import Slice


def url_slice() -> tuple[Slice | None, list[str]]:
    return Slice.from_params(st.query_params.get_all("slice"))


def set_slice(selected: Slice | None) -> None:
    st.query_params.pop("slice", None)
    st.query_params.pop("result", None)
    if "page" in st.session_state:
        st.session_state["page"] = 1
    if selected is not None:
        st.query_params["slice"] = selected.to_params()


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
