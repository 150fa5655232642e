"""The vocabulary's StrEnums (core/domain/vocabulary.py): the strings the store and the results frame hold, the
constants derived from them, and the job predicates shared by the stored job and the job list's summaries."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest
from sqlalchemy import Enum as SqlEnum
from sqlmodel import AutoString

from core.analysis.results_frame import REVIEW_STATE
from core.domain.vocabulary import (
    AUTO_TAGS,
    CHANGE_KINDS,
    CLASS_CHANGING_KINDS,
    CLASSIFICATION_KINDS,
    JOB_STATUSES,
    RESULT_STATE_LABELS,
    RESULT_STATES,
    REVIEW_STATE_LABELS,
    REVIEW_STATES,
    REWORKED,
    TAGS,
    TASKS,
    ChangeKind,
    JobKind,
    JobPredicates,
    JobStatus,
    ReviewState,
    Task,
    job_tag,
)
from core.jobs.summaries import JobSummary
from core.store import models

# What the store has always held (and the parquet results frame, for change kinds and review states).
STORED = {
    JobStatus: ["PROCESSING", "IN_PROGRESS", "READY", "FAILED"],
    JobKind: ["manual", "auto"],
    Task: ["classification", "detection"],
    ReviewState: ["pending", "accepted", "rejected", "reworked"],
    ChangeKind: ["unchanged", "adjusted", "relabeled", "added", "removed"],
}


@pytest.mark.parametrize("enum", list(STORED), ids=lambda e: e.__name__)
def test_each_enum_holds_the_stored_strings_in_order(enum):
    assert [member.value for member in enum] == STORED[enum]
    for member, stored in zip(enum, STORED[enum]):
        assert isinstance(member, str) and member == stored and hash(member) == hash(stored)
        assert f"{member}" == str(member) == stored and type(str(member)) is str
        assert enum(stored) is member


def test_the_constants_are_the_plain_strings_of_the_enums():
    assert TASKS == ("classification", "detection")
    assert JOB_STATUSES == ("PROCESSING", "IN_PROGRESS", "READY", "FAILED")
    assert CHANGE_KINDS == ("unchanged", "adjusted", "relabeled", "added", "removed")
    assert REVIEW_STATES == ("pending", "accepted", "rejected")  # reworked is in no tab, count or action
    assert REWORKED == "reworked" and RESULT_STATES == (*REVIEW_STATES, "reworked")
    assert CLASS_CHANGING_KINDS == ("relabeled", "added", "removed")
    assert CLASSIFICATION_KINDS == ("unchanged", "relabeled")
    assert REVIEW_STATE_LABELS == {"pending": "Pending Review", "accepted": "Accepted", "rejected": "Rejected"}
    assert RESULT_STATE_LABELS == {**REVIEW_STATE_LABELS, "reworked": "Reworked"}
    # Plain str, not members: polars reads a list of members as an Enum dtype, and widgets and dict keys stay as
    # they were.
    constants = [
        TASKS,
        JOB_STATUSES,
        CHANGE_KINDS,
        REVIEW_STATES,
        RESULT_STATES,
        CLASS_CHANGING_KINDS,
        CLASSIFICATION_KINDS,
        TAGS,
        AUTO_TAGS,
        tuple(REVIEW_STATE_LABELS),
        tuple(RESULT_STATE_LABELS),
    ]
    assert all(type(value) is str for constant in constants for value in constant)
    assert REVIEW_STATE == pl.Enum(["pending", "accepted", "rejected"])


def test_tags_by_kind_and_task_members_or_strings():
    assert TAGS == ("M-LA-CL", "M-LA-OD", "LA-CL", "LA-OD") and AUTO_TAGS == ("LA-CL", "LA-OD")
    assert job_tag(JobKind.MANUAL, Task.DETECTION) == job_tag("manual", "detection") == "M-LA-OD"
    assert job_tag(JobKind.AUTO, Task.CLASSIFICATION) == job_tag("auto", "classification") == "LA-CL"


def test_polars_compares_and_writes_members_as_strings():
    frame = pl.DataFrame({"change_kind": ["added", "unchanged", "removed"], "review_state": ["pending"] * 3})
    assert frame.filter(pl.col("change_kind") == ChangeKind.ADDED).height == 1
    assert frame.filter(pl.col("change_kind").is_in(list(CLASS_CHANGING_KINDS))).height == 2
    written = frame.select(pl.lit(ReviewState.ACCEPTED).alias("state"))
    assert written.schema["state"] == pl.String and written.item() == "accepted"
    # The results frame's review_state is a pl.Enum: an expression takes the member, a Series only its value.
    states = frame["review_state"].cast(REVIEW_STATE)
    assert frame.select(pl.col("review_state").cast(REVIEW_STATE) == ReviewState.PENDING).to_series().all()
    assert (states == ReviewState.PENDING.value).all()


# kind, status -> is_manual, is_auto, is_reviewable, is_labellable, gives_pre_labels, has_labels_to_draw
PREDICATES = {
    ("manual", "READY"): (True, False, True, False, False, True),
    ("manual", "IN_PROGRESS"): (True, False, False, True, False, True),
    ("manual", "FAILED"): (True, False, False, False, False, False),
    ("auto", "READY"): (False, True, False, False, True, True),
    ("auto", "PROCESSING"): (False, True, False, False, False, False),
    ("auto", "FAILED"): (False, True, False, False, False, False),
}
NAMES = ("is_manual", "is_auto", "is_reviewable", "is_labellable", "gives_pre_labels", "has_labels_to_draw")


def _label_job(kind: str, status: str) -> models.LabelJob:
    return models.LabelJob(
        name="j",
        kind=kind,
        task="detection",
        tag=job_tag(kind, "detection"),
        status=status,
        spec_id=1,
        image_root="images",
        pre_label_source="import",
        created_by="demo",
    )


def _summary(kind: str, status: str) -> JobSummary:
    return JobSummary(
        id=1,
        name="j",
        tag=job_tag(kind, "detection"),
        kind=kind,
        task="detection",
        status=status,
        failure_reason=None,
        images=1,
        results=0,
        classes=[],
        pre_label_source="import",
        created_by="demo",
        created_at=datetime.now(UTC),
        by_state=dict.fromkeys(REVIEW_STATES, 0),
    )


@pytest.mark.parametrize(("kind", "status"), list(PREDICATES))
@pytest.mark.parametrize("make", [_label_job, _summary], ids=["LabelJob", "JobSummary"])
def test_the_job_predicates_of_stored_jobs_and_summaries(make, kind, status):
    # As read from the store (plain strings) and as written by the services (members): the same answers.
    for job in (make(kind, status), make(JobKind(kind), JobStatus(status))):
        assert isinstance(job, JobPredicates)
        assert tuple(getattr(job, name) for name in NAMES) == PREDICATES[(kind, status)]


def test_the_predicates_are_defined_once():
    for name in NAMES:
        assert name not in vars(models.LabelJob) and name not in vars(JobSummary)
        assert isinstance(vars(JobPredicates)[name], property)


@pytest.mark.parametrize(
    ("table", "column"),
    [
        (models.LabelSpec, "task"),
        (models.LabelJob, "kind"),
        (models.LabelJob, "task"),
        (models.LabelJob, "status"),
        (models.Result, "change_kind"),
        (models.ReviewState, "state"),
        (models.ReviewEvent, "from_state"),
        (models.ReviewEvent, "to_state"),
    ],
)
def test_enum_fields_keep_their_string_columns(table, column):
    """Annotated with a StrEnum, stored as the string column a `str` field gets: no SQL ENUM, no schema upgrade."""
    sql_type = table.__table__.c[column].type
    assert isinstance(sql_type, AutoString) and not isinstance(sql_type, SqlEnum)
