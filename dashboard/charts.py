"""Plotly distributions, pre-binned in polars: Expert Review Area, the Current to Auto/Pre Label Adjustment Factor
(log scale, 1.0 marked), and the pre-label → expert confusion matrix. Box-selecting a histogram range sets the
matching min/max filter; clicking a matrix cell selects that slice."""

from __future__ import annotations

import math
from dataclasses import replace

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from core.analysis import queries
from core.analysis.filters import ResultFilter, Slice
from core.domain.vocabulary import ADDED_ROW
from dashboard.text import plotly_text
from dashboard.url_state import set_slice

CHANGED_COLORS = {False: "#4C78A8", True: "#F58518"}
NICE_TICKS = [
    0.01,
    0.02,
    0.05,
    0.1,
    0.2,
    0.5,
    1,
    2,
    5,
    10,
    20,
    50,
    100,
    200,
    500,
    1e3,
    2e3,
    5e3,
    1e4,
    2e4,
    5e4,
    1e5,
    2e5,
    5e5,
    1e6,
    2e6,
    5e6,
    1e7,
]


def histogram_ui(
    results: pl.DataFrame,
    *,
    column: str,
    edges: list[float],
    title: str,
    key: str,
    range_names: tuple[str, str],
    applied: ResultFilter,
    on_range,
    mark_one: bool = False,
) -> None:
    """A log-x histogram stacked by Class Changed. Bars sit at log10 positions on a linear axis, so bar widths,
    box selections and the 1.0 marker are all exact."""
    counts = queries.histogram(results, column, edges)
    if counts.is_empty():
        st.caption(f"{title}: no values for these results.")
        return
    figure = go.Figure()
    for changed in (False, True):
        part = counts.filter(pl.col("class_changed") == changed)
        left = part["left"].log10()
        right = part["right"].log10()
        figure.add_bar(
            x=((left + right) / 2).to_list(),
            y=part["count"].to_list(),
            width=(right - left).to_list(),
            name=f"Class Changed: {changed}",
            marker_color=CHANGED_COLORS[changed],
            customdata=list(zip(part["left"].to_list(), part["right"].to_list())),
            hovertemplate="%{customdata[0]:.3g} – %{customdata[1]:.3g}: %{y:,} results<extra>%{fullData.name}</extra>",
        )
    low, high = math.log10(edges[0]), math.log10(edges[-1])
    ticks = [t for t in NICE_TICKS if low <= math.log10(t) <= high] or [edges[0], edges[-1]]
    figure.update_layout(
        title=title,
        barmode="stack",
        bargap=0,
        dragmode="select",
        height=300,
        margin=dict(l=10, r=10, t=40, b=10),
        legend=dict(orientation="h", yanchor="top", y=-0.12, xanchor="left", x=0),
        xaxis=dict(tickvals=[math.log10(t) for t in ticks], ticktext=[f"{t:g}" for t in ticks], range=[low, high]),
        yaxis=dict(title="results"),
    )
    if mark_one and low <= 0 <= high:
        figure.add_vline(x=0, line_dash="dash", line_color="gray", annotation_text="1.0 (same size)")

    def on_select() -> None:
        boxes = st.session_state[key]["selection"].get("box", [])
        if not boxes:
            return
        x0, x1 = sorted(boxes[0]["x"])
        on_range(replace(applied, **{range_names[0]: float(f"{10**x0:.4g}"), range_names[1]: float(f"{10**x1:.4g}")}))

    st.plotly_chart(figure, key=key, on_select=on_select, selection_mode=("box",), config={"displaylogo": False})


def confusion_ui(results: pl.DataFrame, *, display, key: str, order: list[str]) -> None:
    """Pre-label class (rows) → expert class (columns); every cell is a slice."""
    cells = queries.confusion(results)
    if cells.is_empty():
        st.caption("Pre-label → expert: no results.")
        return

    # Classes on the axes and in the hover as Plotly text, escaped; customdata keeps the names themselves, for the
    # slice a click selects.
    def shown(name: str) -> str:
        return plotly_text(display(name))

    cells = cells.with_columns(
        pl.col("pre_class_row").map_elements(shown, return_dtype=pl.String).alias("pre"),
        pl.col("class_row").map_elements(shown, return_dtype=pl.String).alias("expert"),
        (pl.col("pre_class_row") != pl.col("class_row")).alias("changed"),
    )
    biggest = max(int(cells["count"].max()), 1)
    figure = go.Figure(
        go.Scatter(
            x=cells["expert"].to_list(),
            y=cells["pre"].to_list(),
            mode="markers+text",
            text=[f"{n:,}" for n in cells["count"]],
            textposition="middle center",
            marker=dict(
                symbol="square",
                size=[18 + 30 * math.sqrt(n / biggest) for n in cells["count"]],
                color=[CHANGED_COLORS[c] for c in cells["changed"]],
                opacity=0.55,
            ),
            customdata=list(zip(cells["pre_class_row"].to_list(), cells["class_row"].to_list())),
            hovertemplate="pre-label %{y} → expert %{x}: %{text} results<extra></extra>",
        )
    )
    expert_axis = [shown(c) for c in order if c in set(cells["class_row"])]
    pre_axis = [shown(c) for c in order + [ADDED_ROW] if c in set(cells["pre_class_row"])]
    figure.update_layout(
        title="Pre-label → expert",
        height=340,
        margin=dict(l=10, r=10, t=40, b=10),
        showlegend=False,
        xaxis=dict(title="expert class", categoryorder="array", categoryarray=expert_axis),
        yaxis=dict(title="pre-label class", categoryorder="array", categoryarray=pre_axis[::-1]),
    )

    def on_select() -> None:
        points = st.session_state[key]["selection"].get("points", [])
        if not points:
            return
        pre, expert = points[0]["customdata"]
        set_slice(Slice((("pre_class_row", pre), ("class_row", expert))))

    st.plotly_chart(figure, key=key, on_select=on_select, selection_mode=("points",), config={"displaylogo": False})
