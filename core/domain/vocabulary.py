"""The words of the product (docs/glossary.md defines them) as StrEnums, and the constants and job predicates shared
by the store, services and UI.

A StrEnum member is its string (`JobStatus.READY == "READY"`, f"{JobStatus.READY}" is "READY"), so the store and the
results frame hold the same strings as before and a value read back from either compares equal to its member. The
tuples below hold the plain strings, not the members: they name polars columns and fill frames (polars reads a list
of members as an Enum dtype), widgets and dict keys, whose behaviour stays exactly as it was. For the same reason
a polars Series is compared with `.value` (`results["review_state"] == ReviewState.ACCEPTED.value`): polars takes a
member for a Python Enum and refuses to compare it with the frame's pl.Enum column; expressions (`pl.col(...) ==
member`, `pl.lit(member)`) take the member as its string."""

from __future__ import annotations

from enum import StrEnum
from typing import Final, Protocol


class JobStatus(StrEnum):
    PROCESSING = "PROCESSING"  # an auto label job whose predictions are still coming
    IN_PROGRESS = "IN_PROGRESS"  # a manual label job whose experts are still labelling
    READY = "READY"
    FAILED = "FAILED"


class JobKind(StrEnum):
    MANUAL = "manual"
    AUTO = "auto"


class Task(StrEnum):
    CLASSIFICATION = "classification"
    DETECTION = "detection"


class ReviewState(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    # A rejected result whose image came back relabelled from a rework job (core/jobs/rework_return.py): terminal, in
    # no tab, never moved by a review action, but kept (not deleted) so the event log still replays to every row's
    # state. Not a review state a user sees: REVIEW_STATES leaves it out.
    REWORKED = "reworked"


class ChangeKind(StrEnum):
    UNCHANGED = "unchanged"
    ADJUSTED = "adjusted"
    RELABELED = "relabeled"
    ADDED = "added"
    REMOVED = "removed"


TASKS: Final = tuple(t.value for t in Task)
JOB_STATUSES: Final = tuple(s.value for s in JobStatus)
CHANGE_KINDS: Final = tuple(k.value for k in ChangeKind)
# The change kinds whose result counts as Class Changed (docs/glossary.md, Metrics).
CLASS_CHANGING_KINDS: Final = (ChangeKind.RELABELED.value, ChangeKind.ADDED.value, ChangeKind.REMOVED.value)
# The change kinds a classification result can have: `added` only without a pre-label.
CLASSIFICATION_KINDS: Final = (ChangeKind.UNCHANGED.value, ChangeKind.RELABELED.value)
REVIEW_STATES: Final = tuple(s.value for s in ReviewState if s is not ReviewState.REWORKED)
REVIEW_STATE_LABELS: Final = {
    ReviewState.PENDING.value: "Pending Review",
    ReviewState.ACCEPTED.value: "Accepted",
    ReviewState.REJECTED.value: "Rejected",
}
REWORKED: Final = ReviewState.REWORKED.value
RESULT_STATES: Final = (*REVIEW_STATES, REWORKED)
RESULT_STATE_LABELS: Final = {**REVIEW_STATE_LABELS, REWORKED: "Reworked"}

# A removed result has no expert class; every "by class" figure gives it a row of its own.
REMOVED_ROW: Final = "(removed)"
# Likewise an added result has no pre-label class.
ADDED_ROW: Final = "(added)"

_TAGS: Final[dict[tuple[str, str], str]] = {  # StrEnum keys: a plain string finds its member's entry
    (JobKind.MANUAL, Task.CLASSIFICATION): "M-LA-CL",
    (JobKind.MANUAL, Task.DETECTION): "M-LA-OD",
    (JobKind.AUTO, Task.CLASSIFICATION): "LA-CL",
    (JobKind.AUTO, Task.DETECTION): "LA-OD",
}
TAGS: Final = tuple(_TAGS.values())
AUTO_TAGS: Final = tuple(tag for (kind, _), tag in _TAGS.items() if kind is JobKind.AUTO)


def job_tag(kind: JobKind | str, task: Task | str) -> str:
    return _TAGS[(kind, task)]


class _KindAndStatus(Protocol):
    """What JobPredicates reads from the class it is mixed into (typing only: no annotation on JobPredicates)."""

    @property
    def kind(self) -> JobKind | str: ...

    @property
    def status(self) -> JobStatus | str: ...

    @property
    def is_labellable(self) -> bool: ...


class JobPredicates:
    """What a label job may be used for, from its `kind` and `status`: one definition for the stored job
    (core.store.models.LabelJob) and the job list's summaries (core.jobs.summaries.JobSummary), which define both
    (no annotations here: the table model would take them for columns)."""

    @property
    def is_manual(self: _KindAndStatus) -> bool:
        return self.kind == JobKind.MANUAL

    @property
    def is_auto(self: _KindAndStatus) -> bool:
        return self.kind == JobKind.AUTO

    @property
    def is_reviewable(self: _KindAndStatus) -> bool:
        """A READY manual label job: its results are reviewed (Visualize, review actions, rework)."""
        return self.kind == JobKind.MANUAL and self.status == JobStatus.READY

    @property
    def is_labellable(self: _KindAndStatus) -> bool:
        """An IN_PROGRESS manual label job: its experts label its images (Annotate) and submit it."""
        return self.kind == JobKind.MANUAL and self.status == JobStatus.IN_PROGRESS

    @property
    def gives_pre_labels(self: _KindAndStatus) -> bool:
        """A READY auto label job: its predictions are complete and can be a manual label job's pre-labels."""
        return self.kind == JobKind.AUTO and self.status == JobStatus.READY

    @property
    def has_labels_to_draw(self: _KindAndStatus) -> bool:
        """Results (READY manual), predictions (READY auto) or pre-labels (IN_PROGRESS manual)."""
        return self.status == JobStatus.READY or self.is_labellable
