"""The Pre-label quality section's table: a row per class with its figures, each count a link to the results it
counts (core.analysis.quality.slices). A components v2 element, as the Class Changed table is: a count is a real
link (its address opens the same view in a new tab), and a plain click opens the slice on this page at once.
Class names go in as text, never HTML."""

from __future__ import annotations

from collections.abc import Callable

import polars as pl
import streamlit as st

from core.analysis.filters import ResultFilter
from core.analysis.quality.figures import JobQuality
from core.analysis.quality.slices import SLICE_COUNTS, slice_filter

# (key, header, help); the counts among them link to their results.
COLUMNS = (
    ("expert_labels", "Expert labels", "The class's expert labels"),
    ("pre_labels", "Pre-labels", "The class's pre-labels"),
    ("ap", "AP", "COCO's AP@[.5:.95]"),
    ("ap50", "AP50", "COCO's AP at IoU .5"),
    ("precision", "Precision", "Pre-labels matched to an expert label of their class / pre-labels"),
    ("recall", "Recall", "Expert labels matched by a pre-label of their class / expert labels"),
    ("f1", "F1", "2PR / (P + R)"),
    ("false_positives", "False positives", "Pre-labels of the class the expert removed or relabelled"),
    ("missed", "Missed", "Expert labels of the class without a pre-label of it: added, or relabelled to it"),
)
BOX_ONLY = ("ap", "ap50")  # COCO's figures for boxes: not shown for classification


def quality_rows(
    quality: JobQuality, counts: pl.DataFrame, *, display, url: Callable[[ResultFilter], str], min_confidence: float
) -> list[dict]:
    """One row per class: its label, and per column its text and, for a count, the link to its results.
    counts: core.analysis.quality.slices.class_slices of the job."""
    rows = []
    for row in counts.iter_rows(named=True):
        figures = quality.per_class[row["class"]]
        cells = {}
        for key, _, _ in COLUMNS:
            if key in SLICE_COUNTS:
                chosen = slice_filter(key, row["class"], min_confidence=min_confidence)
                cells[key] = {"text": f"{row[key]:,}", "href": url(chosen), "count": row[key]}
            else:
                value = getattr(figures, key)
                cells[key] = {"text": "–" if value is None else f"{value:.3f}"}
        rows.append({"class": row["class"], "label": display(row["class"]), "cells": cells})
    return rows


def quality_table_ui(rows: list[dict], *, is_detection: bool, min_confidence: float, on_open) -> None:
    """on_open(class name, count key): called before the run that follows a plain click on a count."""
    columns = [
        {"key": key, "header": header, "help": help}
        for key, header, help in COLUMNS
        if is_detection or key not in BOX_ONLY
    ]
    if min_confidence > 0:
        columns = [
            {**c, "header": f"False positives ≥ {min_confidence:g}"} if c["key"] == "false_positives" else c
            for c in columns
        ]
    key = "quality_table"

    def opened() -> None:
        index, column = st.session_state[key]["open"]
        on_open(rows[index]["class"], column)

    _QUALITY_TABLE(
        data={"columns": columns, "rows": [{"label": r["label"], "cells": r["cells"]} for r in rows]},
        key=key,
        on_open_change=opened,
    )


CSS = """
.ld-qt { overflow-x: auto; border: 1px solid var(--st-border-color, rgba(128, 128, 128, 0.3)); border-radius: 0.5rem; }
.ld-qt table { width: 100%; border-collapse: collapse; font-size: 0.9rem; color: var(--st-text-color, inherit); }
.ld-qt th, .ld-qt td { padding: 0.4rem 0.6rem; border-bottom: 1px solid var(--st-border-color,
                       rgba(128, 128, 128, 0.2)); white-space: nowrap; text-align: right;
                       font-variant-numeric: tabular-nums; }
.ld-qt th { background: var(--st-secondary-background-color, #f4f6f8); font-weight: 600; }
.ld-qt th:first-child, .ld-qt td:first-child { text-align: left; max-width: 14rem; overflow: hidden;
                                               text-overflow: ellipsis; }
.ld-qt a { color: var(--st-primary-color, #0f766e); text-decoration: underline; text-underline-offset: 2px; }
.ld-qt a:hover { text-decoration-thickness: 2px; }
.ld-qt tr:last-child td { border-bottom: none; }
"""

JS = r"""
export default function (component) {
  const { data, setTriggerValue, parentElement } = component;
  let box = parentElement.querySelector(".ld-qt");
  if (!box) {
    box = document.createElement("div");
    box.className = "ld-qt";
    parentElement.appendChild(box);
  }
  box.__send = setTriggerValue;  // the handlers below outlive this render: they call the latest sender
  const table = document.createElement("table");
  const head = table.createTHead().insertRow();
  const first = document.createElement("th");
  first.textContent = "Class";
  head.appendChild(first);
  for (const column of data.columns) {
    const th = document.createElement("th");
    th.textContent = column.header;
    th.title = column.help;
    head.appendChild(th);
  }
  const body = table.createTBody();
  data.rows.forEach((row, index) => {
    const tr = body.insertRow();
    const label = tr.insertCell();
    label.textContent = row.label;
    label.title = row.label;
    for (const column of data.columns) {
      const td = tr.insertCell();
      const cell = row.cells[column.key];
      td.dataset.column = column.key;
      if (cell.href) {
        const a = document.createElement("a");
        a.href = cell.href;
        a.textContent = cell.text;
        a.title = "Open these " + cell.count.toLocaleString() + " results";
        a.addEventListener("click", (event) => {
          // A plain click opens the slice here; a click with a modifier opens the link as a browser does.
          if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
          event.preventDefault();
          box.__send("open", [index, column.key]);
        });
        td.appendChild(a);
      } else {
        td.textContent = cell.text;
      }
    }
  });
  box.replaceChildren(table);
}
"""

# Not in a shadow root, like the Class Changed table: the page's tests click its links.
_QUALITY_TABLE = st.components.v2.component("labeldeck.quality_table", css=CSS, js=JS, isolate_styles=False)
