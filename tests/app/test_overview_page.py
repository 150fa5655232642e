"""The Overview page through Streamlit's AppTest: its figures and tables with the demo store, with a store where
three reviewers have been at work, and with an empty store; and its links: each one, opened on Visualize (or
Activity) the way a browser opens it, shows the count the Overview states for it.

Expectations are pinned to numbers worked out from the demo jobs (street-scenes, fruit-stand) and checked against
the jobs' results frames, so a wrong expectation cannot hide behind a computed one."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from core.review import decisions as review
from tests.app.conftest import plain, send_widget_state, stats
from tests.app.visualize_helpers import APP, frame_of, job_id, showing, store_engine, tab_labels
from tests.builders import as_reviewer

# ---- driving the page ----------------------------------------------------------------------------------------------


def open_overview() -> AppTest:
    """The Overview, reached from the entrypoint as a browser reaches it once the app runs."""
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    at.switch_page("../pages/overview.py").run()
    assert not at.exception, at.exception
    return at


def open_link(url: str) -> AppTest:
    """A link of the Overview (relative: `visualize?job=…`), opened in a new session as a new browser tab does."""
    parts = urlsplit(url)
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    for key, values in parse_qs(parts.query).items():
        at.query_params[key] = values if len(values) > 1 else values[0]
    at.switch_page(f"../pages/{parts.path}.py").run()
    assert not at.exception, at.exception
    return at


# A column only each table has.
PROGRESS, DECISIONS, CLASSES, REJECTIONS = "tag", "reviewer", "as_expert_class", "top"
REMOVED_COLUMNS = ["class_name", "job", "removed", "open"]


def table(at: AppTest, column: str) -> pd.DataFrame:
    """The one table of the page that has `column`."""
    found = [d.value for d in at.dataframe if column in d.value.columns]
    assert len(found) == 1, [list(d.value.columns) for d in at.dataframe]
    return found[0]


def removed_table(at: AppTest) -> pd.DataFrame | None:
    """The removed pre-labels per class and job, when there are any."""
    found = [d.value for d in at.dataframe if list(d.value.columns) == REMOVED_COLUMNS]
    assert len(found) <= 1
    return found[0] if found else None


def records(frame: pd.DataFrame, *columns: str) -> list[tuple]:
    return [tuple(row) for row in frame[list(columns)].itertuples(index=False)]


def charts(at: AppTest) -> dict[str, dict]:
    """The plotly figures by their chart's key."""
    return {chart.proto.id.rsplit("-", 1)[-1]: json.loads(chart.proto.spec) for chart in at.get("plotly_chart")}


def click_bar(at: AppTest, key: str, customdata: list) -> AppTest:
    """Click a bar of a chart. AppTest cannot click a plotly chart, so the selection the browser would send is added
    to the next run's widget states."""
    chart = next(c for c in at.get("plotly_chart") if c.proto.id.endswith(key))
    return send_widget_state(
        at,
        chart.proto.id,
        string_value=json.dumps(
            {
                "selection": {
                    "points": [{"curve_number": 0, "point_number": 0, "point_index": 0, "customdata": customdata}],
                    "point_indices": [0],
                    "box": [],
                    "lasso": [],
                }
            }
        ),
    )


def metrics(at: AppTest) -> dict[str, str]:
    """The page's figures: the Overview's st.metric cards, or Visualize's Expert Review Stats."""
    return {m.label: m.value for m in at.metric} or stats(at)


def results(n: int) -> str:
    return f"{n} result{'s' if n != 1 else ''}"


def infos(at: AppTest) -> list[str]:
    return [i.value for i in at.info]


# ---- the demo store: nothing reviewed yet --------------------------------------------------------------------------

