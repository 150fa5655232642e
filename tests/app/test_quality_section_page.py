"""The Pre-label quality section of Visualize and the Overview's row per job, through Streamlit's AppTest on the demo
store: the figures shown are job_quality's; each count is the number of results its link opens (counted on the
job's results frame, and as the page shows them once opened); the section is drawn only while open."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import polars as pl
import pytest
from streamlit.runtime.state.session_state import STREAMLIT_INTERNAL_KEY_PREFIX
from streamlit.testing.v1 import AppTest

from core.analysis.filters import from_query_params
from core.analysis.quality import job_quality
from core.domain.vocabulary import REMOVED_ROW
from tests.app.conftest import send_widget_state, stats
from tests.app.test_overview_page import open_link, open_overview
from tests.app.visualize_helpers import apply, frame_of, job_id, open_visualize, store_engine, tile_ids

STREET, FRUIT = "street-scenes", "fruit-stand"


def quality_of(name: str):
    return job_quality(engine=store_engine(), job_id=job_id(name))


def headline(at: AppTest) -> dict[str, str]:
    import re

    bodies = [e.proto.body for e in at.get("html") if "data-quality=" in e.proto.body]
    assert len(bodies) <= 1, bodies
    return dict(re.findall(r'data-quality="([^"]+)" data-value="([^"]+)"', bodies[0])) if bodies else {}


def quality_table(at: AppTest):
    found = [e for e in at.get("bidi_component") if e.key == "quality_table"]
    assert len(found) <= 1, found
    return found[0] if found else None


def table_rows(at: AppTest) -> dict[str, dict]:
    """display name → {column: cell}."""
    data = json.loads(quality_table(at).proto.json)
    return {row["label"]: row["cells"] for row in data["rows"]}


def linked_results(job: int, href: str) -> pl.DataFrame:
    """The job's results a count's link selects, read from its URL with the filter's own parser."""
    params = parse_qs(urlsplit(href).query)
    result_filter, notices = from_query_params(params, known_classes=[*frame_of(job)["class_row"].unique()])
    assert notices == [] and params["job"] == [str(job)]
    return frame_of(job).filter(result_filter.expr())


def param(at: AppTest, key: str) -> list[str]:
    value = at.query_params.get(key, [])
    return [value] if isinstance(value, str) else list(value)


def click_count(at: AppTest, row: int, column: str) -> AppTest:
    """A plain click on a count of the table (a component): the trigger its link's click sends."""
    return send_widget_state(
        at,
        f"{STREAMLIT_INTERNAL_KEY_PREFIX}_{quality_table(at).proto.id}__events",
        json_trigger_value=json.dumps([{"event": "open", "value": [row, column]}]),
    )


def test_the_section_is_drawn_only_while_open(demo_store):
    at = open_visualize(job_id(STREET))
    assert at.expander[0].label == "Pre-label quality"
    assert quality_table(at) is None and headline(at) == {}
    assert not [c for c in at.get("plotly_chart") if "quality" in (c.proto.id or "")]


def test_the_figures_shown_are_job_quality_s(demo_store):
    quality = quality_of(STREET)
    at = open_visualize(job_id(STREET), quality="true")
    assert headline(at) == {
        "AP": f"{quality.ap:.3f}",
        "AP50": f"{quality.ap50:.3f}",
        "Precision": f"{quality.precision:.3f}",
        "Recall": f"{quality.recall:.3f}",
        "F1": f"{quality.f1:.3f}",
        "Edits": f"{quality.as_labelled.edits:,}",
        "Best threshold": f"{quality.best.threshold:.3g}",
    }
    rows = table_rows(at)
    assert list(rows) == ["Car", "Person", "Bicycle", "Traffic light", "Dog"]  # the spec's order, display names
    for (name, figures), cells in zip(quality.per_class.items(), rows.values()):
        for column in ("ap", "ap50", "precision", "recall", "f1"):
            assert cells[column]["text"] == f"{getattr(figures, column):.3f}", (name, column)
        assert (cells["expert_labels"]["count"], cells["pre_labels"]["count"]) == (
            figures.expert_labels,
            figures.pre_labels,
        )
    # The false positives are the edits' deletions and relabels, the missed its additions and relabels, every
    # pre-label kept: summed over the classes, the job's own figures.
    effort = quality.as_labelled
    assert sum(c["false_positives"]["count"] for c in rows.values()) == effort.deletions + effort.relabels
    assert sum(c["missed"]["count"] for c in rows.values()) == effort.additions + effort.relabels
    charts = {c.proto.id for c in at.get("plotly_chart")}
    assert any("quality_effort" in i for i in charts) and any("quality_pr" in i for i in charts)


