"""The Overview's plotly figures, styled like dashboard/charts.py: no template or background of their own, so the
app's light or dark theme shows through; the Tableau colours Visualize uses. Bars carry what they stand for in
customdata, so a click can narrow the table of links beside them (chart_ui)."""

from __future__ import annotations

from datetime import date, timedelta

import plotly.graph_objects as go
import polars as pl
import streamlit as st
from plotly.colors import qualitative

from dashboard.charts import CHANGED_COLORS
from dashboard.text import plotly_text

REVIEWER_COLORS = qualitative.T10  # Tableau 10: CHANGED_COLORS are its first two
REJECTED_COLOR = "#E45756"  # Tableau 10's red
MAX_BARS = 20  # a horizontal bar chart stays readable; its table lists every row
DAY_MS = 24 * 3600 * 1000  # a bar's width on a date axis is in milliseconds
_LAYOUT = dict(margin=dict(l=10, r=10, t=10, b=10), legend=dict(orientation="h", yanchor="top", y=-0.15, x=0))


def decisions_figure(per_reviewer_day: pl.DataFrame, *, days: int, today: date) -> go.Figure:
    """Decisions per day stacked by reviewer (core.analysis.overview.reviewer_days); undos are named in the hover only."""
    figure = go.Figure()
    for index, reviewer in enumerate(per_reviewer_day["reviewer"].unique().sort()):
        rows = per_reviewer_day.filter(pl.col("reviewer") == reviewer).sort("day")
        figure.add_bar(
            x=rows["day"].to_list(),
            y=rows["decisions"].to_list(),
            name=plotly_text(reviewer),
            marker_color=REVIEWER_COLORS[index % len(REVIEWER_COLORS)],
            width=DAY_MS * 0.8,
            customdata=rows.select(
                pl.col("day").cast(pl.String), "reviewer", "accepted", "rejected", "pending", "undone"
            ).rows(),
            hovertemplate="%{fullData.name} · %{x|%d %b %Y}<br>%{y:,} decisions: %{customdata[2]:,} accepted, "
            "%{customdata[3]:,} rejected, %{customdata[4]:,} back to pending<br>"
            "%{customdata[5]:,} undone<extra></extra>",
        )
    first = today - timedelta(days=days - 1)
    figure.update_layout(
        **_LAYOUT,
        barmode="stack",
        height=320,
        dragmode=False,
        legend_traceorder="normal",
        xaxis=dict(type="date", range=[str(first - timedelta(hours=12)), str(today) + " 12:00"]),
        yaxis=dict(title="decisions"),
    )
    return figure


def class_rates_figure(rates: pl.DataFrame) -> go.Figure:
    """Class Changed rate per class across jobs (core.analysis.overview.class_changed_rates), the worst on top."""
    shown = rates.head(MAX_BARS)
    figure = go.Figure(
        go.Bar(
            x=shown["rate"].to_list(),
            y=_plotly_texts(shown["class_name"]),
            orientation="h",
            marker_color=CHANGED_COLORS[True],
            text=[f"{c:,} of {n:,}" for c, n in zip(shown["class_changed"], shown["results"], strict=True)],
            textposition="auto",
            customdata=shown.select("class_name", "jobs", "removed").rows(),
            hovertemplate="%{y}: %{x:.1%} Class Changed (%{text} results, %{customdata[2]:,} of them "
            "removed pre-labels) in %{customdata[1]} job(s)<extra></extra>",
        )
    )
    figure.update_layout(
        **_LAYOUT,
        height=_bar_height(shown.height),
        showlegend=False,
        dragmode=False,
        xaxis=dict(title="Class Changed rate", tickformat=".0%", rangemode="tozero"),
        yaxis=dict(autorange="reversed", type="category"),
    )
    return figure


def reasons_figure(reasons: pl.DataFrame) -> go.Figure:
    """Rejected results per reason across jobs (core.analysis.overview.top_reasons), the most frequent on top."""
    shown = reasons.head(MAX_BARS)
    figure = go.Figure(
        go.Bar(
            x=shown["results"].to_list(),
            y=_plotly_texts(shown["reason"]),
            orientation="h",
            marker_color=REJECTED_COLOR,
            customdata=shown.select("reason", "jobs").rows(),
            hovertemplate="%{y}: %{x:,} rejected results in %{customdata[1]} job(s)<extra></extra>",
        )
    )
    figure.update_layout(
        **_LAYOUT,
        height=_bar_height(shown.height),
        showlegend=False,
        dragmode=False,
        xaxis=dict(title="rejected results", rangemode="tozero"),
        yaxis=dict(autorange="reversed", type="category"),
    )
    return figure


def chart_ui(figure: go.Figure, *, key: str) -> list | None:
    """Draw a figure; the customdata of the bar the user clicked, or None."""
    event = st.plotly_chart(
        figure, key=key, on_select="rerun", selection_mode=("points",), config={"displaylogo": False}
    )
    points = event.selection.points if event else []
    return list(points[0]["customdata"]) if points and "customdata" in points[0] else None


def _plotly_texts(names: pl.Series) -> list[str]:
    # Reviewer, class and reason names are shown as Plotly text, escaped (Plotly reads <a href> and a few other tags
    # in them); customdata keeps them as they are, for the table a click narrows.
    return [plotly_text(name) for name in names]


def _bar_height(bars: int) -> int:
    return 60 + 28 * max(bars, 1)
