"""The Visualize page through Streamlit's AppTest: its header and Expert Review Stats, the review-state tabs and
the Class Changed table of the street-scenes job (checked against the CLI's `stats --json` too), and its empty and
error states: a filter matching nothing, an empty tab, a job that cannot be visualized, an unknown job, no job in
the link, a classification job, a missing image. Every number is checked against an independent polars count over
the job's results frame."""

from __future__ import annotations

import json

import pytest

from core.jobs.summaries import list_jobs
from tests.app.conftest import plain, stats
from tests.app.visualize_helpers import (
    NO_MATCH,
    apply,
    display_names,
    expected_table,
    expected_tiles,
    frame_of,
    grid_data,
    job_id,
    open_visualize,
    showing,
    store_engine,
    tab_labels,
    table,
    tile_ids,
    tiny_job,  # noqa: F401  (the fixture: a job of five results of our own)
)
from tests.unit.test_cli import run_in_process

# ---- header, stats, tabs, table --------------------------------------------------------------------------------


def test_header_stats_tabs_and_table_of_the_street_scenes_job(demo_store):
    street = job_id("street-scenes")
    frame = frame_of(street)
    names = display_names(street)
    at = open_visualize(street)

    assert plain(at.title[0].value) == "Visualize · street-scenes"
    assert "16 images · 90 results" in [c.value for c in at.caption]
    assert [s.value for s in at.subheader][:2] == ["Expert Review Stats", "Class Changed"]
    assert "Every result of the job, every review state" in [c.value for c in at.caption]
    assert "Pending Review tab" in [c.value for c in at.caption]  # the table's scope
    metrics = stats(at)
    kinds = dict(frame.group_by("change_kind").len().iter_rows())
    assert metrics == {
        "Results": "90",
        "Class Changed": f"{frame['class_changed'].sum() / 90:.1%}",
        "Unchanged": str(kinds["unchanged"]),
        "Adjusted": str(kinds["adjusted"]),
        "Relabeled": str(kinds["relabeled"]),
        "Added": str(kinds["added"]),
        "Removed": str(kinds["removed"]),
    }
    assert metrics["Class Changed"] == "18.9%"
    assert (kinds["unchanged"], kinds["adjusted"], kinds["relabeled"], kinds["added"], kinds["removed"]) == (
        28,
        45,
        8,
        3,
        6,
    )

    # Everything starts under Pending Review.
    assert tab_labels(at) == ["Pending Review 90", "Accepted 0", "Rejected 0"]
    assert at.segmented_control(key="tab").value == "pending"
    assert showing(at) == "all results · 90 results"
    assert table(at) == expected_table(frame, "class_row", lambda c: names.get(c, c))
    assert table(at)[0] == ("Person", 4, 29, 33)
    assert len(tile_ids(at)) == 24  # the first page of the grid
    assert tile_ids(at) == expected_tiles(frame)
    assert tile_ids(at)[:3] == [14, 18, 19]  # Person first, the biggest class


def test_class_changed_table_equals_the_cli_stats(demo_store):
    street = job_id("street-scenes")
    done = run_in_process("stats", str(street), "--json")  # `python -m core stats`, in this process
    assert done.returncode == 0, done.stderr
    stats = json.loads(done.stdout)
    assert stats["by_state"] == {"pending": 90, "accepted": 0, "rejected": 0}  # the Pending tab is the whole job
    names = display_names(street) | {"(removed)": "(removed)"}
    from_cli = [(names[c], v["true"], v["false"], v["true"] + v["false"]) for c, v in stats["class_changed"].items()]

    at = open_visualize(street)
    assert table(at) == from_cli
    assert sum(row[3] for row in table(at)) == stats["results"] == 90
    assert dict((row[0], row[1:]) for row in table(at))["(removed)"] == (6, 0, 6)


# ---- empty and error states ------------------------------------------------------------------------------------


