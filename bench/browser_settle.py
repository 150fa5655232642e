"""When is a Streamlit page settled, and how long did an interaction take to get there.

Nothing here knows LabelDeck's UI: a `Step` (made by the driver, bench/browser_driver.py) says how to fire the click
or key press and what the page shows once it is done, as a JavaScript predicate. `Settler.time(step)` measures with
time.perf_counter() from just before the click to the first moment the page is settled:

- a rerun of the script started after the click (when the step expects one): a MutationObserver counts the changes
  of `[data-testid="stApp"]`'s `data-test-script-state` to `running` (Streamlit 1.67 sets it from the server's
  session status; it is `notRunning` between runs, `initial` before the first), so a run that starts late, or that
  is over before the next poll, is not missed;
- the script is not running, the connection is up, and no element is stale (`data-stale="true"`: left over from
  the run before, not yet confirmed or removed);
- every `<img>` in the main area and in dialogs is loaded (`complete && naturalWidth > 0`), every plotly chart has
  drawn its SVG, every data frame its canvas, and no skeleton placeholder is left;
- the step's own predicate holds (the expected text, URL, element);
- all of this for `frames` consecutive animation frames (page.wait_for_function polls once per frame).

No fixed sleep anywhere. The page also keeps, on its own clock, when the click was fired, when the script started
and ended and when the settled state was first seen; `Timing` carries that breakdown.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

INIT_SCRIPT = r"""
(() => {
  if (window.__bench) return;
  const B = window.__bench = {runs: 0, log: [], mark: 0, okFrames: 0, okSince: null};
  const observe = () => new MutationObserver((mutations) => {
    for (const m of mutations) {
      const value = m.target.getAttribute('data-test-script-state');
      if (value === m.oldValue) continue;
      B.log.push([value, performance.now()]);
      if (value === 'running') B.runs += 1;
    }
  }).observe(document, {subtree: true, attributes: true, attributeOldValue: true,
                        attributeFilter: ['data-test-script-state']});
  observe();
  B.markNow = () => {
    B.mark = performance.now(); B.log = []; B.okFrames = 0; B.okSince = null;
    return B.runs;
  };
  B.imagesLoaded = (roots) => roots.every((root) =>
    [...root.querySelectorAll('img')].every((img) => img.complete && img.naturalWidth > 0));
  B.quiet = () => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
    if (app.getAttribute('data-test-connection-state') !== 'CONNECTED') return false;
    if (document.querySelector('[data-stale="true"], [data-testid="stSkeleton"]')) return false;
    const main = document.querySelector('[data-testid="stMain"]');
    if (!main) return false;
    if (!B.imagesLoaded([main, ...document.querySelectorAll('[role="dialog"]')])) return false;
    for (const chart of document.querySelectorAll('[data-testid="stPlotlyChart"]')) {
      if (!chart.querySelector('.main-svg')) return false;
    }
    for (const frame of document.querySelectorAll('[data-testid="stDataFrame"]')) {
      if (!frame.querySelector('canvas')) return false;
    }
    return true;
  };
  B.settled = (arg, done) => {
    const ok = (!arg.rerun || B.runs > arg.runs) && B.quiet() && !!done(arg.ctx);
    if (!ok) { B.okFrames = 0; B.okSince = null; return false; }
    if (B.okFrames === 0) B.okSince = performance.now();
    B.okFrames += 1;
    return B.okFrames >= arg.frames;
  };
  B.report = () => ({mark: B.mark, log: B.log, okSince: B.okSince, runs: B.runs});
})();
"""


class LostClick(RuntimeError):
    """No rerun started after the click: the click went nowhere (the page moved under the pointer). Not a
    latency: the caller drops the attempt and tries again."""


@dataclass
class Step:
    """One interaction, as the driver knows how to do it.

    fire: the click or key press itself, nothing else (the element is found and scrolled to beforehand).
    done: a JavaScript function `(ctx) => boolean`, true once the page shows the interaction's outcome.
    ctx: JSON-able values for `done` (what the page showed before, what to expect).
    rerun: the interaction reruns the script (every widget does in Streamlit).
    milestones: (name, JS predicate) reached on the way, each timed from the click too.
    """

    fire: Callable[[], None]
    done: str
    ctx: Any = None
    rerun: bool = True
    milestones: tuple[tuple[str, str], ...] = ()


@dataclass
class Timing:
    total_ms: float
    milestones_ms: dict[str, float] = field(default_factory=dict)
    queue_ms: float | None = None  # click → the script starts running (page clock)
    script_ms: float | None = None  # first start → last end of the script (several runs for a page switch)
    render_ms: float | None = None  # script end → settled state first seen
    runs: int = 0
    server_cpu_ms: float | None = None
    browser_cpu_ms: float | None = None

    def breakdown(self) -> dict:
        return {
            "queue_ms": self.queue_ms,
            "script_ms": self.script_ms,
            "render_ms": self.render_ms,
            "runs": self.runs,
            "server_cpu_ms": self.server_cpu_ms,
            "browser_cpu_ms": self.browser_cpu_ms,
        }


class Settler:
    """Waits for a page to settle and times steps. `cpu` (optional) returns the CPU seconds so far of each process
    of the app server and of the browser ({"server": {pid: s}, "browser": {pid: s}}); it is read outside the timed
    span."""

    def __init__(
        self,
        page: Page,
        *,
        frames: int = 2,
        timeout_ms: float = 300_000,
        lost_click_ms: float = 30_000,
        cpu: Callable[[], dict[str, dict[int, float]]] | None = None,
        polling: str | float = "raf",
    ) -> None:
        self.page = page
        self.lost_click_ms = lost_click_ms
        self.polling = polling
        self.frames = frames
        self.timeout_ms = timeout_ms
        self.cpu = cpu

    @staticmethod
    def install(context) -> None:
        """Before any page of the context loads."""
        context.add_init_script(INIT_SCRIPT)

    def wait(self, done: str = "() => true", ctx: Any = None, *, runs: int | None = None) -> None:
        """Until settled with `done(ctx)` true; with `runs`, only after a rerun started beyond that count."""
        arg = {"ctx": ctx, "rerun": runs is not None, "runs": runs or 0, "frames": self.frames}
        self.page.wait_for_function(
            f"(arg) => window.__bench.settled(arg, ({done}))", arg=arg, polling=self.polling, timeout=self.timeout_ms
        )

    def wait_for(self, predicate: str, ctx: Any = None) -> None:
        """Until `predicate(ctx)` holds (no settling): a milestone."""
        self.page.wait_for_function(
            f"(ctx) => !!(({predicate})(ctx))", arg=ctx, polling=self.polling, timeout=self.timeout_ms
        )

    def _rerun_started(self, step: Step, runs: int) -> None:
        if not step.rerun:
            return
        try:
            self.page.wait_for_function(
                "(runs) => window.__bench.runs > runs", arg=runs, polling=self.polling, timeout=self.lost_click_ms
            )
        except PlaywrightTimeout:
            raise LostClick(f"no rerun within {self.lost_click_ms / 1000:.0f} s of the click") from None

    def run(self, step: Step) -> None:
        """Do a step without timing it (a reset between repetitions)."""
        runs = self.page.evaluate("window.__bench.markNow()")
        step.fire()
        self._rerun_started(step, runs)
        self.wait(step.done, step.ctx, runs=runs if step.rerun else None)

    def time(self, step: Step) -> Timing:
        cpu_before = self.cpu() if self.cpu else None
        started = time.perf_counter()
        runs = self.page.evaluate("window.__bench.markNow()")
        step.fire()
        self._rerun_started(step, runs)
        milestones = {}
        for name, predicate in step.milestones:
            self.wait_for(predicate, step.ctx)
            milestones[name] = (time.perf_counter() - started) * 1000
        self.wait(step.done, step.ctx, runs=runs if step.rerun else None)
        total = (time.perf_counter() - started) * 1000
        cpu_after = self.cpu() if self.cpu else None
        timing = Timing(total_ms=total, milestones_ms=milestones)
        _page_clock(timing, self.page.evaluate("window.__bench.report()"))
        if cpu_before and cpu_after:
            timing.server_cpu_ms = _cpu_delta_ms(cpu_before["server"], cpu_after["server"])
            timing.browser_cpu_ms = _cpu_delta_ms(cpu_before["browser"], cpu_after["browser"])
        return timing


def _cpu_delta_ms(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU time spent between two readings by the processes alive at the second (a process that ended in
    between is not counted)."""
    return sum(max(seconds - before.get(pid, 0.0), 0.0) for pid, seconds in after.items()) * 1000


def _page_clock(timing: Timing, report: dict) -> None:
    starts = [t for state, t in report["log"] if state == "running"]
    ends = [t for state, t in report["log"] if state == "notRunning"]
    timing.runs = len(starts)
    settled = report.get("okSince")
    if not starts:
        return
    timing.queue_ms = starts[0] - report["mark"]
    last_end = max((t for t in ends if t >= starts[0]), default=None)
    if last_end is not None:
        timing.script_ms = last_end - starts[0]
        if settled is not None:
            timing.render_ms = max(settled - last_end, 0.0)
