"""Every page shows what users and label files supply as text (issue 11): job, class, spec, ResultSet and file
names, notes, reject and failure reasons, user names, and the values of a link's query params never become a link,
an image or HTML in what Streamlit renders as Markdown (st.markdown, captions, alerts, toasts, titles, widget
labels and dialogs) nor in Plotly's texts, which read <a href>.

A Markdown source is safe when dashboard.text.md() escaped the user's text: its outside host then reads
`evil\\.example`, never `evil.example`, and a word joiner stands before each web address. An HTML source
(unsafe_allow_html) is safe when it is one `<div>` line, which Markdown leaves alone as an HTML block, and holds no
tag of the user's."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from streamlit.testing.v1 import AppTest

from core.settings import get_settings
from core.store.db import get_engine
from dashboard.text import WORD_JOINER, plotly_text
from tests.app.conftest import click_in_dialog, plain, send_widget_state
from tests.app.visualize_helpers import APP
from tests.hostile_builders import (
    ACCOUNT,
    ADMIN,
    AUTO_JOB,
    CAT,
    DOG,
    EVIL_HOST,
    EXPERT,
    FAILURE,
    HOSTILE_FILE,
    JOB,
    MANUAL_JOB,
    NOTE,
    REASON,
    RESULTSET,
    REVIEWER,
    SPEC,
    SPEC_DISPLAY,
    HostileStore,
    hostile,
    seed_hostile,
)

# The fields of an element's message that Streamlit renders as Markdown.
MARKDOWN_FIELDS = frozenset({"body", "label", "help", "text", "title", "options", "content"})
# Elements whose texts are not Markdown: tables and components (text by construction), HTML, Plotly (checked below).
NOT_MARKDOWN = frozenset(
    {
        "dataframe",
        "arrow_data_frame",
        "plotly_chart",
        "bidi_component",
        "html",
        "code",
        "text",
        "exception",
        "json",
        "image",
    }
)
PLAIN_OPTIONS = frozenset({"selectbox", "multiselect"})  # their options are plain text
PHISH = f"x [**Your session expired: sign in again here**](http://{EVIL_HOST}/phish)"
BARE_WEB_ADDRESS = re.compile(rf"(?<!{WORD_JOINER})(https?\\?:|www\\?\.)", re.IGNORECASE)


@pytest.fixture
def store(data_dir) -> HostileStore:
    return seed_hostile(get_engine(get_settings().database_url), data_dir / "hostile")


def open_page(page: str, /, **params: str) -> AppTest:
    """pages/<page>.py with the query params, reached as a browser reaches it (no sign-in: the demo admin)."""
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    for key, value in params.items():
        at.query_params[key] = value
    at.switch_page(f"../pages/{page}.py").run()
    assert not at.exception, at.exception
    return at


def _strings(message, skip: frozenset[str]) -> Iterator[str]:
    for field, value in message.ListFields():
        if field.name in skip or (field.message_type and field.message_type.GetOptions().map_entry):
            continue
        values = value if hasattr(value, "__len__") and not isinstance(value, (str, bytes)) else [value]
        for item in values:
            if field.type == field.TYPE_MESSAGE:
                yield from _strings(item, skip)
            elif field.type == field.TYPE_STRING and field.name in MARKDOWN_FIELDS:
                yield item


def markdown_sources(at: AppTest) -> list[tuple[str, str, bool]]:
    """(element type, text, whether it is HTML) of every text on the page that Streamlit renders as Markdown."""
    found = []
    for node in at._tree:
        if node.type in NOT_MARKDOWN or getattr(node, "proto", None) is None:
            continue
        is_html = bool(getattr(node.proto, "allow_html", False))
        skip = frozenset({"options"}) if node.type in PLAIN_OPTIONS else frozenset()
        found += [(node.type, text, is_html) for text in _strings(node.proto, skip)]
    return found


def leaks(at: AppTest) -> list[str]:
    """The page's Markdown sources in which a hostile text could act: Markdown with the outside host's dot left
    unescaped, or a web address GFM would make a link of (one without a word joiner before it); HTML that is not
    one <div> line, or holds a tag of the user's."""
    found = []
    for kind, source, is_html in markdown_sources(at):
        if is_html:
            unsafe = EVIL_HOST in source and (
                not source.startswith("<div") or "\n" in source or re.search(r"<(a|img)\b", source)
            )
        else:
            unsafe = EVIL_HOST in source or BARE_WEB_ADDRESS.search(source)
        if unsafe:
            found.append(f"{kind}: {source}")
    return found


