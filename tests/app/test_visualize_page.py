"""The Visualize page through Streamlit's AppTest: header and Expert Review Stats, the review-state tabs, the Class
Changed table, the sidebar filters and Group by, deep links (and the notices for bad ones), slices, and the empty
and error states. Every number is checked against an independent polars count over the job's results frame (or
the CLI's `stats --json`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from PIL import Image
from sqlalchemy import Engine, text
from streamlit.runtime.state.session_state import STREAMLIT_INTERNAL_KEY_PREFIX
from streamlit.testing.v1 import AppTest

from core.store.db import get_engine
from core.jobs.ingest import import_detection
from core.jobs.summaries import list_jobs, spec_classes
from core.analysis.results_frame import load_results
from core.jobs.lookup import get_job
from core.settings import get_settings
from tests.app.conftest import plain, send_widget_state, signed_in_session, stats, tile_captions
from tests.builders import ADMIN
from tests.resultset_builders import STATE_OF, WITH_STATE, set_state
from tests.unit.test_cli import run_in_process

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "dashboard" / "app.py")
NO_MATCH = "No results match this tab, these filters and this slice."


# ---- driving the page ------------------------------------------------------------------------------------------


def open_visualize(job: int | str | None, *, user: str | None = None, **params: str | list[str]) -> AppTest:
    """The Visualize page at ?job=…&params, reached the way a browser reaches it once the app runs.

    The entrypoint runs first so the navigation is declared. Opened cold (switch_page as the session's first run),
    AppTest gives every widget a new id on the second run, so the first set_value/click would be lost; a browser
    does not (checked by hand with Chromium). `user`: signed in from the start (LABELDECK_AUTH=password)."""
    at = AppTest.from_file(APP, default_timeout=30)
    if user is not None:
        signed_in_session(at, user)
    at.run()
    if job is not None:
        at.query_params["job"] = str(job)
    for key, value in params.items():
        at.query_params[key] = value
    at.switch_page("../pages/visualize.py").run()
    assert not at.exception, at.exception
    return at


def apply(at: AppTest, **widgets) -> AppTest:
    """Set sidebar widgets (by key) and press the form's Apply button."""
    if any(key in widgets for key in ("f_iou_min", "f_iou_max", "f_change_kinds", "f_confidence_min",
                                      "f_confidence_max")) and not at.toggle(key="f_advanced").value:
        at.toggle(key="f_advanced").set_value(True).run()  # outside the form: shows the advanced inputs at once
    for key, value in widgets.items():
        _widget(at, key).set_value(value)
    next(b for b in at.sidebar.button if b.label == "Apply").click().run()
    assert not at.exception, at.exception
    return at


def _widget(at: AppTest, key: str):
    for kind in ("multiselect", "radio", "number_input", "selectbox", "toggle"):
        found = [w for w in getattr(at.sidebar, kind) if w.key == key]
        if found:
            return found[0]
    raise AssertionError(f"no sidebar widget {key!r}")


def tab_labels(at: AppTest) -> list[str]:
    return list(at.segmented_control(key="tab").options)


def showing(at: AppTest) -> str:
    found = [m.value for m in at.markdown if m.value.startswith("**Showing:**")]
    assert len(found) == 1, found
    return plain(found[0].removeprefix("**Showing:** "))


def _table_element(at: AppTest):
    found = [e for e in at.get("bidi_component") if (e.key or "").startswith("class_changed_")]
    assert len(found) == 1, found
    return found[0]


def _table_data(at: AppTest) -> dict:
    return json.loads(_table_element(at).proto.json)


def table(at: AppTest) -> list[tuple[str, int, int, int]]:
    """The Class Changed table's rows: (label, True, False, Total)."""
    return [(row["label"], row["True"], row["False"], row["Total"]) for row in _table_data(at)["rows"]]


def select_cell(at: AppTest, row: int, column: str) -> AppTest:
    """Click a cell of the Class Changed table (a component): the trigger its click sends."""
    element = _table_element(at)
    return send_widget_state(at, f"{STREAMLIT_INTERNAL_KEY_PREFIX}_{element.proto.id}__events",
                             json_trigger_value=json.dumps([{"event": "cell", "value": [row, column]}]))


def selected_cell(at: AppTest) -> list | None:
    selected = _table_data(at)["selected"]
    return [selected] if selected else None


def warnings(at: AppTest) -> list[str]:
    """As shown: the notices quote the link's values, escaped (dashboard.text.md)."""
    return [plain(w.value) for w in at.warning]


def grid_data(at: AppTest, key: str = "tile_grid") -> dict | None:
    """What the tile grid component was given (dashboard/tile_grid.py): its tiles in reading order, or None when
    no grid is drawn."""
    found = [e for e in at.get("bidi_component") if e.proto.id.endswith(key) or e.key == key]
    assert len(found) <= 1, found
    return json.loads(found[0].proto.json) if found else None


def tile_ids(at: AppTest, key: str = "tile_grid") -> list[int]:
    """The grid's result ids in reading order."""
    data = grid_data(at, key)
    return [tile["id"] for tile in data["tiles"]] if data else []


def grid_event(at: AppTest, event: str, result_id: int, key: str = "tile_grid") -> AppTest:
    """A click in the tile grid: `toggle` (a Pick box) or `open` (the viewer button) of a tile. AppTest cannot click
    inside a component, so the trigger value the browser would send is added to the next run's widget states."""
    [element] = [e for e in at.get("bidi_component") if e.key == key]
    return send_widget_state(at, f"{STREAMLIT_INTERNAL_KEY_PREFIX}_{element.proto.id}__events",
                             json_trigger_value=json.dumps([{"event": event, "value": result_id}]))


def pick(at: AppTest, result_id: int, key: str = "tile_grid") -> AppTest:
    return grid_event(at, "toggle", result_id, key)


def picked(at: AppTest, key: str = "tile_grid") -> list[int]:
    data = grid_data(at, key)
    return [tile["id"] for tile in data["tiles"] if tile["picked"]] if data else []


# ---- independent expectations ----------------------------------------------------------------------------------


def store_engine() -> Engine:
    return get_engine(get_settings().database_url)


def job_id(name: str) -> int:
    return next(j.id for j in list_jobs(engine=store_engine()) if j.name == name)


def frame_of(job: int) -> pl.DataFrame:
    """The job's results with their review state, read without the page's code paths."""
    engine = store_engine()
    with engine.connect() as conn:
        states = conn.execute(text(f"SELECT r.id, {STATE_OF} FROM result r {WITH_STATE} WHERE r.job_id = :j"),
                              {"j": job}).all()
    states_frame = pl.DataFrame(states, schema={"result_id": pl.Int64, "review_state": pl.String}, orient="row")
    return load_results(engine, get_job(engine, job)).join(states_frame, on="result_id", how="inner",
                                                          maintain_order="left")


def display_names(job: int) -> dict[str, str]:
    spec = get_job(store_engine(), job).spec_id
    return {c.name: c.display_name for c in spec_classes(engine=store_engine(), spec_id=spec)}


def _group_counts(frame: pl.DataFrame, column: str) -> list[tuple[str, int, int]]:
    """(group, True, False), the biggest groups first, ties by name."""
    counts: dict[str, list[int]] = {}
    for group, changed in frame.select(column, "class_changed").iter_rows():
        counts.setdefault(group, [0, 0])[0 if changed else 1] += 1
    ordered = sorted(counts.items(), key=lambda item: (-(item[1][0] + item[1][1]), item[0]))
    return [(group, t, f) for group, (t, f) in ordered]


def expected_table(frame: pl.DataFrame, column: str, display: Callable[[str], str] = str) -> list[tuple]:
    return [(display(group), t, f, t + f) for group, t, f in _group_counts(frame, column)]


def expected_tiles(frame: pl.DataFrame, column: str = "class_row", page_size: int = 24) -> list[int]:
    """The first grid page: the table's groups in order, each group's results in result order."""
    rank = {group: i for i, (group, _, _) in enumerate(_group_counts(frame, column))}
    ordered = sorted(frame.select(column, "result_id").iter_rows(), key=lambda r: (rank[r[0]], r[1]))
    return [result_id for _, result_id in ordered][:page_size]


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
        "Unchanged": str(kinds["unchanged"]), "Adjusted": str(kinds["adjusted"]),
        "Relabeled": str(kinds["relabeled"]), "Added": str(kinds["added"]), "Removed": str(kinds["removed"]),
    }
    assert metrics["Class Changed"] == "18.9%"
    assert (kinds["unchanged"], kinds["adjusted"], kinds["relabeled"], kinds["added"], kinds["removed"]) == (
        28, 45, 8, 3, 6)

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


