"""The Overview page's sections: key figures, review progress, decisions per reviewer per day, the Class Changed rate
per class, and the rejected share with its reasons. Every number sits in a table with a link to the results behind
it: Visualize with the job, tab, filter and slice that show exactly those results, or the job's Activity.

Links are relative (`visualize?job=…`), so they resolve beside the Overview whatever path the app is served under;
Streamlit names a page's URL after its file (pages/visualize.py → visualize).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from urllib.parse import urlencode

import polars as pl
import streamlit as st

from core.analysis import overview
from core.analysis.filters import GROUP_BYS, ResultFilter, Slice, to_query_params
from core.domain.plural import plural
from core.domain.vocabulary import REMOVED_ROW, ReviewState
from dashboard.overview_charts import MAX_BARS, chart_ui, class_rates_figure, decisions_figure, reasons_figure
from dashboard.text import md

VISUALIZE_URL = "visualize"
ACTIVITY_URL = "activity"
WINDOWS = (7, 30, 90)  # days of decisions to show
TOP_REASONS_PER_JOB = 3
NO_FILTER = ResultFilter()


# ---- links ---------------------------------------------------------------------------------------------------------


def visualize_url(
    job_id: int,
    *,
    tab: str = ReviewState.PENDING,
    result_filter: ResultFilter = NO_FILTER,
    group_by: str = GROUP_BYS[0],
    selected: Slice | None = None,
) -> str:
    """The Visualize page of a job on `tab`, with a filter, grouping and slice, in the query params it reads."""
    params: dict[str, str | list[str]] = {"job": str(job_id), "tab": tab, **to_query_params(result_filter)}
    if group_by != GROUP_BYS[0]:
        params["group_by"] = group_by
    if selected is not None:
        params["slice"] = selected.to_params()
    return f"{VISUALIZE_URL}?{urlencode(params, doseq=True)}"


def changed_as_expert_class_url(job_id: int, class_name: str) -> str:
    """The results of the job whose expert class is `class_name` and whose class changed (relabeled to it, or
    added): Visualize's Results figure counts them, the tabs split them by review state."""
    return visualize_url(job_id, result_filter=ResultFilter(classes=(class_name,), class_changed=True))


def removed_pre_labels_url(job_id: int, class_name: str) -> str:
    """The job's removed results whose pre-label was `class_name`: the removed results grouped by pre-label class,
    that class's row selected."""
    return visualize_url(
        job_id,
        result_filter=ResultFilter(classes=(REMOVED_ROW,)),
        group_by="pre-label class",
        selected=Slice((("pre_class_row", class_name),)),
    )


def activity_url(job_id: int, reviewer: str | None = None, day: date | None = None) -> str:
    """The job's Activity, narrowed to the reviewer's events of that UTC day when given."""
    params = {"job": str(job_id)} | ({"reviewer": reviewer} if reviewer else {})
    if day is not None:
        params["day"] = day.isoformat()
    return f"{ACTIVITY_URL}?{urlencode(params)}"


def _links(frame: pl.DataFrame, make, *columns: str) -> pl.Series:
    """One URL per row of an aggregated table (a few rows per job or class, never per result)."""
    return pl.Series([make(*row) for row in frame.select(columns).iter_rows()], dtype=pl.String)


# ---- sections ------------------------------------------------------------------------------------------------------


def kpis_ui(totals: overview.Totals) -> None:
    jobs, results, reviewed, rejected = st.columns(4)
    jobs.metric("Jobs READY", f"{totals.jobs:,}", help="READY manual label jobs: the jobs with results to review")
    results.metric("Results", f"{totals.results:,}")
    reviewed.metric(
        "Reviewed",
        f"{totals.reviewed_share:.1%}",
        help=f"{totals.reviewed:,} of {plural(totals.results, 'result')} accepted or rejected",
    )
    share = totals.rejected_share
    rejected.metric(
        "Rejected share",
        "–" if share is None else f"{share:.1%}",
        help=f"Of the {totals.reviewed:,} reviewed results, {totals.rejected:,} rejected",
    )


