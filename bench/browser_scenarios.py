"""The browser benchmark's runs over one store: the app processes one after another, the interactions of
bench/browser_driver.py repeated in each and timed by bench/browser_settle.py, and the samples recorded per
interaction (a failed interaction is n/a with its error, a lost click is done again untimed).
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench.browser_driver import VisualizeDriver
from bench.browser_processes import VIEWPORT, Server, cpu_reader, log
from bench.browser_settle import LostClick, Settler, Step, Timing
from bench.browser_stores import Store
from bench.context import db_kind


class Recorder:
    """Samples per interaction for one store; an interaction that failed is n/a with the reason."""

    def __init__(self) -> None:
        self.interactions: dict[str, dict] = {}
        self.failures: list[str] = []
        self.lost: list[str] = []
        self.rss: dict[str, float] = {}  # the app server's RSS (MiB) after each interaction's repetitions

    def add(self, key: str, timing: Timing, *, milestone_of: dict[str, str] | None = None) -> None:
        self._sample(key, timing.total_ms, timing.breakdown())
        for name, interaction in (milestone_of or {}).items():
            if name in timing.milestones_ms:
                self._sample(interaction, timing.milestones_ms[name], None)

    def _sample(self, key: str, value_ms: float, breakdown: dict | None) -> None:
        entry = self.interactions.setdefault(key, {"samples_ms": [], "breakdown": [], "na": None})
        entry["samples_ms"].append(round(value_ms, 1))
        if breakdown is not None:
            entry["breakdown"].append({k: (round(v, 1) if isinstance(v, float) else v) for k, v in breakdown.items()})

    def time(
        self, key: str, settler: Settler, make: Callable[[], Step], *, milestone_of: dict[str, str] | None = None
    ) -> None:
        """Time a step; a lost click (no rerun at all) is dropped and the step made and timed again."""
        self.add(key, self._retrying(key, lambda: settler.time(make())), milestone_of=milestone_of)

    def reset(self, settler: Settler, make: Callable[[], Step], what: str = "reset") -> None:
        self._retrying(what, lambda: settler.run(make()))

    def _retrying(self, what: str, action: Callable[[], Any], attempts: int = 3) -> Any:
        for _ in range(attempts - 1):
            try:
                return action()
            except LostClick as lost:
                self.lost.append(what)
                log(f"  lost click ({what}): {lost}; again")
        return action()

    def na(self, key: str, reason: str) -> None:
        entry = self.interactions.setdefault(key, {"samples_ms": [], "breakdown": [], "na": None})
        if not entry["samples_ms"]:
            entry["na"] = reason

    def as_json(self) -> dict:
        return self.interactions


def timed(recorder: Recorder, keys: Sequence[str], body: Callable[[], None], *, page, shots: Path) -> None:
    """Run one interaction's repetitions; a failure makes it n/a (reason: the error) and is reported."""
    try:
        body()
    except Exception as problem:  # noqa: BLE001 - any failure of one interaction must not lose the others
        first_line = (str(problem).strip().splitlines() or [type(problem).__name__])[0][:200]
        recorder.failures.append(f"{keys[0]}: {first_line}")
        log(f"FAILED {', '.join(keys)}: {first_line}")
        traceback.print_exc(file=sys.stderr)
        shots.mkdir(parents=True, exist_ok=True)
        try:
            page.screenshot(path=str(shots / f"{keys[0]}.png"), full_page=True)
        except Exception:  # noqa: BLE001
            pass
        for key in keys:
            recorder.na(key, f"failed in this run: {first_line}")


