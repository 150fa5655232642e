"""Which results a bulk review action selects (core.review.selection): the Visualize page (dashboard/view_data.py)
and the CLI's `review` go through the same function, so a filter and a tab select the same results in both."""

from __future__ import annotations

import itertools
import json

import polars as pl
import pytest

from core import cli
from core.analysis import queries
from core.analysis.filters import ResultFilter, Slice
from core.analysis.queries import View
from core.analysis.results_frame import load_results, review_states
from core.domain.vocabulary import REVIEW_STATES
from core.jobs import ingest
from core.jobs.lookup import get_job
from core.review import decisions as review
from core.review.selection import select_results, select_shown
from tests.builders import ADMIN, as_reviewer, write_detection_job
from tests.unit.test_queries import FRAME, STATES

RESULTS = queries.with_states(FRAME, STATES)  # pending 1 3 6 7 8, accepted 2 5, rejected 4


def ids(frame: pl.DataFrame) -> list[int]:
    return frame["result_id"].to_list()


def test_filter_then_tab_then_slice_as_the_page_shows_them():
    selected = select_shown(
        RESULTS,
        result_filter=ResultFilter(classes=("cat", "dog")),
        state="pending",
        slice=Slice((("class_changed", True),)),
    )
    assert ids(selected.filtered) == [1, 2, 3, 5, 7, 8]
    assert selected.tab_counts == {"pending": 4, "accepted": 2, "rejected": 0}
    assert ids(selected.in_tab) == [1, 3, 7, 8]
    assert ids(selected.shown) == selected.ids.to_list() == [7, 8]


def test_without_a_tab_every_state_but_the_target():
    selected = select_shown(RESULTS, result_filter=ResultFilter(class_changed=True), state=None, to_state="accepted")
    assert ids(selected.shown) == [4, 6, 7, 8]
    assert ids(select_shown(RESULTS, result_filter=ResultFilter(), state=None).shown) == list(range(1, 9))


def test_what_keeps_everything_is_the_frame_itself_not_a_copy():
    selected = select_shown(RESULTS, result_filter=ResultFilter(), state="pending")
    assert selected.filtered is RESULTS and selected.shown is selected.in_tab
    all_pending = RESULTS.filter(pl.col("review_state") == "pending")
    assert select_shown(all_pending, result_filter=ResultFilter(), state="pending").in_tab is all_pending


@pytest.mark.parametrize(
    ("classes", "changed"), list(itertools.product([(), ("cat",), ("dog", "(removed)")], [None, True, False]))
)
def test_the_same_ids_as_the_cli_selected_before_it_went_through_core(classes, changed):
    result_filter = ResultFilter(classes=classes, class_changed=changed)
    for from_state, to_state in itertools.product([None, *REVIEW_STATES], REVIEW_STATES):
        seen = (pl.col("review_state") == from_state) if from_state else (pl.col("review_state") != to_state)
        before = ids(RESULTS.filter(result_filter.expr() & seen))
        assert (
            ids(select_shown(RESULTS, result_filter=result_filter, state=from_state, to_state=to_state).shown) == before
        )


@pytest.fixture
def job(engine, tmp_path):
    """The standard detection job (tests/builders.py), results in import order: e1 cat unchanged, e2 dog
    relabeled, e3 cat adjusted, e4 bird added, e5 dog adjusted, p4 (removed); the 2nd and 5th accepted, the 6th
    rejected."""
    files = write_detection_job(tmp_path / "in")
    made = ingest.import_detection(
        actor=ADMIN,
        engine=engine,
        name="street",
        images_dir=files.images_dir,
        pre_path=files.pre_path,
        expert_path=files.expert_path,
    )
    all_ids = ids(load_results(engine, made, columns=["result_id"]))
    review.move(
        engine=engine,
        job_id=made.id,
        result_ids=[all_ids[1], all_ids[4]],
        from_state="pending",
        to_state="accepted",
        actor=as_reviewer("ada"),
    )
    review.move(
        engine=engine,
        job_id=made.id,
        result_ids=[all_ids[5]],
        from_state="pending",
        to_state="rejected",
        actor=as_reviewer("ada"),
    )
    return get_job(engine, made.id)


def page_shown(engine, job, view: View) -> list[int]:
    """What the Visualize page shows for the view and its review bar acts on, through the page's own code."""
    from dashboard.job_data import CATEGORICAL, JobData
    from dashboard.view_data import view_data

    frame = load_results(engine, job).with_columns(pl.col(*CATEGORICAL).cast(pl.Categorical))
    data = JobData(
        store=engine.url.render_as_string(hide_password=True),
        job=job,
        results=queries.with_states(frame, review_states(engine, job.id)),
        class_rows=[],
        overlay=None,
        area_edges=[],
        factor_edges=[],
    )
    return ids(view_data(data, view).shown)


@pytest.mark.parametrize("state", REVIEW_STATES)
@pytest.mark.parametrize(
    "result_filter",
    [
        ResultFilter(),
        ResultFilter(classes=("cat", "dog")),
        ResultFilter(class_changed=True),
        ResultFilter(classes=("dog", "(removed)"), class_changed=False),
    ],
)
def test_the_cli_and_the_page_select_the_same_results(engine, job, state, result_filter):
    to_state = next(s for s in REVIEW_STATES if s != state)
    selected, selection = select_results(
        engine=engine, job=job, result_filter=result_filter, from_state=state, to_state=to_state, via="cli"
    )
    assert selected == page_shown(engine, job, View(state=state, filter=result_filter))
    if result_filter.is_empty:
        assert len(selected) == {"pending": 3, "accepted": 2, "rejected": 1}[state]
    assert selection["via"] == "cli" and selection["tab"] == state


def test_the_page_slice_and_the_richer_filter_go_through_the_same_function(engine, job):
    result_filter, cell = ResultFilter(change_kinds=("adjusted", "relabeled", "added")), Slice((("class_row", "cat"),))
    selected, selection = select_results(
        engine=engine,
        job=job,
        result_filter=result_filter,
        from_state="pending",
        to_state="rejected",
        slice=cell,
        via="script",
    )
    assert selected == page_shown(engine, job, View(state="pending", filter=result_filter, slice=cell))
    assert len(selected) == 1  # e3, cat adjusted
    assert selection == {
        "via": "script",
        "tab": "pending",
        "change_kinds": ["adjusted", "relabeled", "added"],
        "slice": ["class_row:cat"],
    }


def test_review_from_the_cli_moves_what_the_page_shows(engine, store_url, job, capsys):
    result_filter = ResultFilter(classes=("cat", "dog"), class_changed=False)
    shown = page_shown(engine, job, View(state="pending", filter=result_filter))
    assert (
        cli.main(
            [
                "review",
                str(job.id),
                "--from",
                "pending",
                "--to",
                "accepted",
                "--class",
                "cat",
                "--class",
                "dog",
                "--changed",
                "false",
                "--reviewer",
                "bo",
                "--json",
                "--db",
                store_url,
            ]
        )
        == 0
    )
    outcome = json.loads(capsys.readouterr().out)
    [event, *_] = review.list_events(engine=engine, job_id=job.id)
    assert event.id == outcome["event_id"] and sorted(event.result_ids) == sorted(shown) and len(shown) == 2
    assert event.selection == {"via": "cli", "tab": "pending", "classes": ["cat", "dog"], "class_changed": "false"}