def progress_ui(progress: pl.DataFrame) -> None:
    """progress: core.analysis.overview.review_progress."""
    st.subheader("Review progress")
    table = progress.with_columns(_links(progress, visualize_url, "job_id").alias("open"))
    st.dataframe(
        table.select("job", "tag", "results", "pending", "accepted", "rejected", "reviewed_share", "open"),
        key="overview_progress",
        hide_index=True,
        column_config={
            "job": st.column_config.TextColumn("Job"),
            "tag": st.column_config.TextColumn("Tag", width="small"),
            "results": st.column_config.NumberColumn("Results", format="localized"),
            "pending": st.column_config.NumberColumn("Pending Review", format="localized"),
            "accepted": st.column_config.NumberColumn("Accepted", format="localized"),
            "rejected": st.column_config.NumberColumn("Rejected", format="localized"),
            "reviewed_share": st.column_config.ProgressColumn(
                "Reviewed", format="percent", min_value=0.0, max_value=1.0
            ),
            "open": st.column_config.LinkColumn(
                "Visualize", display_text="Pending Review", help="The job's Pending Review tab on Visualize"
            ),
        },
    )


def decisions_window_ui() -> int:
    """The section's heading and its window: the number of days of decisions to show."""
    st.subheader("Decisions per reviewer per day")
    days = st.segmented_control(
        "Window",
        WINDOWS,
        default=30,
        key="overview_days",
        required=True,
        format_func=lambda d: f"Last {d} days",
        label_visibility="collapsed",
    )
    return days or overview.DEFAULT_DAYS


def decisions_ui(decisions: pl.DataFrame, *, days: int) -> None:
    """decisions: core.analysis.overview.decisions_per_day over `days` days."""
    if decisions.is_empty():
        st.info(f"No review decisions in the last {days} days.", icon=":material/event_busy:")
        return
    today = datetime.now(UTC).date()
    st.caption(
        "Results each reviewer moved per day (UTC), stacked by reviewer. An undo is not a decision: "
        "the results it sent back are counted as undone. Click a bar to list that reviewer's day below."
    )
    clicked = chart_ui(
        decisions_figure(overview.reviewer_days(decisions), days=days, today=today), key="overview_decisions_chart"
    )
    if clicked:
        day, reviewer = clicked[0], clicked[1]
        decisions = decisions.filter((pl.col("day").cast(pl.String) == day) & (pl.col("reviewer") == reviewer))
        st.caption(f"Showing {md(reviewer)} on {md(day)}; click the bar again to show every day.")
    table = decisions.with_columns(_links(decisions, activity_url, "job_id", "reviewer", "day").alias("open"))
    st.dataframe(
        table.select("day", "reviewer", "job", "decisions", "accepted", "rejected", "pending", "undone", "open"),
        key="overview_decisions",
        hide_index=True,
        column_config={
            "day": st.column_config.DateColumn("Day (UTC)", format="D MMM YYYY"),
            "reviewer": st.column_config.TextColumn("Reviewer"),
            "job": st.column_config.TextColumn("Job"),
            "decisions": st.column_config.NumberColumn("Decisions", format="localized"),
            "accepted": st.column_config.NumberColumn("Accepted", format="localized"),
            "rejected": st.column_config.NumberColumn("Rejected", format="localized"),
            "pending": st.column_config.NumberColumn("Back to pending", format="localized"),
            "undone": st.column_config.NumberColumn(
                "Undone", format="localized", help="Results the reviewer's undos sent back"
            ),
            "open": st.column_config.LinkColumn(
                "Activity", display_text="Activity", help="The reviewer's events of that day on the job: what, and why"
            ),
        },
    )


