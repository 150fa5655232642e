"""The Overview for team leads, across the READY manual label jobs: review progress per job, decisions per reviewer
per day, the Class Changed rate per class (which classes the pre-labels get wrong most), and the rejected share
with its top reasons.

Nothing here reads every column of every result: review states are counted on reviewstate's (job_id, state) index,
decisions come from the review events' counts, classes from three columns of each job's cached results frame,
reasons from the rejected results' ids; polars shapes the rest. A store of a million results answers in a few
tenths of a second. The functions that read the store take the engine; those that reshape a frame take the frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import polars as pl
from sqlalchemy import Engine, exists, select
from sqlmodel import Session, col

from core.analysis.results_frame import load_results, state_counts
from core.domain.errors import BadInput
from core.domain.vocabulary import REMOVED_ROW, REVIEW_STATES, JobKind, JobStatus, ReviewState
from core.store import models

NO_REASON = "(no reason)"
# What a review event did to its results, per reviewer per day: the state it moved them to, or an undo.
DECISION_KINDS = (ReviewState.ACCEPTED.value, ReviewState.REJECTED.value, ReviewState.PENDING.value, "undone")
DEFAULT_DAYS = 30

_JOB = models.table_of(models.LabelJob)
_STATE = models.table_of(models.ReviewState)
_EVENT = models.table_of(models.ReviewEvent)

JOB_SCHEMA = {"job_id": pl.Int64, "job": pl.String, "tag": pl.String, "task": pl.String}
_is_removed = pl.col("class_row") == REMOVED_ROW


# ---- review progress per job ---------------------------------------------------------------------------------------


def _ready_job_rows(engine: Engine) -> list[models.LabelJob]:
    """Every READY manual label job (the jobs with results to review), the newest first as on Labeling Jobs."""
    query = (
        select(models.LabelJob)
        .where(col(models.LabelJob.kind) == JobKind.MANUAL, col(models.LabelJob.status) == JobStatus.READY)
        .order_by(col(models.LabelJob.created_at).desc(), col(models.LabelJob.id).desc())
    )
    with Session(engine) as session:
        return list(session.scalars(query).all())


def review_progress(*, engine: Engine) -> pl.DataFrame:
    """One row per READY manual label job, the newest first: job_id, job (its name), tag, task, results, pending,
    accepted, rejected, reviewed (accepted + rejected), reviewed_share (of the results; 0.0 for a job without
    results) and rejected_share (of the reviewed results; null while none is reviewed). Counted from the
    (job_id, state) index of reviewstate alone."""
    jobs = _ready_job_rows(engine)
    job_ids = [models.stored_id(job) for job in jobs]
    counts = state_counts(engine, job_ids)
    zero = dict.fromkeys(REVIEW_STATES, 0)
    frame = pl.DataFrame(
        [
            (job_id, job.name, job.tag, job.task, *(counts.get(job_id, zero)[s] for s in REVIEW_STATES))
            for job_id, job in zip(job_ids, jobs)
        ],
        schema={**JOB_SCHEMA, **dict.fromkeys(REVIEW_STATES, pl.Int64)},
        orient="row",
    )
    return (
        frame.with_columns(
            pl.sum_horizontal(REVIEW_STATES).alias("results"),
            (pl.col("accepted") + pl.col("rejected")).alias("reviewed"),
        )
        .with_columns(
            pl.when(pl.col("results") > 0)
            .then(pl.col("reviewed") / pl.col("results"))
            .otherwise(0.0)
            .alias("reviewed_share"),
            pl.when(pl.col("reviewed") > 0).then(pl.col("rejected") / pl.col("reviewed")).alias("rejected_share"),
        )
        .select(*JOB_SCHEMA, "results", *REVIEW_STATES, "reviewed", "reviewed_share", "rejected_share")
    )


@dataclass(frozen=True)
class Totals:
    """The Overview's key figures over every READY manual label job."""

    jobs: int
    results: int
    reviewed: int
    rejected: int

    @property
    def reviewed_share(self) -> float:
        return self.reviewed / self.results if self.results else 0.0

    @property
    def rejected_share(self) -> float | None:
        """Of the reviewed results, the share rejected; None while nothing is reviewed."""
        return self.rejected / self.reviewed if self.reviewed else None


def totals(progress: pl.DataFrame) -> Totals:
    """The key figures of a `review_progress` frame."""
    sums = progress.select(pl.col("results", "reviewed", "rejected").sum()).row(0, named=True)
    return Totals(jobs=progress.height, results=sums["results"], reviewed=sums["reviewed"], rejected=sums["rejected"])


# ---- decisions per reviewer per day --------------------------------------------------------------------------------