def as_read(at: AppTest) -> str:
    """The page's Markdown sources as the reader sees their text: escapes taken out of Markdown, tags out of HTML."""
    return "\n".join(
        html.unescape(re.sub(r"<[^>]+>", "", source)) if is_html else plain(source)
        for _, source, is_html in markdown_sources(at)
    )


def page_visits(store: HostileStore) -> list[tuple[str, str, dict[str, str], list[str]]]:
    """(name, page, query params, hostile texts it shows in Markdown) for every page."""
    job, manual, auto = str(store.job), str(store.manual_job), str(store.auto_job)
    return [
        ("jobs", "jobs", {}, [JOB, AUTO_JOB, MANUAL_JOB, FAILURE, CAT, DOG, ADMIN.name]),
        ("overview", "overview", {}, []),  # tables and charts only (test_names_in_plotly_figures_are_text)
        ("job picker", "visualize", {}, [JOB]),
        ("visualize", "visualize", {"job": job}, [JOB]),
        ("charts", "visualize", {"job": job, "view": "charts"}, [JOB]),
        (
            "viewer",
            "visualize",
            {"job": job, "tab": "rejected", "result": str(store.rejected_result)},
            [HOSTILE_FILE, CAT, REVIEWER.name, REASON],
        ),
        (
            "panel",
            "visualize",
            {"job": job, "classes": CAT, "slice": f"file_path:{HOSTILE_FILE}", "panel": "images"},
            [HOSTILE_FILE, CAT],
        ),
        ("by image", "visualize", {"job": job, "group_by": "image"}, [JOB]),
        ("catalog", "catalog", {"job": job}, [JOB, HOSTILE_FILE]),
        ("catalog in progress", "catalog", {"job": manual}, [MANUAL_JOB, HOSTILE_FILE]),
        ("catalog auto", "catalog", {"job": auto}, [AUTO_JOB, HOSTILE_FILE]),
        ("resultsets", "resultsets", {"job": job}, [RESULTSET, NOTE, REVIEWER.name, CAT]),
        ("activity", "activity", {"job": job}, [JOB]),
        (
            "annotate",
            "annotate",
            {"job": manual, "sample": str(store.labelled_sample)},
            [MANUAL_JOB, HOSTILE_FILE, EXPERT.name],
        ),
        ("annotate ready", "annotate", {"job": job}, [f"{JOB} is READY"]),
        ("new job", "new_job", {"from_auto": auto}, []),  # select boxes only: their options are plain text
        ("specs", "specs", {}, [SPEC, SPEC_DISPLAY]),
        ("users", "users", {}, []),  # a table and a select box only
    ]


def test_every_page_shows_names_notes_and_reasons_as_text(store):
    leaked, missing = {}, {}
    for name, page, params, texts in page_visits(store):
        at = open_page(page, **params)
        leaked[name] = leaks(at)
        seen = as_read(at)
        missing[name] = [text for text in texts if text not in seen]
    assert {name: found for name, found in leaked.items() if found} == {}
    assert {name: texts for name, texts in missing.items() if texts} == {}


def test_a_link_value_quoted_in_a_notice_is_text(store):
    params = ("tab", "sort", "view", "result", "slice", "group_by", "class_changed", "area_min", "page", "page_size")
    at = open_page("visualize", job=str(store.job), classes=PHISH, **dict.fromkeys(params, PHISH))
    notices = [plain(w.value) for w in at.warning]
    for name in params:
        assert any(f"{name}={PHISH!r}" in notice for notice in notices), (name, notices)
    assert any(f"in the link: {PHISH}" in notice for notice in notices), notices
    assert leaks(at) == []

    at = open_page("annotate", job=str(store.manual_job), sample=PHISH)
    assert [plain(w.value) for w in at.warning] == [f"ignored sample={PHISH!r} (not an image of this job)"]
    assert leaks(at) == []

    at = open_page("catalog", job=PHISH)
    assert [plain(e.value) for e in at.error] == [f"There is no job with id {PHISH!r}."]
    assert leaks(at) == []


