"""The Catalog page's Table view through Streamlit's AppTest: its rows per image against
core.analysis.catalog's samples, the search by file name and by class, and a new search starting on its first
page. In a store of the test's own (the demo jobs drawn small)."""

from __future__ import annotations

import polars as pl
from streamlit.testing.v1 import AppTest

from core.analysis import catalog
from core.review import decisions as review
from tests.app.conftest import plain
from tests.app.review_helpers import (
    BO,
    captions,
    ids_where,
    open_page,
    store,  # noqa: F401  (the fixture: the demo jobs, drawn small)
)
from tests.app.visualize_helpers import frame_of, job_id, store_engine
from tests.builders import as_reviewer

# ---- the Catalog page ------------------------------------------------------------------------------------------


def catalog_table(job: int) -> AppTest:
    """The Catalog page's Table view (it opens on the images)."""
    at = open_page("catalog", job)
    at.segmented_control(key="catalog_view").set_value("Table").run()
    assert not at.exception, at.exception
    return at


def catalog_rows(at: AppTest) -> list[tuple]:
    frame = at.dataframe[0].value
    return [(r.file_path, r.classes, r.results, r.pending, r.accepted, r.rejected) for r in frame.itertuples()]


def expected_catalog(job: int, search: str = "") -> list[tuple]:
    samples, _ = catalog.catalog_samples(engine=store_engine(), job_id=job, search=search)
    return [
        (s["file_path"], ", ".join(s["classes"]), s["results"], s["pending"], s["accepted"], s["rejected"])
        for s in samples.iter_rows(named=True)
    ]


def test_catalog_search_by_file_name_and_by_class(store):
    street = store["street-scenes"]
    frame = frame_of(street)
    review.accept(
        engine=store_engine(),
        job_id=street,
        result_ids=ids_where(frame, pl.col("class_row") == "dog"),
        from_state="pending",
        actor=as_reviewer(BO),
    )
    at = catalog_table(street)
    assert catalog_rows(at) == expected_catalog(street)
    assert len(catalog_rows(at)) == 8 and "8 images" in captions(at)
    assert sum(r[2] for r in catalog_rows(at)) == 43 and sum(r[4] for r in catalog_rows(at)) == 8

    at.text_input(key="catalog_search").input("SCENE_0003").run()
    assert catalog_rows(at) == expected_catalog(street, "scene_0003")
    assert [r[0] for r in catalog_rows(at)] == ["scene_0003.jpg"]
    assert "1 image matches “SCENE_0003”" in [plain(c) for c in captions(at)]

    at.text_input(key="catalog_search").input("dog").run()
    rows = catalog_rows(at)
    assert rows == expected_catalog(street, "dog")
    with_dogs = sorted(set(frame.filter(pl.col("expert_class") == "dog")["file_path"]))
    assert [r[0] for r in rows] == with_dogs and len(rows) == 5
    assert all("dog" in r[1].split(", ") for r in rows) and sum(r[4] for r in rows) == 8
    assert "5 images match “dog”" in [plain(c) for c in captions(at)]

    at.text_input(key="catalog_search").input("zebra").run()
    assert catalog_rows(at) == [] and "0 images match “zebra”" in [plain(c) for c in captions(at)]


def test_a_new_catalog_search_starts_on_its_first_page(tmp_path, monkeypatch, copy_demo):
    data = tmp_path / "data"
    monkeypatch.setenv("LABELDECK_DATA_DIR", str(data))
    monkeypatch.setenv("LABELDECK_DATABASE_URL", f"sqlite:///{data / 'labeldeck.db'}")
    copy_demo(f"sqlite:///{data / 'labeldeck.db'}", detection_images=55, classification_images=2)
    street = job_id("street-scenes")
    at = catalog_table(street)
    assert len(catalog_rows(at)) == 50 and "55 images" in captions(at)
    at.pagination[0].set_value(2).run()
    assert [r[0] for r in catalog_rows(at)] == [f"scene_{i:04d}.jpg" for i in range(51, 56)]
    at.text_input(key="catalog_search").input("scene_0003").run()
    assert [r[0] for r in catalog_rows(at)] == ["scene_0003.jpg"]
    assert at.pagination[0].value == 1