# ---- sidebar filters -------------------------------------------------------------------------------------------

FILTER_CASES = {
    "classes": ({"f_classes": ["car", "dog"]}, pl.col("class_row").is_in(["car", "dog"]),
                {"classes": ["car", "dog"]}),
    "removed class": ({"f_classes": ["(removed)"]}, pl.col("class_row") == "(removed)",
                      {"classes": "(removed)"}),
    "class changed": ({"f_changed": "True"}, pl.col("class_changed"), {"class_changed": "true"}),
    "class unchanged": ({"f_changed": "False"}, ~pl.col("class_changed"), {"class_changed": "false"}),
    "area": ({"f_area_min": 1000.0, "f_area_max": 5000.0}, pl.col("area_px").is_between(1000, 5000),
             {"area_min": "1000.0", "area_max": "5000.0"}),
    "factor": ({"f_factor_min": 0.9, "f_factor_max": 1.1}, pl.col("adjustment_factor").is_between(0.9, 1.1),
               {"factor_min": "0.9", "factor_max": "1.1"}),
    "iou": ({"f_iou_max": 0.9}, pl.col("iou") <= 0.9, {"iou_max": "0.9"}),
    "change kinds": ({"f_change_kinds": ["added", "removed"]}, pl.col("change_kind").is_in(["added", "removed"]),
                     {"change_kinds": ["added", "removed"]}),
    "confidence": ({"f_confidence_min": 0.5, "f_confidence_max": 0.9},
                   pl.col("pre_confidence").is_between(0.5, 0.9),
                   {"confidence_min": "0.5", "confidence_max": "0.9"}),
    "combined": ({"f_classes": ["person", "bicycle"], "f_changed": "False", "f_area_min": 1000.0},
                 pl.col("class_row").is_in(["person", "bicycle"]) & ~pl.col("class_changed")
                 & (pl.col("area_px") >= 1000),
                 {"classes": ["person", "bicycle"], "class_changed": "false", "area_min": "1000.0"}),
}
# The independent counts, so a wrong expectation cannot hide behind a computed one.
EXPECTED_COUNTS = {"classes": 33, "removed class": 6, "class changed": 17, "class unchanged": 73, "area": 37,
                   "factor": 61, "iou": 40, "change kinds": 9, "confidence": 43, "combined": 33}