def figure_texts(at: AppTest) -> dict[str, list[str]]:
    """Every string each Plotly figure on the page shows, by the chart's key. Not its customdata: the names a click
    reports, which the figure shows only where a template names them (the hover templates name numbers only)."""

    def strings(value) -> Iterator[str]:
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for key, item in value.items():
                if key != "customdata":
                    yield from strings(item)
        elif isinstance(value, list):
            for item in value:
                yield from strings(item)

    return {
        chart.proto.id.rsplit("-", 1)[-1]: list(strings(json.loads(chart.proto.spec)))
        for chart in at.get("plotly_chart")
    }


def test_names_in_plotly_figures_are_text(store):
    overview = figure_texts(open_page("overview"))
    charts = figure_texts(open_page("visualize", job=str(store.job), view="charts"))
    viewer = figure_texts(open_page("visualize", job=str(store.job), tab="rejected", result=str(store.rejected_result)))
    expected = {
        "overview_class_chart": DOG,
        "overview_reasons_chart": REASON,
        "overview_decisions_chart": REVIEWER.name,
        "confusion_pending": DOG,
        "viewer_canvas": CAT,
    }
    figures = overview | charts | viewer
    for key, name in expected.items():
        assert plotly_text(name) in figures[key], key  # shown, escaped
    tags = {key: [t for t in texts if re.search(r"<(a|img)\b", t)] for key, texts in figures.items()}
    assert {key: found for key, found in tags.items() if found} == {}


def click_bar(at: AppTest, key: str, customdata: list) -> AppTest:
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


@pytest.mark.parametrize(
    ("chart", "customdata", "caption"),
    [
        ("overview_class_chart", [DOG, 1, 0], f"Showing {DOG}; click the bar again to show every class."),
        (
            "overview_reasons_chart",
            [REASON, 1],
            f"Jobs with rejections for “{REASON}”; click the bar again to show every job.",
        ),
        (
            "overview_decisions_chart",
            ["TODAY", REVIEWER.name, 2, 2, 0, 0],
            f"Showing {REVIEWER.name} on TODAY; click the bar again to show every day.",
        ),
    ],
)
def test_a_clicked_bar_is_named_as_text(store, chart, customdata, caption):
    today = datetime.now(UTC).date().isoformat()
    customdata = [today if value == "TODAY" else value for value in customdata]
    at = click_bar(open_page("overview"), chart, customdata)
    assert caption.replace("TODAY", today) in [plain(c.value) for c in at.caption]
    assert leaks(at) == []


def test_messages_after_actions_are_text(store, monkeypatch):
    at = open_page("users")
    at.text_input(key="new_account_name").input(hostile("add"))
    at.button(key="add_account").click().run()
    assert [plain(t.value) for t in at.toast] == [f"Added {hostile('add')}."]
    assert leaks(at) == []
    at.selectbox(key="account").set_value(ACCOUNT).run()
    at.button(key="remove_account").click().run()
    assert any(f"Remove **{ACCOUNT}**?" in plain(m.value) for m in at.markdown)
    assert leaks(at) == []
    click_in_dialog(at, "confirm_remove", monkeypatch)
    assert [plain(t.value) for t in at.toast] == [f"Removed {ACCOUNT}."]
    assert leaks(at) == []

    at = open_page("visualize", job=str(store.job), view="spot_check")
    at.button(key="spot_draw").click().run()
    assert DOG in as_read(at) and leaks(at) == []  # the pending results' captions

    at = open_page("resultsets", job=str(store.job))
    at.button(key=f"delete_{store.resultset}").click().run()
    assert any(f"Delete **{RESULTSET}**" in plain(m.value) for m in at.markdown)
    assert leaks(at) == []

    at = open_page("specs")
    at.text_input(key="new_spec_name").input(SPEC)
    at.text_area(key="new_spec_classes").input("a\nb")
    at.button(key="create_spec").click().run()
    assert [plain(e.value) for e in at.error] == [f"a label spec named {SPEC!r} already exists"]
    assert leaks(at) == []

    at = open_page("new_job", from_auto=str(store.auto_job))
    at.text_input(key="new_job_name").input(JOB)  # taken
    at.button(key="create_job").click().run()
    assert [plain(e.value) for e in at.error] == [f"a job named {JOB!r} already exists (id {store.job})"]
    assert leaks(at) == []