def test_every_count_is_the_number_of_results_its_link_opens(demo_store):
    job = job_id(STREET)
    at = open_visualize(job, quality="true")
    at.number_input(key="quality_confidence").set_value(0.5).run()
    rows = table_rows(at)
    for label, cells in rows.items():
        for column in ("expert_labels", "pre_labels", "false_positives", "missed"):
            assert linked_results(job, cells[column]["href"]).height == cells[column]["count"], (label, column)
    car_fp = linked_results(job, rows["Car"]["false_positives"]["href"])
    assert set(car_fp["pre_class_row"]) <= {"car"} and car_fp["class_changed"].all()
    assert (car_fp["pre_confidence"] >= 0.5).all()
    # Opened as a link in a new tab: the page's Results (every review state) is the count.
    href = rows["Person"]["false_positives"]["href"]
    assert stats(open_link(href))["Results"] == str(rows["Person"]["false_positives"]["count"])


def test_a_click_on_a_class_s_false_positives_opens_them_below(demo_store):
    job = job_id(STREET)
    at = open_visualize(job, quality="true")
    rows = table_rows(at)
    count = rows["Person"]["false_positives"]["count"]
    assert count > 0
    click_count(at, list(rows).index("Person"), "false_positives")
    assert param(at, "pre_classes") == ["person"] and param(at, "class_changed") == ["true"]
    assert "quality" not in at.query_params and quality_table(at) is None  # closed: the grid is in view
    assert stats(at)["Results"] == str(count)
    frame = frame_of(job)
    expected = frame.filter((pl.col("pre_class_row") == "person") & pl.col("class_changed"))
    assert expected.height == count and set(expected["class_row"]) - {REMOVED_ROW} != set()
    assert sorted(tile_ids(at)) == sorted(expected["result_id"])  # every one pending in the demo: all on the grid


def test_a_classification_job_shows_accuracy_and_its_confusion_matrix(demo_store):
    quality = quality_of(FRUIT)
    at = open_visualize(job_id(FRUIT), quality="true")
    shown = headline(at)
    assert shown["Accuracy"] == f"{quality.accuracy:.3f}" and "AP" not in shown
    data = json.loads(quality_table(at).proto.json)
    assert "ap" not in [c["key"] for c in data["columns"]]
    assert any("quality_confusion" in c.proto.id for c in at.get("plotly_chart"))
    confusion = json.loads(next(c for c in at.get("plotly_chart") if "quality_confusion" in c.proto.id).proto.spec)
    assert confusion["data"][0]["z"] == [list(r) for r in quality.confusion.counts]


def test_the_pre_label_class_filter_in_the_sidebar(demo_store):
    job = job_id(STREET)
    at = apply(open_visualize(job), f_pre_classes=["car"], f_changed="True")
    assert param(at, "pre_classes") == ["car"]
    expected = frame_of(job).filter((pl.col("pre_class_row") == "car") & pl.col("class_changed"))
    assert stats(at)["Results"] == str(expected.height)


@pytest.mark.parametrize("name", [STREET, FRUIT])
def test_the_overview_row_of_each_job_links_to_its_section(demo_store, name):
    quality = quality_of(name)
    at = open_overview()
    [table] = [d.value for d in at.dataframe if "best_threshold" in d.value.columns]
    row = table[table["job"] == name].iloc[0]
    for column in ("ap", "ap50", "accuracy", "precision", "recall", "f1", "best_threshold"):
        value = getattr(quality, column)
        assert (row[column] is None or row[column] != row[column]) if value is None else row[column] == value
    assert row["edits"] == quality.as_labelled.edits
    assert row["open"] == f"visualize?job={job_id(name)}&quality=true"
    opened = open_link(row["open"])
    assert headline(opened)["Precision"] == f"{quality.precision:.3f}"
    trend = json.loads(next(c for c in at.get("plotly_chart") if "overview_quality_trend" in c.proto.id).proto.spec)
    points = {(text, y) for trace in trend["data"] for text, y in zip(trace["text"], trace["y"])}
    assert (name, quality.ap if quality.task == "detection" else quality.accuracy) in points
