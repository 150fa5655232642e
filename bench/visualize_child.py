"""Runs in a child process of the bench: the Visualize page through AppTest on a large job, and the grid's tiles
on the demo job. Prints one JSON object.

    python -m bench.visualize_child page DB_URL JOB_ID     the page: first open, then a rerun per filter change
    python -m bench.visualize_child floor DB_URL JOB_ID    the raw polars work of the same filter changes
    python -m bench.visualize_child grid DB_URL JOB_ID     24 tiles, cold and warm
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

from core.analysis import queries
from core.analysis.filters import ResultFilter
from core.analysis.results_frame import load_results, review_states
from core.images.thumbnails import Overlay, render_tile
from core.jobs.lookup import get_job
from core.jobs.summaries import image_root, spec_classes
from core.review.selection import select_shown
from core.settings import get_settings
from core.store.db import get_engine

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
GRID_TILES = 24

# Each step sets sidebar widgets, then presses Apply: one filter change, one rerun.
FILTER_STEPS = [
    ("class car", {"f_classes": ["car"]}, ResultFilter(classes=("car",))),
    ("+ Class Changed True", {"f_changed": "True"}, ResultFilter(classes=("car",), class_changed=True)),
    ("all classes, changed", {"f_classes": []}, ResultFilter(class_changed=True)),
    ("+ area >= 2000 px²", {"f_area_min": 2000.0}, ResultFilter(class_changed=True, area_min=2000.0)),
    (
        "changed = All, factor 0.8-1.25",
        {"f_changed": "All", "f_area_min": None, "f_factor_min": 0.8, "f_factor_max": 1.25},
        ResultFilter(factor_min=0.8, factor_max=1.25),
    ),
    (
        "classes person, bicycle",
        {"f_classes": ["person", "bicycle"]},
        ResultFilter(classes=("person", "bicycle"), factor_min=0.8, factor_max=1.25),
    ),
    ("no filter", {"f_classes": [], "f_factor_min": None, "f_factor_max": None}, ResultFilter()),
]


def bench_page(url: str, job_id: int) -> dict:
    os.environ["LABELDECK_DATABASE_URL"] = url  # the page reads the store from the settings
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["job"] = str(job_id)
    started = time.perf_counter()
    at.switch_page("../pages/visualize.py").run()  # pages/ is beside dashboard/, not in it
    first_open = time.perf_counter() - started
    _check(at)
    reruns = {}
    for name, widgets, _ in FILTER_STEPS:
        for key, value in widgets.items():
            _widget(at, key).set_value(value)
        started = time.perf_counter()
        next(b for b in at.sidebar.button if b.label == "Apply").click().run()
        reruns[name] = time.perf_counter() - started
        _check(at)
    return {"first_open_s": first_open, "rerun_s": reruns}


def _widget(at: AppTest, key: str):
    for kind in ("multiselect", "radio", "number_input"):
        for widget in getattr(at.sidebar, kind):
            if widget.key == key:
                return widget
    raise KeyError(key)


def _check(at: AppTest) -> None:
    if at.exception:
        raise RuntimeError(f"the page raised: {at.exception[0].value}")
    if at.error or not at.title or not at.title[0].value.startswith("Visualize"):
        raise RuntimeError(f"the page did not show the job: {[e.value for e in at.error]}")


def bench_floor(url: str, job_id: int) -> dict:
    """The raw polars work of each step (filter, tab counts, Class Changed table, one page), the page's floor."""
    engine = get_engine(url)
    job = get_job(engine, job_id)
    results = queries.with_states(load_results(engine, job), review_states(engine, job_id))
    timings = {}
    for name, _, result_filter in FILTER_STEPS:
        runs = []
        for _ in range(3):
            started = time.perf_counter()
            view = queries.View(filter=result_filter)
            selected = select_shown(results, result_filter=result_filter, state=view.state)  # filter, tab counts, tab
            queries.class_changed_table(selected.in_tab, view.group_column)
            queries.grid_page(selected.in_tab, view, page=1, page_size=GRID_TILES)
            runs.append(time.perf_counter() - started)
        timings[name] = statistics.median(runs)
    return {"floor_s": timings}


def bench_grid(url: str, job_id: int) -> dict:
    engine = get_engine(url)
    job = get_job(engine, job_id)
    results = load_results(engine, job)
    classes = spec_classes(engine=engine, spec_id=job.spec_id)
    overlay = Overlay(
        colors={c.name: c.color for c in classes}, display_names={c.name: c.display_name for c in classes}
    )
    page = results.head(GRID_TILES)
    boxes = results.filter(results["sample_id"].is_in(page["sample_id"].implode()))
    root = image_root(job)

    def draw_page() -> float:
        started = time.perf_counter()
        by_sample = {k[0]: f for k, f in boxes.partition_by("sample_id", as_dict=True).items()}
        for tile in page.iter_rows(named=True):
            render_tile(
                job_id=job.id,
                revision=job.data_revision,
                root=root,
                sample=tile,
                boxes=by_sample[tile["sample_id"]],
                overlay=overlay,
                focus=tile["result_id"],
                size=256,
            )
        return time.perf_counter() - started

    shutil.rmtree(get_settings().thumbnail_dir, ignore_errors=True)
    cold = draw_page()
    warm = [draw_page() for _ in range(5)]
    return {"tiles": page.height, "cold_s": cold, "warm_s": statistics.median(warm)}


if __name__ == "__main__":
    mode, db_url, job = sys.argv[1], sys.argv[2], int(sys.argv[3])
    print(json.dumps({"page": bench_page, "floor": bench_floor, "grid": bench_grid}[mode](db_url, job)))
