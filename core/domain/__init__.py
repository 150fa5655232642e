"""The product's vocabulary and rules that every other part shares: the words as StrEnums (vocabulary), the
errors that name a problem and where it is, what a name may hold, how much a job may hold, progress reports.
Imports nothing else of core."""

from core import lazy_exports

__getattr__, __all__ = lazy_exports(
    __name__,
    {
        "errors": ["BadInput", "Forbidden", "NotFound"],
        "names": ["escaped", "frame_name_problems", "name_problem", "refuse_unsafe_name", "unsafe_name_problems"],
        "progress": ["Progress", "quiet"],
        "vocabulary": [
            "ADDED_ROW",
            "AUTO_TAGS",
            "CHANGE_KINDS",
            "CLASS_CHANGING_KINDS",
            "CLASSIFICATION_KINDS",
            "ChangeKind",
            "JOB_STATUSES",
            "JobKind",
            "JobPredicates",
            "JobStatus",
            "REMOVED_ROW",
            "RESULT_STATES",
            "RESULT_STATE_LABELS",
            "REVIEW_STATES",
            "REVIEW_STATE_LABELS",
            "REWORKED",
            "ReviewState",
            "TAGS",
            "TASKS",
            "Task",
            "job_tag",
        ],
    },
)