def test_a_filter_matching_nothing_says_so(demo_store):
    street = job_id("street-scenes")
    at = apply(open_visualize(street), f_area_min=1_000_000.0)
    assert [i.value for i in at.info] == [NO_MATCH]
    assert tab_labels(at) == ["Pending Review 0", "Accepted 0", "Rejected 0"]
    assert showing(at) == "Expert Review Area 1e+06–… · 0 results"
    assert table(at) == []
    assert tile_ids(at) == []


def test_an_empty_tab_says_so(demo_store):
    street = job_id("street-scenes")
    at = open_visualize(street)
    at.segmented_control(key="tab").set_value("rejected").run()
    assert not at.exception
    assert [i.value for i in at.info] == [NO_MATCH]
    assert showing(at) == "all results · 0 results"
    assert table(at) == []


@pytest.mark.parametrize(
    ("name", "status"), [("street-scenes-v2-autolabel", "PROCESSING"), ("street-scenes-autolabel", "READY")]
)
def test_a_job_that_cannot_be_visualized_is_a_warning(demo_store, name, status):
    at = open_visualize(job_id(name))
    assert plain(at.title[0].value) == f"Visualize · {name}"
    assert [w.value for w in at.warning] == [
        f"Visualize is for READY manual label jobs; this is a LA-OD job that is {status}."
    ]
    assert at.dataframe.len == 0 and at.segmented_control.len == 0


@pytest.mark.parametrize("raw", ["9999", "abc", "-1"])
def test_an_unknown_job_is_an_error(demo_store, raw):
    at = open_visualize(raw)
    assert [plain(e.value) for e in at.error] == [f"There is no job with id {raw!r}."]
    assert at.segmented_control.len == 0


def test_no_job_in_the_link_offers_the_jobs_it_can_show(demo_store):
    at = open_visualize(None)
    assert at.title[0].value == "Visualize"
    ready_manual = [j for j in list_jobs(engine=store_engine()) if j.kind == "manual" and j.status == "READY"]
    assert [j.name for j in ready_manual] == ["street-scenes", "fruit-stand"]  # most recent first
    assert [b.key for b in at.button if b.key.startswith("pick_job_")] == [f"pick_job_{j.id}" for j in ready_manual]
    at.button(key=f"pick_job_{ready_manual[0].id}").click().run()
    assert not at.exception, at.exception
    assert plain(at.title[0].value) == "Visualize · street-scenes"
    assert at.query_params["job"] == str(ready_manual[0].id)


def test_a_classification_job_has_no_box_filters_and_no_removed_row(demo_store):
    fruit = job_id("fruit-stand")
    frame = frame_of(fruit)
    names = display_names(fruit)
    at = open_visualize(fruit)
    assert tab_labels(at)[0] == f"Pending Review {frame.height}" == "Pending Review 12"
    assert table(at) == expected_table(frame, "class_row", lambda c: names.get(c, c))
    assert "(removed)" not in {r[0] for r in table(at)}
    assert not [w for w in at.sidebar.number_input if w.key in ("f_area_min", "f_factor_min")]
    assert set(stats(at)) == {"Results", "Class Changed", "Unchanged", "Relabeled"}


def test_a_missing_image_is_a_tile_warning_naming_the_file(tiny_job):
    job, images = tiny_job
    (images / "b.png").unlink()
    at = open_visualize(job)
    tiles = grid_data(at)["tiles"]
    broken = [t["warning"] for t in tiles if "warning" in t]
    assert broken == [f"Image unavailable: b.png: file not found under {images}"] * 2  # b.png's two results
    assert len([t for t in tiles if "src" in t]) == 3  # a.png's three tiles are drawn (no media store in AppTest)
    assert len(tile_ids(at)) == 5
    # Grouped by image, the image tile warns once.
    apply(at, f_group_by="image")
    tiles = grid_data(at)["tiles"]
    assert [t["warning"] for t in tiles if "warning" in t] == [
        f"Image unavailable: b.png: file not found under {images}"
    ]
    assert len([t for t in tiles if "src" in t]) == 1
