"""The words of the product (docs/glossary.md defines them), as constants shared by the store, services and UI."""

from __future__ import annotations

from typing import Final, Literal

Task = Literal["classification", "detection"]
JobKind = Literal["manual", "auto"]
JobStatus = Literal["PROCESSING", "IN_PROGRESS", "READY", "FAILED"]
ChangeKind = Literal["unchanged", "adjusted", "relabeled", "added", "removed"]
ReviewState = Literal["pending", "accepted", "rejected"]

TASKS: Final = ("classification", "detection")
JOB_STATUSES: Final = ("PROCESSING", "IN_PROGRESS", "READY", "FAILED")
CHANGE_KINDS: Final = ("unchanged", "adjusted", "relabeled", "added", "removed")
REVIEW_STATES: Final = ("pending", "accepted", "rejected")
REVIEW_STATE_LABELS: Final = {"pending": "Pending Review", "accepted": "Accepted", "rejected": "Rejected"}
# A rejected result whose image came back relabelled from a rework job (core/jobs/rework_return.py): terminal, in no
# tab, never moved by a review action, but kept (not deleted) so the event log still replays to every row's state.
REWORKED: Final = "reworked"
RESULT_STATES: Final = (*REVIEW_STATES, REWORKED)
RESULT_STATE_LABELS: Final = {**REVIEW_STATE_LABELS, REWORKED: "Reworked"}

# A removed result has no expert class; every "by class" figure gives it a row of its own.
REMOVED_ROW: Final = "(removed)"
# Likewise an added result has no pre-label class.
ADDED_ROW: Final = "(added)"

_TAGS: Final = {
    ("manual", "classification"): "M-LA-CL",
    ("manual", "detection"): "M-LA-OD",
    ("auto", "classification"): "LA-CL",
    ("auto", "detection"): "LA-OD",
}
TAGS: Final = tuple(_TAGS.values())


def job_tag(kind: JobKind, task: Task) -> str:
    return _TAGS[(kind, task)]
