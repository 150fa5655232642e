"""How good a manual label job's pre-labels were, the expert labels taken as the truth (issue 16): COCO's AP and
AP50, precision, recall and F1 at the job's IoU per class, the precision-recall curve and the expert's edits by
confidence threshold, and for classification the accuracy and the confusion matrix. `job_quality` is the one entry
point (cached per revision of the job's results); `python -m core quality` prints it."""

from core import lazy_exports

__getattr__, __all__ = lazy_exports(
    __name__,
    {
        "service": ["cached_job_quality", "job_quality"],
        "figures": ["ClassQuality", "Confusion", "Effort", "JobQuality"],
        "compute": ["quality_of"],
    },
)
