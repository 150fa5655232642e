"""What a job's results say, computed with polars: the results frame (cached as parquet), matching and the
metrics, the Visualize filters and queries, Expert Review Stats, the Overview and the catalog."""

from core import lazy_exports

__getattr__, __all__ = lazy_exports(
    __name__,
    {
        "filters": ["GROUP_BYS", "ResultFilter", "Slice", "from_query_params", "parse_state", "to_query_params"],
        "metrics": ["classification_results", "detection_results", "results_of_labels"],
        "queries": ["SORTS", "View", "with_states"],
        "results_frame": [
            "RESULT_COLUMNS",
            "finish_frame",
            "job_samples",
            "load_results",
            "result_state",
            "review_states",
            "state_counts",
            "write_cached_results",
        ],
        "stats": ["cached_job_stats", "change_kind_counts", "job_stats"],
    },
)
