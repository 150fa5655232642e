"""Label jobs: the Labeling Jobs list and one job by id, label specs, importing finished jobs, manual jobs
made in LabelDeck, auto label jobs, expert labelling and rework jobs."""

from core import lazy_exports

__getattr__, __all__ = lazy_exports(
    __name__,
    {
        "auto": ["import_auto_job"],
        "expert_labels": ["labelling_progress"],
        "draft": ["JobDraft"],
        "lookup": ["get_job"],
        "manual": ["create_manual_job"],
        "submit": ["submit_job"],
        "rework": ["create_rework_job", "rework_notes"],
        "specs": ["ClassInput", "create_spec", "find_spec", "list_specs"],
        "summaries": ["JobSummary", "delete_job", "image_root", "list_jobs", "lock_job", "spec_classes"],
    },
)