def run_suite(
    driver: VisualizeDriver,
    settler: Settler,
    store: Store,
    reps: int,
    rec: Recorder,
    shots: Path,
    rss: Callable[[], float],
) -> None:
    """Every in-page interaction, `reps` times each, after the first (cold) open of this app process."""
    job = store.job_id
    page = driver.page

    def progress(key: str) -> None:
        log(f"  {store.key}: {key} ×{reps}")

    def open_warm() -> None:
        progress("open_warm")
        for _ in range(reps):
            rec.reset(settler, driver.back_to_jobs)
            rec.time("open_warm", settler, lambda: driver.open_from_card(job))

    def select_cell() -> None:
        progress("select_cell")
        driver.goto_visualize(job)
        for i in range(reps):  # rows 0 and 1 of the True column in turn: each click selects another slice
            rec.time("select_cell", settler, lambda: driver.select_class_changed_cell(i % 2, "True"))

    def apply_filter() -> None:
        progress("apply_filter")
        driver.goto_visualize(job)
        for i in range(reps):
            rec.time(
                "apply_filter",
                settler,
                lambda: driver.apply_filter(class_changed=i % 2 == 0),
                milestone_of={"grid": "grid_after_filter"},
            )

    def switch_tab() -> None:
        progress("switch_tab")
        driver.goto_visualize(job)
        for i in range(reps):
            rec.time("switch_tab", settler, lambda: driver.switch_tab("accepted" if i % 2 == 0 else "pending"))

    def next_page() -> None:
        progress("next_page")
        driver.goto_visualize(job)
        for _ in range(reps):
            rec.time("next_page", settler, driver.next_grid_page)

    def pick_tile() -> None:
        progress("pick_tile")
        driver.goto_visualize(job)
        for _ in range(reps):
            rec.time("pick_tile", settler, lambda: driver.pick_tile(0))
            rec.reset(settler, lambda: driver.pick_tile(0, on=False))

    def open_viewer() -> None:
        progress("open_viewer")
        driver.goto_visualize(job)
        for i in range(reps):  # another tile each time: its full-size image is drawn for the first time
            rec.time("open_viewer", settler, lambda: driver.open_viewer(i % 24))
            rec.reset(settler, driver.close_viewer)

    def viewer_next() -> None:
        progress("viewer_next")
        driver.goto_visualize(job)
        rec.reset(settler, lambda: driver.open_viewer(0))
        for _ in range(reps):
            rec.time("viewer_next", settler, driver.viewer_next)

    def accept_one() -> None:
        # One result after another, as a reviewer goes through a slice in the viewer (A decides the result on
        # screen and shows the next); then the viewer closes and the page catches up (untimed).
        progress("accept_one")
        driver.goto_visualize(job)
        rec.reset(settler, lambda: driver.open_viewer(0))
        for _ in range(reps):
            rec.time("accept_one", settler, driver.accept_one)
        rec.reset(settler, driver.close_viewer)

    def accept_slice_and_undo() -> None:
        progress("accept_slice, undo")
        driver.goto_visualize(job)
        rec.reset(settler, lambda: driver.select_class_changed_cell(0, "True"))
        for _ in range(reps):
            rec.time("accept_slice", settler, driver.accept_slice)
            rec.time("undo", settler, driver.undo)

    def annotate_complete() -> None:
        progress("annotate_complete")
        driver.goto_annotate(store.refine_job_id)
        for _ in range(reps):
            rec.time("annotate_complete", settler, driver.annotate_complete)

    for keys, body in (
        (("open_warm",), open_warm),
        (("select_cell",), select_cell),
        (("apply_filter", "grid_after_filter"), apply_filter),
        (("switch_tab",), switch_tab),
        (("next_page",), next_page),
        (("pick_tile",), pick_tile),
        (("open_viewer",), open_viewer),
        (("viewer_next",), viewer_next),
        (("accept_one",), accept_one),
        (("accept_slice", "undo"), accept_slice_and_undo),
    ):
        timed(rec, keys, body, page=page, shots=shots)
        rec.rss[keys[-1]] = round(rss())
    if store.has_annotate:
        timed(rec, ("annotate_complete",), annotate_complete, page=page, shots=shots)
        rec.rss["annotate_complete"] = round(rss())


def run_store(store: Store, *, browser, python: str, reps: int, rounds: int, shots: Path) -> dict:
    rec = Recorder()
    rss: list[float] = []
    for index in range(rounds):
        store.before_round(index)
        server = Server(store, python, store.root / "streamlit.log")
        log(f"{store.key}: app process {index + 1} of {rounds}")
        server.start()
        context = browser.new_context(viewport=VIEWPORT)
        Settler.install(context)
        VisualizeDriver.install(context)
        page = context.new_page()
        page.set_default_timeout(300_000)
        settler = Settler(page, cpu=cpu_reader(server))
        driver = VisualizeDriver(page, settler, server.url)
        try:

            def cold_open() -> None:
                driver.goto_jobs()
                rec.time(
                    "open_first" if index == 0 else "open_cold", settler, lambda: driver.open_from_card(store.job_id)
                )

            timed(rec, ("open_first" if index == 0 else "open_cold",), cold_open, page=page, shots=shots)
            if index == 0:
                rec.rss["open_first"] = round(server.rss_mib())
                run_suite(driver, settler, store, reps, rec, shots, server.rss_mib)
            if store.has_annotate:

                def submit() -> None:
                    driver.goto_annotate(store.refine_job_id)
                    rec.time("submit_dialog", settler, driver.submit)
                    rec.time("submit_confirm", settler, lambda: driver.submit_confirm(store.refine_job_id))

                timed(rec, ("submit_dialog", "submit_confirm"), submit, page=page, shots=shots)
            rss.append(server.rss_mib())
        finally:
            context.close()
            server.stop()
    if rounds < 2:
        rec.na("open_cold", "one app process only (--rounds 1)")
    if not store.has_annotate:
        for key in ("annotate_complete", "submit_dialog", "submit_confirm"):
            rec.na(key, "the synthetic job is imported READY: there is no IN_PROGRESS job to annotate or submit")
    notes = list(store.notes)
    if store.has_annotate:
        notes.append(
            f"Annotate's Complete labels the next unlabelled image each time ({reps} in the first app "
            "process, before its Submit); Submit turns the job READY, so it is timed once per app process, "
            "each over a fresh copy of the seeded database"
        )
    if rss:
        notes.append(f"app server RSS after each app process's run: {', '.join(f'{r:,.0f}' for r in rss)} MiB")
    if rec.rss:
        notes.append(
            "app server RSS in the first app process, after each interaction's repetitions (MiB): "
            + ", ".join(f"{key} {mib:,.0f}" for key, mib in rec.rss.items())
        )
    if rec.lost:
        notes.append(
            f"{len(rec.lost)} click(s) started no rerun and were done again, untimed attempt dropped: "
            + ", ".join(sorted(set(rec.lost)))
        )
    return {
        "description": store.description,
        "db": db_kind(store.db_url),
        "job_id": store.job_id,
        "interactions": rec.as_json(),
        "notes": notes,
        "failures": rec.failures,
        "rss_mib_after": rec.rss,
        "lost_clicks": rec.lost,
    }
