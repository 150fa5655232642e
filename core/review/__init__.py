"""Reviewing results: review decisions and undo (one review event per action), a result's history, spot
checks, ResultSets (frozen snapshots of accepted results), and which results a bulk review action selects."""

from core import lazy_exports

__getattr__, __all__ = lazy_exports(
    __name__,
    {
        "decisions": ["ReviewOutcome", "move_for_rework"],
        "history": ["move_of", "result_history"],
        "resultsets": ["create_resultset", "list_resultsets", "resultset_frame"],
        "selection": ["Selected", "select_results", "select_shown"],
        "spot_check": ["draw_sample", "error_rate"],
    },
)
