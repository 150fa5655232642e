"""The Overview's Pre-label quality section: a row per READY manual label job with its headline figures, linked to
the job's Pre-label quality section on Visualize, and the trend of AP (accuracy for classification) across the jobs
made from the same auto label job, or else with the same label spec."""

from __future__ import annotations

from urllib.parse import urlencode

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboard.overview_charts import REVIEWER_COLORS
from dashboard.quality_section import SECTION_KEY
from dashboard.text import plotly_text

VISUALIZE_URL = "visualize"


def quality_section_url(job_id: int) -> str:
    """The job's Visualize page with its Pre-label quality section open."""
    return f"{VISUALIZE_URL}?{urlencode({'job': str(job_id), SECTION_KEY: 'true'})}"


def quality_overview_ui(by_job: pl.DataFrame) -> None:
    """by_job: core.analysis.quality.across_jobs.quality_by_job."""
    st.subheader("Pre-label quality")
    st.caption(
        "How good each job's pre-labels were, the expert labels taken as the truth: AP for detection (COCO's, "
        "@[.5:.95]), accuracy for classification; precision and recall at the job's IoU; the edits the expert "
        "made and the confidence threshold that would have needed the fewest. Each row opens the job's "
        "Pre-label quality section."
    )
    table = by_job.with_columns(pl.Series("open", [quality_section_url(j) for j in by_job["job_id"]], dtype=pl.String))
    st.dataframe(
        table.select(
            "job",
            "ap",
            "ap50",
            "accuracy",
            "precision",
            "recall",
            "f1",
            "best_threshold",
            "edits",
            "best_edits",
            "open",
        ),
        key="overview_quality",
        hide_index=True,
        column_config={
            "job": st.column_config.TextColumn("Job"),
            "ap": st.column_config.NumberColumn("AP", format="%.3f", help="COCO's AP@[.5:.95] (detection)"),
            "ap50": st.column_config.NumberColumn("AP50", format="%.3f", help="COCO's AP at IoU .5 (detection)"),
            "accuracy": st.column_config.NumberColumn("Accuracy", format="%.3f", help="Classification"),
            "precision": st.column_config.NumberColumn("Precision", format="%.3f"),
            "recall": st.column_config.NumberColumn("Recall", format="%.3f"),
            "f1": st.column_config.NumberColumn("F1", format="%.3f"),
            "best_threshold": st.column_config.NumberColumn(
                "Best threshold", format="%.3g", help="The pre-label confidence threshold with the fewest edits"
            ),
            "edits": st.column_config.NumberColumn(
                "Edits", format="localized", help="The expert's edits, every pre-label kept"
            ),
            "best_edits": st.column_config.NumberColumn(
                "Edits at best",
                format="localized",
                help="The edits had the pre-labels below the best threshold been dropped",
            ),
            "open": st.column_config.LinkColumn(
                "Visualize", display_text="Pre-label quality", help="The job's Pre-label quality section"
            ),
        },
    )
    st.plotly_chart(trend_figure(by_job), key="overview_quality_trend", config={"displaylogo": False})


def trend_figure(by_job: pl.DataFrame) -> go.Figure:
    """AP (accuracy for classification) by job, the jobs in the order they were made, a line per series. The axis
    names the jobs rather than placing their creation times: jobs made minutes or months apart read alike."""
    figure = go.Figure()
    shown = by_job.filter(pl.col("headline").is_not_null()).sort("created_at", "job_id")
    for index, series in enumerate(shown["series"].unique(maintain_order=True)):
        rows = shown.filter(pl.col("series") == series)
        color = REVIEWER_COLORS[index % len(REVIEWER_COLORS)]
        figure.add_scatter(
            x=[plotly_text(name) for name in rows["job"]],
            y=rows["headline"].to_list(),
            name=plotly_text(series),
            mode="lines+markers",
            marker=dict(size=9, color=color),
            line=dict(color=color),
            text=[plotly_text(name) for name in rows["job"]],
            customdata=[
                [created.strftime("%d %b %Y %H:%M"), "AP" if task == "detection" else "accuracy"]
                for created, task in rows.select("created_at", "task").iter_rows()
            ],
            hovertemplate="%{text}, made %{customdata[0]} UTC<br>%{customdata[1]} %{y:.3f}"
            "<extra>%{fullData.name}</extra>",
        )
    figure.update_layout(
        title="AP (accuracy for classification) by job, oldest first, a line per auto label job or label spec",
        height=320,
        margin=dict(l=10, r=10, t=40, b=10),
        legend=dict(orientation="h", yanchor="top", y=-0.2, x=0),
        dragmode=False,
        xaxis=dict(type="category", categoryorder="array", categoryarray=[plotly_text(n) for n in shown["job"]]),
        yaxis=dict(title="AP · accuracy", range=[0, 1.02]),
    )
    return figure
