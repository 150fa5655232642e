"""The Catalog page through AppTest: a page of image tiles for each kind of job, their captions, the search, the
open button that lands on Visualize, and the Table view. Every expectation is read from the store with SQL, not
through the page's code paths."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from streamlit.testing.v1 import AppTest

from core.jobs.summaries import list_jobs
from core.settings import get_settings
from core.store.db import get_engine
from dashboard.text import md
from tests.resultset_builders import set_state

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")
PAGE_SIZE = 24
CAPTION = re.compile(r'^<div title="[^"]*" style="[^"]*">(.*)</div>$', re.S)


# ---- driving the page ------------------------------------------------------------------------------------------


def open_catalog(job: int) -> AppTest:
    """The Catalog at ?job=…, reached as a browser reaches it once the app runs (the entrypoint first, so the
    navigation is declared; see tests/app/visualize_helpers.py's open_visualize)."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.query_params["job"] = str(job)
    at.switch_page("../pages/catalog.py").run()
    assert not at.exception, at.exception
    return at


def captions(at: AppTest) -> dict[str, str]:
    """The tiles' one-line captions by file name (the caption's first part)."""
    found = [html.unescape(m.group(1)) for m in (CAPTION.match(md.value) for md in at.markdown) if m]
    by_file = {caption.split(" · ")[0]: caption for caption in found}
    assert len(by_file) == len(found), found  # one tile per image
    return by_file


def search(at: AppTest, needle: str) -> AppTest:
    at.text_input(key="catalog_search").input(needle).run()
    assert not at.exception, at.exception
    return at


# ---- independent expectations ------------------------------------------------------------------------------------


def store() -> Engine:
    return get_engine(get_settings().database_url)


def job_id(name: str) -> int:
    return next(j.id for j in list_jobs(engine=store()) if j.name == name)


def rows(query: str, **params) -> list[tuple]:
    with store().connect() as conn:
        return [tuple(r) for r in conn.execute(text(query), params).all()]


def files(job: int) -> list[str]:
    return [f for (f,) in rows("SELECT file_path FROM sample WHERE job_id = :j ORDER BY file_path", j=job)]


def plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}es" if noun.endswith("x") else f"{n} {noun}s"


def expected_result_captions(job: int) -> dict[str, str]:
    """Per image of a detection job: results, Class Changed and the reviewed ones, counted by SQL."""
    counts = {
        f: (n, changed, accepted, rejected)
        for f, n, changed, accepted, rejected in rows(
            "SELECT s.file_path, COUNT(r.id), "
            "SUM(CASE WHEN r.class_changed THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN st.state = 'accepted' THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN st.state = 'rejected' THEN 1 ELSE 0 END) "
            "FROM sample s JOIN result r ON r.sample_id = s.id LEFT JOIN reviewstate st ON st.result_id = r.id "
            "WHERE s.job_id = :j GROUP BY s.file_path",
            j=job,
        )
    }
    expected = {}
    for f in files(job):
        if f not in counts:
            expected[f] = f"{f} · no results"
            continue
        n, changed, accepted, rejected = counts[f]
        reviewed = [f"{accepted} accepted"] * bool(accepted) + [f"{rejected} rejected"] * bool(rejected)
        expected[f] = " · ".join([f, plural(n, "result"), f"{changed} changed", *reviewed])
    return expected


def expected_label_captions(job: int, table: str, noun: str) -> dict[str, str]:
    """Per image: how many labels of `table` (prediction, or annotation pre-labels) and their top score."""
    source = " AND t.source = 'pre'" if table == "annotation" else ""
    counts = {
        f: (n, top)
        for f, n, top in rows(
            f"SELECT s.file_path, COUNT(t.id), MAX(t.score) FROM sample s JOIN {table} t ON t.sample_id = s.id "
            f"WHERE s.job_id = :j{source} GROUP BY s.file_path",
            j=job,
        )
    }
    expected = {}
    for f in files(job):
        n, top = counts.get(f, (0, None))
        expected[f] = " · ".join([f, plural(n, noun), *([f"top score {top:.2f}"] if top is not None else [])])
    return expected


