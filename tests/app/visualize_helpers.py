"""Driving the Visualize page through Streamlit's AppTest, and the independent expectations its tests check it
against: opening the page at a deep link, the sidebar form, the review-state tabs, the Class Changed table and the
tile grid as the page drew them; the job's results frame and its groups read without the page's code paths; and
tiny_job, a READY detection job of five results in the test's own store. Imported by the Visualize, review and
other page tests."""

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

from core.analysis.results_frame import load_results
from core.jobs.ingest import import_detection
from core.jobs.lookup import get_job
from core.jobs.summaries import list_jobs, spec_classes
from core.settings import get_settings
from core.store.db import get_engine
from tests.app.conftest import plain, send_widget_state, signed_in_session
from tests.builders import ADMIN
from tests.resultset_builders import STATE_OF, WITH_STATE, set_state

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
    if (
        any(
            key in widgets
            for key in (
                "f_pre_classes",
                "f_iou_min",
                "f_iou_max",
                "f_change_kinds",
                "f_confidence_min",
                "f_confidence_max",
            )
        )
        and not at.toggle(key="f_advanced").value
    ):
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
    return send_widget_state(
        at,
        f"{STREAMLIT_INTERNAL_KEY_PREFIX}_{element.proto.id}__events",
        json_trigger_value=json.dumps([{"event": "cell", "value": [row, column]}]),
    )


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
    return send_widget_state(
        at,
        f"{STREAMLIT_INTERNAL_KEY_PREFIX}_{element.proto.id}__events",
        json_trigger_value=json.dumps([{"event": event, "value": result_id}]),
    )


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
        states = conn.execute(
            text(f"SELECT r.id, {STATE_OF} FROM result r {WITH_STATE} WHERE r.job_id = :j"), {"j": job}
        ).all()
    states_frame = pl.DataFrame(states, schema={"result_id": pl.Int64, "review_state": pl.String}, orient="row")
    return load_results(engine, get_job(engine, job)).join(
        states_frame, on="result_id", how="inner", maintain_order="left"
    )


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


# ---- a small store of our own: review states and a missing image -----------------------------------------------

IMAGES = [
    {"id": 1, "file_name": "a.png", "width": 100, "height": 50},
    {"id": 2, "file_name": "b.png", "width": 40, "height": 40},
]
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
    job = import_detection(
        actor=ADMIN,
        engine=store_engine(),
        name="tiny",
        images_dir=images,
        pre_path=pre,
        expert_path=expert,
        check_image_files=True,
    )
    return job.id, images


def set_states(job: int, states: dict[int, str]) -> None:
    """Review states written straight into this test's own store (the review service is tested elsewhere)."""
    for result_id, state in states.items():
        set_state(store_engine(), [result_id], state)
    with store_engine().begin() as conn:
        conn.execute(text("UPDATE labeljob SET review_revision = review_revision + 1 WHERE id = :j"), {"j": job})