# street-scenes (90 results) and fruit-stand (12) as class name, job, results, Class Changed, of which removed:
DEMO_CLASSES = [
    ("orange", "fruit-stand", 5, 2, 0),
    ("dog", "street-scenes", 20, 6, 1),
    ("traffic_light", "street-scenes", 4, 1, 1),
    ("bicycle", "street-scenes", 17, 4, 2),
    ("car", "street-scenes", 16, 2, 2),
    ("person", "street-scenes", 33, 4, 0),
    ("apple", "fruit-stand", 1, 0, 0),
    ("banana", "fruit-stand", 3, 0, 0),
    ("grape", "fruit-stand", 1, 0, 0),
    ("lemon", "fruit-stand", 2, 0, 0),
]


def test_the_page_renders_every_section_with_the_demo_store(demo_store):
    at = open_overview()
    assert at.title[0].value == "Overview"
    assert [s.value for s in at.subheader] == [
        "Review progress",
        "Decisions per reviewer per day",
        "Class Changed rate per class",
        "Pre-label quality",
        "Rejected share and top reasons",
    ]
    assert metrics(at) == {"Jobs READY": "2", "Results": "102", "Reviewed": "0.0%", "Rejected share": "–"}

    progress = table(at, PROGRESS)
    assert records(progress, "job", "tag", "results", "pending", "accepted", "rejected", "reviewed_share") == [
        ("street-scenes", "M-LA-OD", 90, 90, 0, 0, 0.0),
        ("fruit-stand", "M-LA-CL", 12, 12, 0, 0, 0.0),
    ]
    street, fruit = job_id("street-scenes"), job_id("fruit-stand")
    assert list(progress["open"]) == [f"visualize?job={street}&tab=pending", f"visualize?job={fruit}&tab=pending"]

    assert infos(at) == ["No review decisions in the last 30 days.", "Nothing is rejected yet."]

    figure = charts(at)["overview_class_chart"]
    assert list(figure["data"][0]["y"]) == [name for name, *_ in DEMO_CLASSES]
    assert figure["data"][0]["x"][:2] == [0.4, 0.3]
    classes = table(at, CLASSES)
    assert records(classes, "class_name", "job", "results", "class_changed", "removed") == DEMO_CLASSES
    assert list(classes["as_expert_class"]) == [c - r for _, _, _, c, r in DEMO_CLASSES]
    # The removed pre-labels have a table of their own, a row per class and job that has some.
    assert records(removed_table(at), "class_name", "job", "removed") == [
        ("dog", "street-scenes", 1),
        ("traffic_light", "street-scenes", 1),
        ("bicycle", "street-scenes", 2),
        ("car", "street-scenes", 2),
    ]


def test_the_class_changed_figures_match_the_results_frames(demo_store):
    expected = []
    for name in ("street-scenes", "fruit-stand"):
        frame = frame_of(job_id(name))
        about = pl.when(pl.col("class_row") == "(removed)").then("pre_class_row").otherwise("class_row")
        for class_name, results, changed in (
            frame.group_by(about.alias("class_name")).agg(pl.len(), pl.col("class_changed").sum()).iter_rows()
        ):
            expected.append((class_name, name, results, changed))
    shown = records(table(open_overview(), CLASSES), "class_name", "job", "results", "class_changed")
    assert sorted(shown) == sorted(expected)


def test_each_class_link_opens_visualize_on_the_results_it_counts(demo_store):
    at = open_overview()
    for row in table(at, CLASSES).itertuples(index=False):
        # The filter's Results figure counts every state; here everything is pending, as the tab shows.
        shown = open_link(row.open)
        assert metrics(shown)["Results"] == f"{row.as_expert_class:,}", row
        if row.as_expert_class:
            assert showing(shown).endswith(f" · Class Changed = True · {results(row.as_expert_class)}"), row
    for row in removed_table(at).itertuples(index=False):
        shown = open_link(row.open)
        assert showing(shown).startswith("pre-label "), row
        assert showing(shown).endswith(f" · (removed) · {results(row.removed)}"), row


