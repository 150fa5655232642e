"""What one view of a job shows (its filters, tab, grouping and slice), computed once and kept per job revision:
switching back to a tab, or a rerun that changes nothing of the view, costs a dictionary lookup, not a pass over a
million results. A review action bumps the job's review revision, which is in the key."""

from __future__ import annotations

import json
from dataclasses import dataclass

import polars as pl
import streamlit as st

from core.analysis import queries
from core.analysis.filters import to_query_params
from core.analysis.queries import View
from core.analysis.stats import change_kind_counts
from core.review.selection import select_shown
from dashboard.job_data import JobData


@dataclass(frozen=True)
class ViewData:
    filtered: int  # results under the filters, every review state
    changed: int  # of those, Class Changed
    change_kinds: dict[str, int]  # of those, per change kind
    tab_counts: dict[str, int]  # of those, per review state
    in_tab: pl.DataFrame  # the tab's results under the filters
    table: pl.DataFrame  # the Class Changed table of in_tab
    shown: pl.DataFrame  # in_tab within the slice: what the grid and the review bar act on


def view_data(data: JobData, view: View) -> ViewData:
    return _cached(_key(data), _view_key(view), _data=data, _view=view)


def result_ids_in_order(data: JobData, view: View, shown: pl.DataFrame) -> pl.Series:
    """The shown results' ids in the grid's order: the viewer's ←/→ walk them."""
    return _order(_key(data), _view_key(view), view.sort, _shown=shown, _view=view)


def image_review_counts(data: JobData, view: View, shown: pl.DataFrame) -> dict[str, int]:
    """The shown results' images complete / partial / untouched in the job (core.analysis.queries.image_review_counts),
    kept per view as the rest: ~16 ms at 1M results, once per view and review revision."""
    return _image_counts(_key(data), _view_key(view), _data=data, _shown=shown)


def _key(data: JobData) -> tuple:
    job = data.job
    return (data.store, job.id, job.data_revision, job.review_revision)


def _view_key(view: View) -> str:
    return json.dumps(
        [to_query_params(view.filter), view.state, view.group_by, view.slice.to_params() if view.slice else []],
        sort_keys=True,
    )


@st.cache_resource(max_entries=4, show_spinner=False)
def _cached(job_key: tuple, view_key: str, *, _data: JobData, _view: View) -> ViewData:
    # The selection the CLI's `review` makes too (core.review.selection). A filter that keeps everything, or a tab
    # that holds everything under it, is the frame itself, not a copy of it: a fresh 1M-result job's default view
    # costs no memory beyond the job's frame.
    selected = select_shown(_data.results, result_filter=_view.filter, state=_view.state, slice=_view.slice)
    filtered = selected.filtered
    return ViewData(
        filtered=filtered.height,
        changed=int(filtered["class_changed"].sum()),
        change_kinds=change_kind_counts(filtered),
        tab_counts=selected.tab_counts,
        in_tab=selected.in_tab,
        table=queries.class_changed_table(selected.in_tab, _view.group_column),
        shown=selected.shown,
    )


@st.cache_resource(max_entries=4, show_spinner=False)
def _order(job_key: tuple, view_key: str, sort: str, *, _shown: pl.DataFrame, _view: View) -> pl.Series:
    return _shown["result_id"].gather(queries.result_order(_shown, _view))


@st.cache_resource(max_entries=4, show_spinner=False)
def _image_counts(job_key: tuple, view_key: str, *, _data: JobData, _shown: pl.DataFrame) -> dict[str, int]:
    return queries.image_review_counts(_data.results, _shown)