@pytest.mark.parametrize("case", list(FILTER_CASES))
def test_each_sidebar_filter_narrows_every_count(demo_store, case):
    widgets, condition, url = FILTER_CASES[case]
    street = job_id("street-scenes")
    names = display_names(street)
    expected = frame_of(street).filter(condition)
    assert expected.height == EXPECTED_COUNTS[case]

    at = apply(open_visualize(street), **widgets)
    n = expected.height
    assert tab_labels(at) == [f"Pending Review {n}", "Accepted 0", "Rejected 0"]
    assert stats(at)["Results"] == str(n)
    assert "Results under the filters, every review state" in [c.value for c in at.caption]
    assert showing(at).endswith(f" · {n} results")
    assert table(at) == expected_table(expected, "class_row", lambda c: names.get(c, c))
    assert tile_ids(at) == expected_tiles(expected)
    assert at.query_params == {"job": str(street)} | url
    assert warnings(at) == []


def test_filters_reset_to_all_and_the_url_forgets_them(demo_store):
    street = job_id("street-scenes")
    at = apply(open_visualize(street), f_classes=["car"], f_changed="False", f_area_min=2000.0)
    assert showing(at) == "Car · Class Changed = False · Expert Review Area 2,000–… · 12 results"
    apply(at, f_classes=[], f_changed="All", f_area_min=None)
    assert showing(at) == "all results · 90 results"
    assert at.query_params == {"job": str(street)}


