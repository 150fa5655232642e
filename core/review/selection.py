"""Which results a bulk review action acts on: the results under the Visualize page's filters, in a tab (a review
state), within a slice of the Class Changed table. The page shows them and its review bar acts on them
(dashboard/view_data.py); the CLI's `review` selects them from its flags the same way (core/cli/review.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from core.analysis import results_frame
from core.analysis.filters import RANGES, ResultFilter, Slice, to_query_params
from core.analysis.queries import tab_counts, with_states
from core.store.ids import stored_id

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from core.store.models import LabelJob


@dataclass(frozen=True)
class Selected:
    filtered: pl.DataFrame  # the results under the filter, every review state
    tab_counts: dict[str, int]  # of those, per review state
    in_tab: pl.DataFrame  # of those, the tab's
    shown: pl.DataFrame  # of those, within the slice: what a bulk review action acts on

    @property
    def ids(self) -> pl.Series:
        return self.shown["result_id"]


def select_shown(
    results: pl.DataFrame,
    *,
    result_filter: ResultFilter,
    state: str | None,
    slice: Slice | None = None,
    to_state: str | None = None,
) -> Selected:
    """The results (a frame with review_state, core.analysis.queries.with_states) a bulk action selects, in their
    order. `state`: the tab, the results in that review state; None: every state but `to_state`, the state the
    action moves them to (the CLI's `review --to X` without --from). A filter that keeps everything, or a tab that
    holds everything under it, is the frame itself, not a copy of it."""
    filtered = results if result_filter.is_empty else results.filter(result_filter.expr())
    counts = tab_counts(filtered)
    review_state = pl.col("review_state")
    if state is not None:
        in_tab = filtered if counts[state] == filtered.height else filtered.filter(review_state == state)
    else:
        in_tab = filtered if to_state is None else filtered.filter(review_state != to_state)
    shown = in_tab if slice is None else in_tab.filter(slice.expr())
    return Selected(filtered=filtered, tab_counts=counts, in_tab=in_tab, shown=shown)


def select_results(
    *,
    engine: Engine,
    job: LabelJob,
    result_filter: ResultFilter,
    from_state: str | None,
    to_state: str,
    slice: Slice | None = None,
    via: str,
) -> tuple[list[int], dict]:
    """The ids of the job's results a review action from `from_state` (None: any other state) to `to_state` acts
    on, selected as select_shown selects them from the job's results frame, and the selection as the review event
    records it: {"via": via, "tab": from_state, the filter's query params, "slice": [...]} (tab and slice when
    given). The frame is read with the columns the filter and slice need only."""
    # Through the module: tests stand in a stale view of the states (results_frame.review_states).
    results = with_states(
        results_frame.load_results(engine, job, columns=_columns(result_filter, slice)),
        results_frame.review_states(engine, stored_id(job)),
    )
    ids = select_shown(results, result_filter=result_filter, state=from_state, slice=slice, to_state=to_state).ids
    tab = {"tab": from_state} if from_state else {}
    sliced = {"slice": slice.to_params()} if slice else {}
    return ids.to_list(), {"via": via, **tab, **to_query_params(result_filter), **sliced}


def _columns(result_filter: ResultFilter, slice: Slice | None) -> list[str]:
    needed = ["result_id", "class_row", "class_changed"]
    needed += ["change_kind"] if result_filter.change_kinds else []
    needed += ["pre_class_row"] if result_filter.pre_classes else []
    needed += [
        column
        for name, column in RANGES.items()
        if (getattr(result_filter, f"{name}_min"), getattr(result_filter, f"{name}_max")) != (None, None)
    ]
    needed += [column for column, _ in slice.conditions] if slice else []
    return list(dict.fromkeys(needed))
