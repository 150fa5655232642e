"""The Class Changed section: one row per group (top classes first), Class Changed True / False / Total for the
selected tab and filters. Selecting a cell selects that slice; the Showing bar right under the table says what is
selected and how many, with Clear; the image icon at the section's top right opens the selection's images in the
right-side panel, as the product page describes."""

from __future__ import annotations

import hashlib

import polars as pl
import streamlit as st

from core.analysis.filters import Slice
from core.domain.vocabulary import REVIEW_STATE_LABELS
from dashboard.text import md
from dashboard.url_state import open_panel, set_slice

GROUP_LABELS = {"class_row": "Expert Review Class", "pre_class_row": "Pre-label Class", "file_path": "Image"}
TABLE_MAX_HEIGHT = 390


def class_changed_section_ui(
    table: pl.DataFrame, *, group_column: str, current: Slice | None, display, state: str, described: str, shown: int
) -> None:
    """table: group, True, False, Total (core.analysis.queries.class_changed_table) of the tab's results.
    described: the slice and the filters in words; shown: how many results they select."""
    with st.container(horizontal=True, vertical_alignment="center", key="class_changed_head"):
        st.subheader("Class Changed", anchor=False)
        st.caption(f"{REVIEW_STATE_LABELS[state]} tab")
        st.space("stretch")
        if st.button(
            "",
            icon=":material/photo_library:",
            key="images_panel_icon",
            type="tertiary",
            disabled=not shown,
            help=f"Open the {shown:,} selected results' images in a side panel",
        ):
            open_panel(True)
            st.rerun()
    class_changed_table_ui(table, group_column=group_column, current=current, display=display)
    showing_bar_ui(current=current, described=described, shown=shown)


def showing_bar_ui(*, current: Slice | None, described: str, shown: int) -> None:
    with st.container(horizontal=True, vertical_alignment="center", key="showing_bar", gap="small"):
        st.markdown(
            f"**Showing:** {md(described or 'all results')} · {shown:,} result{'s' if shown != 1 else ''}",
            width="content",
        )
        if current is not None and st.button(
            "Clear", icon=":material/close:", type="tertiary", key="clear_slice", help="Clear the selected cell"
        ):
            set_slice(None)
            st.rerun()


def class_changed_table_ui(table: pl.DataFrame, *, group_column: str, current: Slice | None, display) -> None:
    """The table as a components v2 element: a click on a cell selects its slice at once (st.dataframe's data grid
    holds a selection back ~150 ms before it sends it, and draws on a canvas); a click on the selected cell clears
    it. Labels go in as text, never HTML."""
    groups = table["group"].to_list()
    # A new table (other tab or filters) gets a fresh element, so a stale cell position never selects a wrong row.
    key = "class_changed_" + hashlib.sha1(repr((group_column, groups)).encode()).hexdigest()[:12]

    def on_cell() -> None:
        row, column = st.session_state[key]["cell"]
        selected = _selected_cell(current, group_column, groups)
        if selected == [row, column]:
            set_slice(None)
            return
        conditions: list[tuple[str, str | bool]] = [(group_column, groups[row])]
        if column in ("True", "False"):
            conditions.append(("class_changed", column == "True"))
        set_slice(Slice(tuple(conditions)))

    _CLASS_CHANGED_TABLE(
        data={
            "header": GROUP_LABELS[group_column],
            "rows": [
                {"label": display(group), "True": t, "False": f, "Total": n}
                for group, t, f, n in table.select("group", "True", "False", "Total").iter_rows()
            ],
            "selected": _selected_cell(current, group_column, groups),
            "max_height": TABLE_MAX_HEIGHT,
        },
        key=key,
        on_cell_change=on_cell,
    )


def _selected_cell(current: Slice | None, group_column: str, groups: list[str]) -> list | None:
    if current is None or current.value(group_column) not in groups:
        return None
    changed = current.value("class_changed")
    column = "Total" if changed is None else ("True" if changed else "False")
    return [groups.index(current.value(group_column)), column]


CSS = """
.ld-cct { max-height: var(--max-height); overflow-y: auto; border: 1px solid var(--st-border-color,
          rgba(128, 128, 128, 0.3)); border-radius: 0.5rem; }
.ld-cct table { width: 100%; border-collapse: collapse; font-size: 0.9rem; color: var(--st-text-color, inherit); }
.ld-cct th, .ld-cct td { padding: 0.4rem 0.6rem; border-bottom: 1px solid var(--st-border-color,
                         rgba(128, 128, 128, 0.2)); white-space: nowrap; }
.ld-cct th { position: sticky; top: 0; background: var(--st-secondary-background-color, #f4f6f8); font-weight: 600;
             text-align: left; }
.ld-cct th.num, .ld-cct td.num { text-align: right; font-variant-numeric: tabular-nums; }
.ld-cct td.label { overflow: hidden; text-overflow: ellipsis; max-width: 12rem; }
.ld-cct td { cursor: pointer; }
.ld-cct td:hover { background: var(--st-secondary-background-color, rgba(128, 128, 128, 0.12)); }
.ld-cct td.selected { outline: 2px solid var(--st-primary-color, #0f766e); outline-offset: -2px;
                      background: var(--st-secondary-background-color, rgba(15, 118, 110, 0.08)); font-weight: 600; }
.ld-cct tr:last-child td { border-bottom: none; }
"""

JS = r"""
export default function (component) {
  const { data, setTriggerValue, parentElement } = component;
  let box = parentElement.querySelector(".ld-cct");
  if (!box) {
    box = document.createElement("div");
    box.className = "ld-cct";
    parentElement.appendChild(box);
  }
  box.__send = setTriggerValue;
  box.style.setProperty("--max-height", data.max_height + "px");
  const columns = ["label", "True", "False", "Total"];
  const table = document.createElement("table");
  const head = table.createTHead().insertRow();
  for (const name of columns) {
    const th = document.createElement("th");
    th.textContent = name === "label" ? data.header : name;
    if (name !== "label") th.className = "num";
    if (name === "True" || name === "False") th.title = "Class Changed: " + name;
    head.appendChild(th);
  }
  const body = table.createTBody();
  data.rows.forEach((row, index) => {
    const tr = body.insertRow();
    for (const name of columns) {
      const td = tr.insertCell();
      td.textContent = name === "label" ? row.label : Number(row[name]).toLocaleString();
      td.className = name === "label" ? "label" : "num";
      if (name === "label") td.title = row.label;
      const selected = data.selected && data.selected[0] === index && (data.selected[1] === name
        || (name === "label" && data.selected[1] === "Total"));
      if (selected) td.classList.add("selected");
      td.dataset.row = String(index);
      td.dataset.column = name === "label" ? "Total" : name;  // the label stands for the whole row
      td.addEventListener("click", () => box.__send("cell", [index, td.dataset.column]));
    }
  });
  box.replaceChildren(table);
}
"""

# Not in a shadow root, like the tile grid: the page's tests and the browser bench click its cells.
_CLASS_CHANGED_TABLE = st.components.v2.component("labeldeck.class_changed_table", css=CSS, js=JS, isolate_styles=False)