def test_an_advanced_filter_is_not_applied_while_hidden(demo_store):
    street = job_id("street-scenes")
    at = apply(open_visualize(street), f_change_kinds=["added"])
    assert showing(at) == "change: added · 3 results"
    at.toggle(key="f_advanced").set_value(False).run()
    apply(at)
    assert showing(at) == "all results · 90 results"
    assert at.query_params == {"job": str(street)}


def test_min_above_max_in_the_form_is_named_and_not_applied(demo_store):
    street = job_id("street-scenes")
    at = apply(open_visualize(street), f_factor_min=1.2, f_factor_max=0.8, f_changed="True")
    assert warnings(at) == ["factor: the minimum 1.2 is above the maximum 0.8; that range is not applied"]
    assert showing(at) == "Class Changed = True · 17 results"
    assert at.query_params == {"job": str(street), "class_changed": "true"}


# ---- deep links ------------------------------------------------------------------------------------------------


def test_a_deep_link_fills_the_widgets_and_the_view(demo_store):
    street = job_id("street-scenes")
    frame = frame_of(street)
    expected = frame.filter(pl.col("class_row").is_in(["car", "person"]) & ~pl.col("class_changed")
                            & (pl.col("area_px") >= 1000) & (pl.col("adjustment_factor") <= 1.1)
                            & (pl.col("iou") <= 0.95))
    assert expected.height == 15
    at = open_visualize(street, classes=["car", "person"], class_changed="false", area_min="1000",
                        factor_max="1.1", iou_max="0.95", group_by="pre-label class")

    assert warnings(at) == []
    assert at.sidebar.multiselect(key="f_classes").value == ["car", "person"]
    assert at.sidebar.radio(key="f_changed").value == "False"
    assert at.sidebar.number_input(key="f_area_min").value == 1000.0
    assert at.sidebar.number_input(key="f_area_max").value is None
    assert at.sidebar.number_input(key="f_factor_max").value == 1.1
    assert at.toggle(key="f_advanced").value is True  # an advanced value in the link opens the advanced filters
    assert at.sidebar.number_input(key="f_iou_max").value == 0.95
    assert at.sidebar.selectbox(key="f_group_by").value == "pre-label class"
    assert showing(at) == ("Car, Person · Class Changed = False · Expert Review Area 1,000–… · "
                           "Adjustment Factor …–1.1 · IoU …–0.95 · 15 results")
    assert tab_labels(at)[0] == "Pending Review 15"
    names = display_names(street)
    assert table(at) == expected_table(expected, "pre_class_row", lambda c: names.get(c, c))