def test_the_dog_links_show_five_relabeled_or_added_dogs_and_one_removed_pre_label(demo_store):
    at = open_overview()
    dog = table(at, CLASSES).query("class_name == 'dog'").iloc[0]
    shown = open_link(dog.open)
    assert metrics(shown)["Results"] == "5"
    assert showing(shown) == "Dog · Class Changed = True · 5 results"
    shown = open_link(removed_table(at).query("class_name == 'dog'").iloc[0].open)
    assert showing(shown) == "pre-label Dog · (removed) · 1 result"


def test_clicking_a_class_bar_lists_only_that_class(demo_store):
    at = click_bar(open_overview(), "overview_class_chart", ["car", 1, 2])
    assert records(table(at, CLASSES), "class_name", "job") == [("car", "street-scenes")]
    assert "Showing car; click the bar again to show every class." in [c.value for c in at.caption]


def test_an_empty_store_says_how_to_get_jobs():
    at = open_overview()
    assert at.title[0].value == "Overview"
    assert len(infos(at)) == 1 and infos(at)[0].startswith("No READY manual label jobs yet")
    assert not at.dataframe and not at.metric


# ---- a store three reviewers have worked in ------------------------------------------------------------------------


@pytest.fixture
def reviewed(store_url: str, monkeypatch: pytest.MonkeyPatch, copy_demo) -> dict[str, int]:
    """The demo jobs drawn small (street-scenes 43 results: person 16, bicycle 11, dog 8, car 7, traffic_light 1;
    fruit-stand 6, two of them changed to orange) in this test's own store, reviewed today:

    ana accepts every person (16); bo rejects the cars "Blurry" (7) and the bicycles " blurry " (11), then the
    dogs without a reason (8); cy rejects fruit-stand's two changed results "Wrong label". SQLite, and PostgreSQL
    when configured."""
    monkeypatch.setenv("LABELDECK_DATABASE_URL", store_url)
    copy_demo(store_url, detection_images=8, classification_images=6)  # the demo seeded once, copied
    engine = store_engine()
    street, fruit = job_id("street-scenes"), job_id("fruit-stand")
    street_frame, fruit_frame = frame_of(street), frame_of(fruit)

    def ids(frame: pl.DataFrame, condition: pl.Expr) -> list[int]:
        return frame.filter(condition)["result_id"].to_list()

    for result_ids, to, who, reason in [
        (ids(street_frame, pl.col("class_row") == "person"), review.accept, "ana", None),
        (ids(street_frame, pl.col("class_row") == "car"), review.reject, "bo", "Blurry"),
        (ids(street_frame, pl.col("class_row") == "bicycle"), review.reject, "bo", " blurry "),
        (ids(street_frame, pl.col("class_row") == "dog"), review.reject, "bo", None),
    ]:
        to(
            engine=engine,
            job_id=street,
            result_ids=result_ids,
            from_state="pending",
            actor=as_reviewer(who),
            reason=reason,
        )
    review.reject(
        engine=engine,
        job_id=fruit,
        result_ids=ids(fruit_frame, pl.col("class_changed")),
        from_state="pending",
        actor=as_reviewer("cy"),
        reason="Wrong label",
    )
    return {"street-scenes": street, "fruit-stand": fruit}


def test_key_figures_and_progress_after_review(reviewed):
    at = open_overview()
    assert metrics(at) == {"Jobs READY": "2", "Results": "49", "Reviewed": "89.8%", "Rejected share": "63.6%"}
    assert records(table(at, PROGRESS), "job", "results", "pending", "accepted", "rejected") == [
        ("street-scenes", 43, 1, 16, 26),
        ("fruit-stand", 6, 4, 0, 2),
    ]