def class_changed_ui(by_job: pl.DataFrame) -> None:
    """by_job: core.analysis.overview.class_changed_by_job."""
    st.subheader("Class Changed rate per class")
    if by_job.is_empty():
        st.info("The READY jobs have no results yet.", icon=":material/category:")
        return
    rates = overview.class_changed_rates(by_job)
    st.caption(
        "Which classes the pre-labels get wrong most, across jobs (by class name). A result counts under "
        "its expert class; a removed pre-label box under the pre-label's class. Click a bar to list that "
        "class's jobs below."
    )
    if rates.height > MAX_BARS:
        st.caption(
            f"The chart shows the {MAX_BARS} worst of {plural(rates.height, 'class')}; the table lists them all."
        )
    clicked = chart_ui(class_rates_figure(rates), key="overview_class_chart")
    if clicked:
        by_job = by_job.filter(pl.col("class_name") == clicked[0])
        st.caption(f"Showing {md(clicked[0])}; click the bar again to show every class.")
    table = by_job.with_columns(
        (pl.col("class_changed") - pl.col("removed")).alias("as_expert_class"),
        _links(by_job, changed_as_expert_class_url, "job_id", "class_name").alias("open"),
    )
    st.dataframe(
        table.select("class_name", "job", "results", "class_changed", "rate", "as_expert_class", "removed", "open"),
        key="overview_class_changed",
        hide_index=True,
        column_config={
            "class_name": st.column_config.TextColumn("Class"),
            "job": st.column_config.TextColumn("Job"),
            "results": st.column_config.NumberColumn("Results", format="localized"),
            "class_changed": st.column_config.NumberColumn("Class Changed", format="localized"),
            "rate": st.column_config.ProgressColumn("Rate", format="percent", min_value=0.0, max_value=1.0),
            "as_expert_class": st.column_config.NumberColumn(
                "Changed to it",
                format="localized",
                help="Class Changed = True with this expert class: relabeled to it, or added",
            ),
            "removed": st.column_config.NumberColumn(
                "Removed", format="localized", help="Pre-label boxes of this class the expert removed: listed below"
            ),
            "open": st.column_config.LinkColumn(
                "Visualize", display_text="Changed to it", help="The results changed to this class, on Visualize"
            ),
        },
    )
    removed = by_job.filter(pl.col("removed") > 0)
    if not removed.is_empty():
        st.caption(
            "Removed pre-label boxes: Visualize lists them under (removed); the link groups them by pre-label class."
        )
        st.dataframe(
            removed.with_columns(_links(removed, removed_pre_labels_url, "job_id", "class_name").alias("open")).select(
                "class_name", "job", "removed", "open"
            ),
            key="overview_removed",
            hide_index=True,
            column_config={
                "class_name": st.column_config.TextColumn("Pre-label class"),
                "job": st.column_config.TextColumn("Job"),
                "removed": st.column_config.NumberColumn("Removed", format="localized"),
                "open": st.column_config.LinkColumn(
                    "Visualize",
                    display_text="Removed pre-labels",
                    help="The removed results of this pre-label class, on Visualize (in each review-state tab)",
                ),
            },
        )


def rejections_ui(progress: pl.DataFrame, reasons: pl.DataFrame) -> None:
    """progress: core.analysis.overview.review_progress; reasons: core.analysis.overview.rejection_reasons."""
    st.subheader("Rejected share and top reasons")
    if reasons.is_empty():
        st.info("Nothing is rejected yet.", icon=":material/thumb_down_off:")
        return
    st.caption(
        "Reasons as reviewers typed them, compared without case and extra spaces; a rejected result "
        "counts under the reason of the action that rejected it. Click a bar to list the jobs with that "
        "reason."
    )
    table_column, chart_column = st.columns([3, 2])
    with chart_column:
        clicked = chart_ui(reasons_figure(overview.top_reasons(reasons)), key="overview_reasons_chart")
    jobs = progress.filter(pl.col("rejected") > 0)
    if clicked:
        jobs = jobs.join(reasons.filter(pl.col("reason") == clicked[0]).select("job_id"), on="job_id", how="semi")
    top = reasons.group_by("job_id", maintain_order=True).agg(
        pl.format("{} ({})", "reason", "results").head(TOP_REASONS_PER_JOB).str.join(" · ").alias("top")
    )
    table = jobs.join(top, on="job_id", how="left", maintain_order="left").with_columns(
        _links(jobs, lambda job_id: visualize_url(job_id, tab=ReviewState.REJECTED), "job_id").alias("open")
    )
    with table_column:
        if clicked:
            st.caption(f"Jobs with rejections for “{md(clicked[0])}”; click the bar again to show every job.")
        st.dataframe(
            table.select("job", "reviewed", "rejected", "rejected_share", "top", "open"),
            key="overview_rejections",
            hide_index=True,
            column_config={
                "job": st.column_config.TextColumn("Job"),
                "reviewed": st.column_config.NumberColumn("Reviewed", format="localized"),
                "rejected": st.column_config.NumberColumn("Rejected", format="localized"),
                "rejected_share": st.column_config.ProgressColumn(
                    "Rejected share",
                    format="percent",
                    min_value=0.0,
                    max_value=1.0,
                    help="Of the job's reviewed results, the share rejected",
                ),
                "top": st.column_config.TextColumn("Top reasons (results)", width="large"),
                "open": st.column_config.LinkColumn(
                    "Visualize", display_text="Rejected", help="The job's Rejected tab on Visualize"
                ),
            },
        )