def test_bad_link_params_are_named_in_warnings_and_the_rest_applies(demo_store):
    street = job_id("street-scenes")
    at = open_visualize(
        street, classes=["car", "zebra"], class_changed="maybe", area_min="abc", factor_min="nan", factor_max="inf",
        iou_min="0.9", iou_max="0.2", change_kinds="deleted", group_by="colour", slice="bogus", result="xyz",
        confidence_min="-0.5",
    )
    assert sorted(warnings(at)) == sorted([
        "ignored unknown class(es) in the link: zebra",
        "ignored unknown change kind(s): deleted",
        "ignored class_changed='maybe' (expected true or false)",
        "ignored area_min='abc' (not a number)",
        "ignored factor_min='nan' (not a finite number)",
        "ignored factor_max='inf' (not a finite number)",
        "ignored iou_min/iou_max: the minimum 0.9 is above the maximum 0.2",
        "ignored group_by='colour' (expected one of expert review class, pre-label class, image)",
        "ignored slice='bogus' (expected column:value with a column of class_row, pre_class_row, file_path, "
        "class_changed)",
        "ignored result='xyz' (not a result id)",
        "ignored confidence_min='-0.5' (below 0)",
    ])
    assert showing(at) == "Car · 14 results"
    assert table(at) == [("Car", 0, 14, 14)]
    assert at.sidebar.multiselect(key="f_classes").value == ["car"]
    assert at.sidebar.selectbox(key="f_group_by").value == "expert review class"


def test_a_link_to_a_slice_shows_exactly_that_cell(demo_store):
    street = job_id("street-scenes")
    frame = frame_of(street)
    expected = frame.filter((pl.col("class_row") == "dog") & pl.col("class_changed"))
    at = open_visualize(street, slice=["class_row:dog", "class_changed:true"])
    assert warnings(at) == []
    assert showing(at) == "Dog · Class Changed = True · 5 results"
    assert tile_ids(at) == expected["result_id"].to_list() == [16, 28, 34, 60, 96]
    # The table still shows every class (the slice selects a cell of it, it does not filter it).
    assert len(table(at)) == 6
    assert tab_labels(at)[0] == "Pending Review 90"


@pytest.mark.parametrize(
    ("row", "column", "url", "caption", "tiles"),
    [
        (1, "True", ["class_row:dog", "class_changed:true"], "Dog · Class Changed = True · 5 results",
         [16, 28, 34, 60, 96]),
        (3, "False", ["class_row:car", "class_changed:false"], "Car · Class Changed = False · 14 results", None),
        (4, "Total", "class_row:(removed)", "(removed) · 6 results", [76, 77, 78, 81, 85, 98]),
    ],
)
def test_selecting_a_table_cell_selects_that_slice(demo_store, row, column, url, caption, tiles):
    street = job_id("street-scenes")
    at = select_cell(open_visualize(street), row, column)
    assert at.query_params == {"job": str(street), "slice": url}
    assert showing(at) == caption
    if tiles is not None:
        assert tile_ids(at) == tiles
    assert selected_cell(at) == [[row, column]]
    assert len(table(at)) == 6  # the table itself is not narrowed


def test_selecting_an_image_cell_when_grouped_by_image(demo_store):
    street = job_id("street-scenes")
    at = open_visualize(street, group_by="image")
    assert table(at)[0][0] == "scene_0011.jpg"
    select_cell(at, 0, "True")
    assert at.query_params["slice"] == ["file_path:scene_0011.jpg", "class_changed:true"]
    assert showing(at) == "scene_0011.jpg · Class Changed = True · 4 results"
    assert tile_ids(at) == [69]  # one tile for the image, grouped by image
    assert "scene_0011.jpg · 4 results · 4 changed" in tile_captions(at)


def test_a_slice_link_selects_its_cell_in_the_table(demo_store):
    street = job_id("street-scenes")
    assert selected_cell(open_visualize(street)) is None
    assert selected_cell(open_visualize(street, slice=["class_row:dog", "class_changed:false"])) == [[1, "False"]]
    assert selected_cell(open_visualize(street, slice="class_row:car")) == [[3, "Total"]]
    # A slice of another grouping selects no cell, and still narrows the grid.
    at = open_visualize(street, slice="class_row:car", group_by="image")
    assert selected_cell(at) is None
    assert showing(at) == "Car · 14 results"


def test_a_slice_and_a_filter_together(demo_store):
    street = job_id("street-scenes")
    expected = frame_of(street).filter((pl.col("class_row") == "person") & (pl.col("area_px") >= 5000))
    at = open_visualize(street, area_min="5000", slice="class_row:person")
    assert showing(at) == f"Person · Expert Review Area 5,000–… · {expected.height} results"
    assert expected.height == 10
    assert tile_ids(at) == expected["result_id"].to_list() == [20, 21, 31, 43, 49, 61, 73, 74, 83, 97]