def test_decisions_per_reviewer_today(reviewed):
    at = open_overview()
    decisions = table(at, DECISIONS)
    assert records(decisions, "reviewer", "job", "decisions", "accepted", "rejected", "pending", "undone") == [
        ("ana", "street-scenes", 16, 16, 0, 0, 0),
        ("bo", "street-scenes", 26, 0, 26, 0, 0),
        ("cy", "fruit-stand", 2, 0, 2, 0, 0),
    ]
    day = str(decisions["day"].iloc[0])[:10]
    assert list(decisions["open"]) == [
        f"activity?job={reviewed['street-scenes']}&reviewer=ana&day={day}",
        f"activity?job={reviewed['street-scenes']}&reviewer=bo&day={day}",
        f"activity?job={reviewed['fruit-stand']}&reviewer=cy&day={day}",
    ]
    figure = charts(at)["overview_decisions_chart"]
    assert [(trace["name"], trace["y"]) for trace in figure["data"]] == [("ana", [16]), ("bo", [26]), ("cy", [2])]
    assert figure["layout"]["barmode"] == "stack"


def test_the_activity_link_shows_that_reviewers_decisions_of_the_day(reviewed):
    link = table(open_overview(), DECISIONS).query("reviewer == 'bo'").iloc[0].open
    at = open_link(link)
    assert plain(at.title[0].value) == "Activity · street-scenes"
    assert at.multiselect[0].value == ["bo"]
    assert "3 of 4 events · 26 decisions" in [c.value for c in at.caption]  # bo: three rejections, 26 results
    assert set(at.dataframe[0].value["reviewer"]) == {"bo"}


def test_clicking_a_decisions_bar_lists_that_reviewers_day(reviewed):
    at = open_overview()
    day = str(table(at, DECISIONS)["day"].iloc[0])[:10]
    at = click_bar(at, "overview_decisions_chart", [day, "bo", 0, 26, 0, 0])
    assert records(table(at, DECISIONS), "reviewer", "job", "rejected") == [("bo", "street-scenes", 26)]


def test_rejected_share_and_top_reasons(reviewed):
    at = open_overview()
    rejections = table(at, REJECTIONS)
    assert records(rejections, "job", "reviewed", "rejected", "rejected_share", "top") == [
        ("street-scenes", 42, 26, 26 / 42, "blurry (18) · (no reason) (8)"),  # "Blurry" and " blurry " are one
        ("fruit-stand", 2, 2, 1.0, "wrong label (2)"),
    ]
    figure = charts(at)["overview_reasons_chart"]
    assert (list(figure["data"][0]["y"]), list(figure["data"][0]["x"])) == (
        ["blurry", "(no reason)", "wrong label"],
        [18, 8, 2],
    )


def test_the_rejected_link_opens_the_rejected_tab_with_that_many_results(reviewed):
    rejections = table(open_overview(), REJECTIONS)
    for row in rejections.itertuples(index=False):
        at = open_link(row.open)
        assert at.segmented_control(key="tab").value == "rejected"
        assert f"Rejected {row.rejected}" in tab_labels(at)
        assert showing(at) == f"all results · {results(row.rejected)}"


def test_the_progress_link_opens_the_pending_review_tab(reviewed):
    progress = table(open_overview(), PROGRESS)
    for row in progress.itertuples(index=False):
        at = open_link(row.open)
        assert plain(at.title[0].value) == f"Visualize · {row.job}"
        assert at.segmented_control(key="tab").value == "pending"
        assert showing(at) == f"all results · {results(row.pending)}"


def test_clicking_a_reason_lists_the_jobs_with_it(reviewed):
    at = click_bar(open_overview(), "overview_reasons_chart", ["wrong label", 1])
    assert records(table(at, REJECTIONS), "job") == [("fruit-stand",)]


def test_a_class_link_counts_its_results_in_every_review_state(reviewed):
    dog = table(open_overview(), CLASSES).query("class_name == 'dog'").iloc[0]
    assert (dog.results, dog.class_changed, dog.as_expert_class, dog.removed) == (8, 3, 3, 0)
    at = open_link(dog.open)
    assert metrics(at)["Results"] == "3"
    assert tab_labels(at) == ["Pending Review 0", "Accepted 0", "Rejected 3"]  # bo rejected every dog
