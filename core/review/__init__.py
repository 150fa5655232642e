"""Reviewing results: review decisions and undo (one review event per action), a result's history, spot
checks, and ResultSets (frozen snapshots of accepted results)."""

from core import lazy_exports

__getattr__, __all__ = lazy_exports(__name__, {
    'decisions': ['ReviewOutcome', 'move_for_rework'],
    'history': ['move_of', 'result_history'],
    'resultsets': ['create_resultset', 'list_resultsets', 'resultset_frame'],
    'spot_check': ['draw_sample', 'error_rate'],
})