def test_a_slice_of_the_confusion_matrix(demo_store):
    street = job_id("street-scenes")
    at = open_visualize(street, slice=["pre_class_row:person", "class_row:dog"])
    assert showing(at) == "pre-label Person · Dog · 3 results"
    assert tile_ids(at) == [28, 34, 96]


def test_applying_a_filter_clears_the_slice(demo_store):
    street = job_id("street-scenes")
    at = apply(open_visualize(street, slice="class_row:dog"), f_changed="True")
    assert "slice" not in at.query_params
    assert showing(at) == "Class Changed = True · 17 results"


# ---- group by --------------------------------------------------------------------------------------------------


def test_group_by_image_makes_the_table_rows_file_names_and_the_tiles_images(demo_store):
    street = job_id("street-scenes")
    frame = frame_of(street)
    at = apply(open_visualize(street), f_group_by="image")
    assert at.query_params == {"job": str(street), "group_by": "image"}
    rows = table(at)
    assert rows == expected_table(frame, "file_path")
    assert rows[0] == ("scene_0011.jpg", 4, 6, 10)
    assert {r[0] for r in rows} == set(frame["file_path"]) and len(rows) == 16
    # One tile per image, in image order, each captioned with its counts.
    firsts = frame.group_by("file_path", maintain_order=True).agg(pl.col("result_id").min())
    assert tile_ids(at) == firsts["result_id"].to_list()
    captions = [c for c in tile_captions(at) if c.startswith("scene_")]
    assert captions[0] == "scene_0001.jpg · 9 results · 1 changed"
    assert len(captions) == 16
    assert showing(at) == "all results · 90 results"


def test_group_by_pre_label_class_has_an_added_row(demo_store):
    street = job_id("street-scenes")
    frame = frame_of(street)
    names = display_names(street)
    at = open_visualize(street, group_by="pre-label class", class_changed="true")
    rows = table(at)
    assert rows == expected_table(frame.filter(pl.col("class_changed")), "pre_class_row", lambda c: names.get(c, c))
    assert ("(added)", 3, 0, 3) in rows
    assert sum(r[3] for r in rows) == 17


def test_group_by_image_with_an_image_slice(demo_store):
    street = job_id("street-scenes")
    at = open_visualize(street, group_by="image", slice="file_path:scene_0011.jpg")
    assert showing(at) == "scene_0011.jpg · 10 results"
    assert tile_ids(at) == [69]
    assert "scene_0011.jpg · 10 results · 4 changed" in tile_captions(at)


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
        f"Visualize is for READY manual label jobs; this is a LA-OD job that is {status}."]
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


# ---- a small store of our own: review states and a missing image -----------------------------------------------

IMAGES = [{"id": 1, "file_name": "a.png", "width": 100, "height": 50},
          {"id": 2, "file_name": "b.png", "width": 40, "height": 40}]
