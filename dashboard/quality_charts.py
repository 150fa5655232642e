"""The Pre-label quality section's Plotly figures, styled like dashboard/charts.py (no template or background of
their own, so the app's light or dark theme shows through; the Tableau colours): the expert's edits by confidence
threshold with the fewest marked, the precision-recall curve, and a classification job's confusion matrix."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from core.analysis.quality.figures import Confusion, Effort
from dashboard.text import plotly_text

# Tableau 10: blue, red, green, purple; the best threshold in orange, the Class Changed colour.
EDIT_LINES = (
    ("edits", "edits", "#4C78A8", "solid", 3),
    ("deletions", "deletions (removed pre-labels)", "#E45756", "dash", 2),
    ("additions", "additions (drawn from scratch)", "#54A24B", "dash", 2),
    ("relabels", "relabels", "#B279A2", "dash", 2),
)
BEST_COLOR = "#F58518"
# The legend under the x axis's title, clear of it.
_LAYOUT = dict(margin=dict(l=10, r=10, t=40, b=10), legend=dict(orientation="h", yanchor="top", y=-0.26, x=0))


def best_words(best: Effort) -> str:
    return f"best threshold {best.threshold:.3g}: {best.edits:,} edit{'s' if best.edits != 1 else ''}"


def effort_figure(curve: pl.DataFrame, *, best: Effort | None, marked: float = 0.0) -> go.Figure:
    """Edits and their parts by confidence threshold (core.analysis.quality.figures.CURVE_SCHEMA); the best
    threshold marked with a point and its words; `marked`: the table's confidence, a dashed line when above 0."""
    figure = go.Figure()
    thresholds = curve["threshold"].to_list()
    for column, name, color, dash, width in EDIT_LINES:
        figure.add_scatter(
            x=thresholds,
            y=curve[column].to_list(),
            name=name,
            mode="lines",
            line=dict(color=color, dash=dash, width=width, shape="hv"),
            hovertemplate=f"confidence ≥ %{{x:.2f}}: %{{y:,}} {column}<extra></extra>",
        )
    if best is not None:
        figure.add_scatter(
            x=[best.threshold],
            y=[best.edits],
            name="best threshold",
            mode="markers",
            marker=dict(color=BEST_COLOR, size=13, symbol="star", line=dict(width=1, color=BEST_COLOR)),
            customdata=[[best.deletions, best.additions, best.relabels, best.kept]],
            hovertemplate="best threshold %{x:.3g}: %{y:,} edits (%{customdata[0]:,} deletions, "
            "%{customdata[1]:,} additions, %{customdata[2]:,} relabels), %{customdata[3]:,} pre-labels kept"
            "<extra></extra>",
        )
        figure.add_annotation(
            x=best.threshold,
            y=best.edits,
            text=best_words(best),
            showarrow=True,
            arrowhead=2,
            arrowcolor=BEST_COLOR,
            ax=40,
            ay=-40,
            font=dict(color=BEST_COLOR),
            name="best threshold",
        )
    if marked > 0:
        figure.add_vline(x=marked, line_dash="dash", line_color="gray", opacity=0.7)
    figure.update_layout(
        **_LAYOUT,
        title="Expert edits by confidence threshold",
        height=380,
        dragmode=False,
        hovermode="closest",
        xaxis=dict(title="pre-labels kept: confidence ≥", range=[0, 1]),
        yaxis=dict(title="edits", rangemode="tozero"),
    )
    return figure


def precision_recall_figure(curve: pl.DataFrame) -> go.Figure:
    """Precision against recall of the pre-labels kept at each threshold of the curve."""
    points = curve.filter(pl.col("precision").is_not_null() & pl.col("recall").is_not_null())
    figure = go.Figure(
        go.Scatter(
            x=points["recall"].to_list(),
            y=points["precision"].to_list(),
            mode="lines+markers",
            marker=dict(size=4, color="#4C78A8"),
            line=dict(color="#4C78A8"),
            customdata=points.select("threshold", "kept").rows(),
            hovertemplate="confidence ≥ %{customdata[0]:.2f} (%{customdata[1]:,} pre-labels kept): precision "
            "%{y:.3f}, recall %{x:.3f}<extra></extra>",
            name="precision-recall",
        )
    )
    figure.update_layout(
        **_LAYOUT,
        title="Precision-recall by confidence threshold",
        height=380,
        dragmode=False,
        showlegend=False,
        xaxis=dict(title="recall", range=[0, 1.02]),
        yaxis=dict(title="precision", range=[0, 1.02]),
    )
    return figure


def confusion_figure(confusion: Confusion, *, display) -> go.Figure:
    """Counts of (expert class, pre-label class), rows the expert's, as scikit-learn's confusion matrix."""
    expert = [plotly_text(display(c)) for c in confusion.expert]
    pre = [plotly_text(display(c)) for c in confusion.pre]
    figure = go.Figure(
        go.Heatmap(
            z=[list(row) for row in confusion.counts],
            x=pre,
            y=expert,
            colorscale="Blues",
            showscale=False,
            texttemplate="%{z:,}",
            hovertemplate="expert %{y}, pre-label %{x}: %{z:,} images<extra></extra>",
            xgap=2,
            ygap=2,
        )
    )
    figure.update_layout(
        **_LAYOUT,
        title="Confusion matrix (images)",
        height=80 + 36 * max(len(expert), 1),
        dragmode=False,
        xaxis=dict(title="pre-label class", type="category", side="bottom"),
        yaxis=dict(title="expert class", type="category", autorange="reversed"),
    )
    return figure