def decisions_per_day(*, engine: Engine, days: int = DEFAULT_DAYS, today: date | None = None) -> pl.DataFrame:
    """What each reviewer did per UTC day and READY manual label job over the last `days` days (today, UTC,
    included): day, reviewer, job_id, job, then the results the reviewer's actions moved to accepted, to rejected
    and back to pending, the results their undos sent back (undone), and decisions (accepted + rejected +
    pending). The newest day first, then reviewer and job.

    Undos are their own kind, not netted: an action and its undo are both work the reviewer did, possibly on
    different days (the undone action may even lie outside the window), so each stays on the day it happened and
    `decisions - undone` is the net when one wants it. An undo counts the results it actually moved back (those
    changed since by someone else stay where they are and are not counted). Only the events' counts are read,
    never their lists of result ids."""
    if days < 1:
        raise BadInput(f"days {days}: give a positive number of days")
    today = today or datetime.now(UTC).date()
    start = datetime.combine(today - timedelta(days=days - 1), time(), tzinfo=UTC)
    end = datetime.combine(today + timedelta(days=1), time(), tzinfo=UTC)
    query = (
        select(
            _EVENT.c.created_at,
            _EVENT.c.reviewer,
            _EVENT.c.job_id,
            _JOB.c.name,
            _EVENT.c.to_state,
            _EVENT.c.undoes_event_id.is_not(None),
            _EVENT.c.result_count,
        )
        .join(_JOB, _JOB.c.id == _EVENT.c.job_id)
        .where(
            _EVENT.c.created_at >= start,
            _EVENT.c.created_at < end,
            _JOB.c.kind == JobKind.MANUAL,
            _JOB.c.status == JobStatus.READY,
        )
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    events = pl.DataFrame(
        rows,
        orient="row",
        schema={
            "created_at": pl.Datetime("us", "UTC"),
            "reviewer": pl.String,
            "job_id": pl.Int64,
            "job": pl.String,
            "to_state": pl.String,
            "is_undo": pl.Boolean,
            "result_count": pl.Int64,
        },
    )
    kind = pl.when(pl.col("is_undo")).then(pl.lit("undone")).otherwise(pl.col("to_state"))
    return (
        events.with_columns(pl.col("created_at").dt.date().alias("day"), kind.alias("kind"))
        .group_by("day", "reviewer", "job_id", "job")
        .agg(pl.col("result_count").filter(pl.col("kind") == k).sum().alias(k) for k in DECISION_KINDS)
        .with_columns(pl.sum_horizontal("accepted", "rejected", "pending").alias("decisions"))
        .sort(["day", "reviewer", "job", "job_id"], descending=[True, False, False, False])
    )


def reviewer_days(decisions: pl.DataFrame) -> pl.DataFrame:
    """A `decisions_per_day` frame summed over jobs: day, reviewer and the counts; the newest day first."""
    return (
        decisions.group_by("day", "reviewer")
        .agg(pl.col(*DECISION_KINDS, "decisions").sum())
        .sort(["day", "reviewer"], descending=[True, False])
    )


# ---- Class Changed rate per class ----------------------------------------------------------------------------------


def class_changed_by_job(*, engine: Engine) -> pl.DataFrame:
    """Class Changed per class name and READY manual label job: class_name, job_id, job, results, class_changed,
    removed and rate (class_changed / results); the worst rate first.

    The question is which classes the pre-labels get wrong, so a result counts under the class it is about: its
    expert class, and for a removed result (the expert deleted a pre-label box, so it has no expert class) the
    class of that pre-label: a spurious "car" box is the pre-labels getting "car" wrong. Visualize's by-class
    figures give removed results a row of their own, `(removed)`; `removed` here says how many of a class's
    changed results are such removed pre-labels, the rest (class_changed - removed) have it as expert class.
    An added result counts under its expert class: the pre-labels missed it.

    Read from each job's results frame (three columns of its parquet cache, built once per job and data revision
    like Visualize's): a class and Class Changed never change with review."""
    jobs = _ready_job_rows(engine)
    parts = [
        load_results(engine, job, columns=["class_row", "pre_class_row", "class_changed"])
        .group_by(pl.when(_is_removed).then("pre_class_row").otherwise("class_row").alias("class_name"))
        .agg(
            pl.len().cast(pl.Int64).alias("results"),
            pl.col("class_changed").sum().cast(pl.Int64).alias("class_changed"),
            _is_removed.sum().cast(pl.Int64).alias("removed"),
        )
        .with_columns(pl.lit(job.id, pl.Int64).alias("job_id"), pl.lit(job.name, pl.String).alias("job"))
        for job in jobs
    ]
    empty = pl.DataFrame(
        schema={
            "class_name": pl.String,
            "results": pl.Int64,
            "class_changed": pl.Int64,
            "removed": pl.Int64,
            "job_id": pl.Int64,
            "job": pl.String,
        }
    )
    return (
        pl.concat([empty, *parts], how="vertical")
        .with_columns((pl.col("class_changed") / pl.col("results")).alias("rate"))
        .select("class_name", "job_id", "job", "results", "class_changed", "removed", "rate")
        .sort(["rate", "class_changed", "class_name", "job_id"], descending=[True, True, False, False])
    )


def class_changed_rates(by_job: pl.DataFrame) -> pl.DataFrame:
    """Per class name across jobs (class ids differ from job to job; names are what a team lead compares), from
    `class_changed_by_job`: class_name, results, class_changed, removed, rate, jobs (that have results of the
    class); the worst rate first, then the most changed results, then the name."""
    return (
        by_job.group_by("class_name")
        .agg(pl.col("results", "class_changed", "removed").sum(), pl.col("job_id").n_unique().alias("jobs"))
        .with_columns((pl.col("class_changed") / pl.col("results")).alias("rate"))
        .select("class_name", "results", "class_changed", "removed", "rate", pl.col("jobs").cast(pl.Int64))
        .sort(["rate", "class_changed", "class_name"], descending=[True, True, False])
    )


# ---- rejected share and its reasons --------------------------------------------------------------------------------


def normalized_reason(reason: pl.Expr) -> pl.Expr:
    """A reason as the Overview counts it: surrounding white space stripped, inner runs of it made one space,
    lower case (polars' full Unicode lowercase, which folds case for every reason a reviewer types but ß);
    none, or nothing but white space, is `(no reason)`."""
    cleaned = reason.str.strip_chars().str.replace_all(r"\s+", " ").str.to_lowercase()
    return pl.when(cleaned.is_null() | (cleaned == "")).then(pl.lit(NO_REASON)).otherwise(cleaned)


def rejection_reasons(*, engine: Engine) -> pl.DataFrame:
    """Why the currently rejected results of each READY manual label job were rejected: job_id, job, reason
    (normalized_reason), results; per job the most frequent reason first. A job's results add up to its rejected
    count.

    A rejected result's reason is that of the latest review action that rejected it and was not undone. (An undo
    that sends results back to rejected restores that action's decision; undos carry no reason of their own.) A
    result rejected only by actions undone since, and back in rejected through another undo, takes the latest of
    those; one that no action rejected (written outside the review service) counts as `(no reason)`. Only the
    rejecting events of jobs with rejected results are read with their result ids, undone ones only if needed."""
    jobs = pl.DataFrame(
        [(job.id, job.name) for job in _ready_job_rows(engine)],
        schema={"job_id": pl.Int64, "job": pl.String},
        orient="row",
    )
    with engine.connect() as conn:
        rows = conn.execute(
            select(_STATE.c.result_id, _STATE.c.job_id).where(
                _STATE.c.job_id.in_(jobs["job_id"].to_list()), _STATE.c.state == ReviewState.REJECTED
            )
        ).all()
        rejected = pl.DataFrame(rows, schema={"result_id": pl.Int64, "job_id": pl.Int64}, orient="row")
        reasons = _latest_rejections(conn, rejected["job_id"].unique().to_list(), undone=False)
        unexplained = rejected.join(reasons, on="result_id", how="anti")
        if not unexplained.is_empty():
            undone = _latest_rejections(conn, unexplained["job_id"].unique().to_list(), undone=True)
            reasons = pl.concat([reasons, undone.join(unexplained, on="result_id", how="semi")])
    return (
        rejected.join(reasons, on="result_id", how="left")
        .group_by("job_id", pl.col("reason").fill_null(NO_REASON))
        .agg(pl.len().cast(pl.Int64).alias("results"))
        .join(jobs, on="job_id", how="inner")
        .select("job_id", "job", "reason", "results")
        .sort(["job", "job_id", "results", "reason"], descending=[False, False, True, False])
    )


def _latest_rejections(conn, job_ids: list[int], *, undone: bool) -> pl.DataFrame:
    """result_id, reason (normalized): per result, the latest action of these jobs that rejected it, among the
    actions undone since (undone) or the others."""
    undo = _EVENT.alias("undo")
    was_undone = exists().where(undo.c.undoes_event_id == _EVENT.c.id)
    rows = conn.execute(
        select(_EVENT.c.id, _EVENT.c.reason, _EVENT.c.result_ids).where(
            _EVENT.c.job_id.in_(job_ids),
            _EVENT.c.to_state == ReviewState.REJECTED,
            _EVENT.c.undoes_event_id.is_(None),
            was_undone if undone else ~was_undone,
        )
    ).all()
    events = pl.DataFrame(
        rows, schema={"event_id": pl.Int64, "reason": pl.String, "result_id": pl.List(pl.Int64)}, orient="row"
    )
    return (
        events.with_columns(normalized_reason(pl.col("reason")).alias("reason"))
        .explode("result_id")
        .sort("event_id")
        .unique(subset="result_id", keep="last")
        .select("result_id", "reason")
    )


def top_reasons(reasons: pl.DataFrame) -> pl.DataFrame:
    """Across jobs, from `rejection_reasons`: reason, results, jobs; the most frequent first."""
    return (
        reasons.group_by("reason")
        .agg(pl.col("results").sum(), pl.col("job_id").n_unique().cast(pl.Int64).alias("jobs"))
        .sort(["results", "reason"], descending=[True, False])
    )