CATEGORIES = [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}]
EXPERT = [  # a.png: cat unchanged, dog relabeled from cat, cat resized; b.png: dog added, dog unchanged
    {"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 20]},
    {"id": 2, "image_id": 1, "category_id": 2, "bbox": [50, 10, 20, 20]},
    {"id": 3, "image_id": 1, "category_id": 1, "bbox": [0, 30, 20, 10]},
    {"id": 4, "image_id": 2, "category_id": 2, "bbox": [0, 0, 10, 10]},
    {"id": 5, "image_id": 2, "category_id": 2, "bbox": [20, 20, 10, 10]},
]
PRE = [
    {"image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 20], "score": 0.9},
    {"image_id": 1, "category_id": 1, "bbox": [50, 10, 20, 20], "score": 0.8},
    {"image_id": 1, "category_id": 1, "bbox": [0, 30, 10, 10], "score": 0.7},
    {"image_id": 2, "category_id": 2, "bbox": [20, 20, 10, 10], "score": 0.6},
]


@pytest.fixture
def tiny_job(tmp_path: Path) -> tuple[int, Path]:
    """A READY detection job of five results in this test's own store; returns its id and image folder."""
    images = tmp_path / "tiny" / "images"
    images.mkdir(parents=True)
    for image in IMAGES:
        Image.new("RGB", (image["width"], image["height"]), (90, 140, 200)).save(images / image["file_name"])
    expert = tmp_path / "tiny" / "expert.json"
    expert.write_text(json.dumps({"images": IMAGES, "annotations": EXPERT, "categories": CATEGORIES}))
    pre = tmp_path / "tiny" / "pre.json"
    pre.write_text(json.dumps(PRE))
    job = import_detection(actor=ADMIN, engine=store_engine(), name="tiny", images_dir=images, pre_path=pre,
                           expert_path=expert,
                           check_image_files=True)
    return job.id, images


def set_states(job: int, states: dict[int, str]) -> None:
    """Review states written straight into this test's own store (the review service is tested elsewhere)."""
    for result_id, state in states.items():
        set_state(store_engine(), [result_id], state)
    with store_engine().begin() as conn:
        conn.execute(text("UPDATE labeljob SET review_revision = review_revision + 1 WHERE id = :j"), {"j": job})


def test_tabs_count_each_review_state_under_the_filters(tiny_job):
    job, _ = tiny_job
    ids = frame_of(job)["result_id"].to_list()
    assert len(ids) == 5
    set_states(job, {ids[1]: "accepted", ids[3]: "accepted", ids[4]: "rejected"})
    at = open_visualize(job)
    assert tab_labels(at) == ["Pending Review 2", "Accepted 2", "Rejected 1"]
    assert showing(at) == "all results · 2 results"
    assert table(at) == [("cat", 0, 2, 2)]

    at.segmented_control(key="tab").set_value("accepted").run()
    assert showing(at) == "all results · 2 results"
    assert tile_ids(at) == [ids[1], ids[3]]
    assert table(at) == [("dog", 2, 0, 2)]

    # A filter changes every tab's count; the selected tab stays selected.
    apply(at, f_changed="True")
    assert tab_labels(at) == ["Pending Review 0", "Accepted 2", "Rejected 0"]
    assert at.segmented_control(key="tab").value == "accepted"
    assert showing(at) == "Class Changed = True · 2 results"
    apply(at, f_classes=["cat"], f_changed="All")
    assert tab_labels(at) == ["Pending Review 2", "Accepted 0", "Rejected 0"]
    assert [i.value for i in at.info] == [NO_MATCH]


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
    assert [t["warning"] for t in tiles if "warning" in t] == [f"Image unavailable: b.png: file not found under {images}"]
    assert len([t for t in tiles if "src" in t]) == 1


# ---- links and resets found broken once, kept as regression tests --------------------------------------------


def test_a_link_to_a_tab_opens_that_tab(tiny_job):
    job, _ = tiny_job
    ids = frame_of(job)["result_id"].to_list()
    set_states(job, {ids[1]: "accepted", ids[3]: "accepted"})
    at = open_visualize(job, tab="accepted")
    assert at.segmented_control(key="tab").value == "accepted"
    assert showing(at) == "all results · 2 results"


@pytest.mark.parametrize(("key", "raw"), [("tab", "archived"), ("page", "abc"), ("page_size", "13")])
def test_a_bad_bound_param_in_the_link_is_named_in_a_warning(demo_store, key, raw):
    at = open_visualize(job_id("street-scenes"), **{key: raw})
    assert any(f"{key}={raw!r}" in w for w in warnings(at))


def test_applying_a_filter_on_a_later_page_goes_back_to_the_first_page(demo_store):
    street = job_id("street-scenes")
    at = open_visualize(street, page="3")  # a browser writes ?page=3 as soon as the reviewer pages on
    assert at.pagination[0].value == 3
    apply(at, f_changed="False")
    expected = frame_of(street).filter(~pl.col("class_changed"))
    assert at.pagination[0].value == 1
    assert tile_ids(at) == expected_tiles(expected)


def test_a_box_filter_in_a_classification_link_can_be_cleared(demo_store):
    fruit = job_id("fruit-stand")
    at = open_visualize(fruit, area_min="100")
    apply(at)
    assert "area_min" not in at.query_params
    assert showing(at) == "all results · 12 results"


# ---- sort and workspace views ----------------------------------------------------------------------------------


def expected_sorted(frame: pl.DataFrame, column: str, *, descending: bool = False, page_size: int = 24) -> list[int]:
    """Python's sorted(): results without the value last, ties by result id."""
    rows = [(r[column], r["result_id"]) for r in frame.iter_rows(named=True)]
    ordered = sorted(rows, key=lambda r: (r[0] is None, -(r[0] or 0) if descending else (r[0] or 0), r[1]))
    return [result_id for _, result_id in ordered][:page_size]


def test_a_sort_in_the_link_orders_the_grid_and_the_sort_box_follows(demo_store):
    street = job_id("street-scenes")
    frame = frame_of(street)
    at = open_visualize(street, sort="iou")
    assert at.selectbox(key="grid_sort").value == "iou"
    assert tile_ids(at) == expected_sorted(frame, "iou")
    first = frame.filter(pl.col("result_id") == tile_ids(at)[0])["iou"].item()
    assert first == frame["iou"].min() < 0.6


def test_choosing_a_sort_writes_the_url_and_goes_back_to_the_first_page(demo_store):
    street = job_id("street-scenes")
    frame = frame_of(street)
    at = open_visualize(street, page="2")
    at.selectbox(key="grid_sort").set_value("area").run()
    assert not at.exception, at.exception
    assert at.query_params.get("sort") == "area" and at.pagination[0].value == 1
    assert tile_ids(at) == expected_sorted(frame, "area_px")
    at.selectbox(key="grid_sort").set_value("table").run()
    assert "sort" not in at.query_params
    assert tile_ids(at) == expected_tiles(frame)


@pytest.mark.parametrize(("key", "raw", "notice"), [
    ("sort", "newest", "ignored sort='newest' (expected one of table, iou, adjustment, area, confidence, "
                       "change_kind, file)"),
    ("view", "map", "ignored view='map' (expected one of images, charts, spot_check)"),
])
def test_a_bad_sort_or_view_in_the_link_is_named(demo_store, key, raw, notice):
    at = open_visualize(job_id("street-scenes"), **{key: raw})
    assert notice in warnings(at)
    assert tile_ids(at) == expected_tiles(frame_of(job_id("street-scenes")))


def test_the_charts_are_drawn_only_in_the_charts_view(demo_store):
    street = job_id("street-scenes")
    at = open_visualize(street)
    assert at.segmented_control(key="workspace").value == "images" and len(at.get("plotly_chart")) == 0
    at.segmented_control(key="workspace").set_value("charts").run()
    assert at.query_params["view"] == "charts"
    assert len(at.get("plotly_chart")) == 3  # the confusion matrix and the two distributions
    assert tile_ids(at) == []
    # Classification: the matrix alone.
    assert len(open_visualize(job_id("fruit-stand"), view="charts").get("plotly_chart")) == 1


def test_a_click_on_the_selected_cell_clears_the_slice_and_a_label_selects_its_row(demo_store):
    street = job_id("street-scenes")
    at = select_cell(open_visualize(street), 1, "True")
    assert at.query_params["slice"] == ["class_row:dog", "class_changed:true"]
    select_cell(at, 1, "True")
    assert "slice" not in at.query_params and showing(at) == "all results · 90 results"
    select_cell(at, 3, "Total")  # what a click on the row's label sends
    assert at.query_params["slice"] == "class_row:car" and selected_cell(at) == [[3, "Total"]]