def first_page(expected: dict[str, str]) -> dict[str, str]:
    return {f: expected[f] for f in sorted(expected)[:PAGE_SIZE]}


# ---- a READY manual detection job ------------------------------------------------------------------------------


def test_a_ready_detection_jobs_tiles_count_its_results_per_image(demo_store):
    street = job_id("street-scenes")
    at = open_catalog(street)
    assert at.title[0].value == f"Catalog · {md('street-scenes')}"  # job names are shown as text
    assert at.segmented_control(key="catalog_view").value == "Images"
    expected = expected_result_captions(street)
    assert len(expected) == 16  # the demo's images: all on the first page
    assert captions(at) == first_page(expected)
    assert sum(int(c.split(" · ")[1].split()[0]) for c in captions(at).values()) == 90  # every result, once
    assert len([b for b in at.button if b.key and b.key.startswith("catalog_open_")]) == 16


def test_search_narrows_the_tiles_by_file_name_or_class(demo_store):
    street = job_id("street-scenes")
    expected = expected_result_captions(street)
    at = search(open_catalog(street), "SCENE_000")
    assert captions(at) == {f: c for f, c in expected.items() if "scene_000" in f.lower()}
    assert 0 < len(captions(at)) < 16
    with_bicycle = {
        f
        for (f,) in rows(
            "SELECT DISTINCT s.file_path FROM sample s JOIN result r ON r.sample_id = s.id "
            "JOIN labelclass c ON c.id = r.expert_class_id WHERE s.job_id = :j AND c.name = 'bicycle'",
            j=street,
        )
    }
    assert 0 < len(with_bicycle) < 16
    search(at, "bicycle")
    assert captions(at) == {f: expected[f] for f in with_bicycle}
    search(at, "no such image")
    assert captions(at) == {}
    assert "No image matches this search." in [i.value for i in at.info]


def test_a_tiles_open_button_opens_the_image_on_visualize(demo_store):
    street = job_id("street-scenes")
    # The last image by name with several results: neither the job's first result nor the image's only one.
    sample_id, first_result, last_result = rows(
        "SELECT s.id, MIN(r.id), MAX(r.id) FROM sample s JOIN result r ON r.sample_id = s.id WHERE s.job_id = :j "
        "GROUP BY s.file_path, s.id HAVING COUNT(r.id) > 1 ORDER BY s.file_path DESC LIMIT 1",
        j=street,
    )[0]
    assert min(r for (r,) in rows("SELECT id FROM result WHERE job_id = :j", j=street)) < first_result < last_result
    at = open_catalog(street)
    at.button(key=f"catalog_open_{sample_id}").click().run()
    assert not at.exception, at.exception
    assert at.title[0].value == f"Visualize · {md('street-scenes')}"
    assert {k: at.query_params[k] for k in ("job", "group_by", "result")} == {
        "job": str(street),
        "group_by": "image",
        "result": str(first_result),
    }


def test_the_table_view_still_lists_the_samples(demo_store):
    street = job_id("street-scenes")
    at = open_catalog(street)
    at.segmented_control(key="catalog_view").set_value("Table").run()
    assert not at.exception, at.exception
    assert captions(at) == {}
    table = at.dataframe[0].value
    assert list(table["file_path"]) == files(street)
    results = dict(
        rows(
            "SELECT s.file_path, COUNT(r.id) FROM sample s JOIN result r ON r.sample_id = s.id "
            "WHERE s.job_id = :j GROUP BY s.file_path",
            j=street,
        )
    )
    assert dict(zip(table["file_path"], table["results"], strict=True)) == {f: results.get(f, 0) for f in files(street)}


# ---- a READY manual classification job ---------------------------------------------------------------------------


