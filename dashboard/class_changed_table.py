"""The Class Changed section: one row per group (top classes first), Class Changed True / False / Total for the
selected tab and filters. Selecting a cell selects that slice; the Showing bar right under the table says what is
selected and how many, with Clear; the image icon at the section's top right opens the selection's images in the
right-side panel, as the product page describes."""

from __future__ import annotations

import hashlib

import polars as pl
import streamlit as st

from core.filters import Slice
from core.vocabulary import REVIEW_STATE_LABELS
from dashboard.text import md
from dashboard.url_state import open_panel, set_slice

GROUP_LABELS = {"class_row": "Expert Review Class", "pre_class_row": "Pre-label Class", "file_path": "Image"}
TABLE_MAX_HEIGHT = 390


def class_changed_section_ui(table: pl.DataFrame, *, group_column: str, current: Slice | None, display,
                             state: str, described: str, shown: int) -> None:
    """table: group, True, False, Total (core.queries.class_changed_table) of the tab's results.
    described: the slice and the filters in words; shown: how many results they select."""
    with st.container(horizontal=True, vertical_alignment="center", key="class_changed_head"):
        st.subheader("Class Changed", anchor=False)
        st.caption(f"{REVIEW_STATE_LABELS[state]} tab")
        st.space("stretch")
        if st.button("", icon=":material/photo_library:", key="images_panel_icon", type="tertiary",
                     disabled=not shown, help=f"Open the {shown:,} selected results' images in a side panel"):
            open_panel(True)
            st.rerun()
    class_changed_table_ui(table, group_column=group_column, current=current, display=display)
    showing_bar_ui(current=current, described=described, shown=shown)


def showing_bar_ui(*, current: Slice | None, described: str, shown: int) -> None:
    with st.container(horizontal=True, vertical_alignment="center", key="showing_bar", gap="small"):
        st.markdown(f"**Showing:** {md(described or 'all results')} · {shown:,} result{'s' if shown != 1 else ''}")
        if current is not None and st.button("Clear", icon=":material/close:", type="tertiary", key="clear_slice",
                                             help="Clear the selected cell"):
            set_slice(None)
            st.rerun()


def class_changed_table_ui(table: pl.DataFrame, *, group_column: str, current: Slice | None, display) -> None:
    shown = table.with_columns(pl.col("group").map_elements(display, return_dtype=pl.String).alias("label"))
    groups = table["group"].to_list()
    # A new table (other tab or filters) gets a fresh widget, so a stale cell position never selects a wrong row.
    key = "class_changed_" + hashlib.sha1(repr((group_column, groups)).encode()).hexdigest()[:12]

    def on_select() -> None:
        cells = st.session_state[key]["selection"]["cells"]
        if not cells:
            set_slice(None)
            return
        row, column = cells[0]
        conditions: list[tuple[str, str | bool]] = [(group_column, groups[row])]
        if column in ("True", "False"):
            conditions.append(("class_changed", column == "True"))
        set_slice(Slice(tuple(conditions)))

    st.dataframe(
        shown.select("label", "True", "False", "Total"),
        key=key,
        hide_index=True,
        on_select=on_select,
        selection_mode="single-cell",
        selection_default=_default_cell(current, group_column, groups),
        column_config={
            "label": st.column_config.TextColumn(GROUP_LABELS[group_column], width="medium"),
            "True": st.column_config.NumberColumn("True", format="localized", help="Class Changed: True"),
            "False": st.column_config.NumberColumn("False", format="localized", help="Class Changed: False"),
            "Total": st.column_config.NumberColumn("Total", format="localized"),
        },
        height=min(38 + 35 * max(len(groups), 1), TABLE_MAX_HEIGHT),
        width="stretch",
    )


def _default_cell(current: Slice | None, group_column: str, groups: list[str]) -> dict | None:
    if current is None or current.value(group_column) not in groups:
        return None
    changed = current.value("class_changed")
    column = "Total" if changed is None else ("True" if changed else "False")
    return {"selection": {"cells": [[groups.index(current.value(group_column)), column]]}}
