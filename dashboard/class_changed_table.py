"""The Class Changed table: one row per group (top classes first), Class Changed True / False / Total for the
selected tab and filters. Selecting a cell selects that slice for the grid."""

from __future__ import annotations

import hashlib

import polars as pl
import streamlit as st

from core.filters import Slice
from dashboard.url_state import set_slice

GROUP_LABELS = {"class_row": "Expert Review Class", "pre_class_row": "Pre-label Class", "file_path": "Image"}


def class_changed_table_ui(table: pl.DataFrame, *, group_column: str, current: Slice | None, display) -> None:
    """table: group, True, False, Total (core.queries.class_changed_table)."""
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
        height=min(38 + 35 * max(len(groups), 1), 420),
    )


def _default_cell(current: Slice | None, group_column: str, groups: list[str]) -> dict | None:
    if current is None or current.value(group_column) not in groups:
        return None
    changed = current.value("class_changed")
    column = "Total" if changed is None else ("True" if changed else "False")
    return {"selection": {"cells": [[groups.index(current.value(group_column)), column]]}}