def test_a_classification_jobs_tiles_name_the_expert_class_and_the_change(demo_store):
    fruit = job_id("fruit-stand")
    labels = rows(
        "SELECT s.file_path, e.display_name, p.display_name, r.class_changed FROM result r "
        "JOIN sample s ON s.id = r.sample_id JOIN labelclass e ON e.id = r.expert_class_id "
        "JOIN labelclass p ON p.id = r.pre_class_id WHERE r.job_id = :j",
        j=fruit,
    )
    expected = {f: f"{f} · {pre} → {expert}" if changed else f"{f} · {expert}" for f, expert, pre, changed in labels}
    assert any("→" in c for c in expected.values())
    at = open_catalog(fruit)
    assert captions(at) == first_page(expected)
    assert len(captions(at)) == 12


# ---- labels that are not results yet: an auto label job, an IN_PROGRESS manual job, a PROCESSING job ------------


def test_an_auto_jobs_tiles_count_its_predicted_boxes(demo_store):
    auto = job_id("street-scenes-autolabel")
    at = open_catalog(auto)
    expected = expected_label_captions(auto, "prediction", "box")
    assert captions(at) == first_page(expected)
    assert (
        sum(int(c.split(" · ")[1].split()[0]) for c in captions(at).values())
        == rows("SELECT COUNT(*) FROM prediction WHERE job_id = :j", j=auto)[0][0]
    )
    assert not [b for b in at.button if b.key and b.key.startswith("catalog_open_")]  # nothing to review
    search(at, "person")  # its predicted classes are searched, as a READY job's expert classes are
    with_person = {
        f
        for (f,) in rows(
            "SELECT DISTINCT s.file_path FROM sample s JOIN prediction t ON t.sample_id = s.id "
            "JOIN labelclass c ON c.id = t.class_id WHERE s.job_id = :j AND c.name = 'person'",
            j=auto,
        )
    }
    assert captions(at) == {f: expected[f] for f in with_person}


def test_an_in_progress_jobs_tiles_count_its_pre_labels(demo_store):
    refine = job_id("street-scenes-refine")
    at = open_catalog(refine)
    expected = expected_label_captions(refine, "annotation", "pre-label")
    assert captions(at) == first_page(expected)
    assert any(" 0 pre-labels" not in c for c in expected.values())


def test_a_processing_job_opens_on_its_table_and_says_why_there_are_no_images(demo_store):
    processing = job_id("street-scenes-v2-autolabel")
    at = open_catalog(processing)
    assert at.segmented_control(key="catalog_view").value == "Table"
    assert list(at.dataframe[0].value["file_path"]) == files(processing)
    at.segmented_control(key="catalog_view").set_value("Images").run()
    assert captions(at) == {}
    assert at.info[0].value.startswith("This job is PROCESSING")


# ---- pages and review states: a store of this test's own ---------------------------------------------------------


@pytest.fixture
def own_store(store_url, monkeypatch, copy_demo) -> Engine:
    """The demo with 30 street images, in this test's store (a copy of the demo seeded once: copy_demo): more than
    a page of tiles; states may change."""
    monkeypatch.setenv("LABELDECK_DATABASE_URL", store_url)
    copy_demo(store_url, detection_images=30, classification_images=4)
    return get_engine(get_settings().database_url)


def test_pages_of_24_tiles_and_the_review_states_in_the_captions(own_store):
    street = job_id("street-scenes")
    ids = [r for (r,) in rows("SELECT id FROM result WHERE job_id = :j ORDER BY id", j=street)]
    # as a review action leaves them (the review service is tested elsewhere)
    set_state(own_store, ids[:2], "accepted")
    set_state(own_store, ids[2:3], "rejected")
    with own_store.begin() as conn:
        conn.execute(text("UPDATE labeljob SET review_revision = review_revision + 1 WHERE id = :j"), {"j": street})
    expected = expected_result_captions(street)
    assert len(expected) == 30
    assert any("accepted" in c and "rejected" in c for c in expected.values())
    at = open_catalog(street)
    assert captions(at) == first_page(expected)
    assert len(captions(at)) == PAGE_SIZE
    assert "1–24 of 30 images" in [c.value for c in at.caption]
    at.session_state["catalog_image_page"] = 2
    at.run()
    assert not at.exception, at.exception
    assert captions(at) == {f: expected[f] for f in sorted(expected)[PAGE_SIZE:]}
    assert "25–30 of 30 images" in [c.value for c in at.caption]
