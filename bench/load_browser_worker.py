"""One reviewer of the browser load bench (bench/load_browser.py): Debian's Chromium through Playwright, kept on one
replica by the proxy's sticky cookie, reviewing a job on Visualize until a deadline; every interaction timed from
the click to the settled page by bench/browser_settle.py, through bench/browser_driver.py's selectors.

    python -m bench.load_browser_worker --url URL --replica app1 --user load1 --password PW --job-id N
                                        --duration 60 --out OUT.json [--seed 0]

Prints `ready` once signed in with the job's Visualize page open, waits for a line on stdin, then loops: the
Accepted tab and back, a filter, the viewer and two accepts with its A key, a pick and its rejection, an undo, and
every third round the Labeling Jobs page and Visualize from the card again. A step that fails is an error (its
message kept); the session then reloads and signs in again, untimed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from collections import defaultdict
from pathlib import Path

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import sync_playwright

from bench.browser_driver import VisualizeDriver
from bench.browser_processes import CHROMIUM, CHROMIUM_ARGS, VIEWPORT
from bench.browser_settle import LostClick, Settler, Step
from deploy.cluster import REPLICA_HEADER, STICKY_COOKIE

STEP_TIMEOUT_MS = 30_000  # a step slower than this is an error, not a latency


class Session:
    def __init__(
        self, page, base_url: str, user: str, password: str, job_id: int, *, slot: int = 0, shots: Path | None = None
    ) -> None:
        self.page = page
        self.base_url = base_url
        self.user, self.password, self.job_id = user, password, job_id
        self.settler = Settler(page, timeout_ms=STEP_TIMEOUT_MS, lost_click_ms=20_000)
        self.driver = VisualizeDriver(page, self.settler, base_url)
        self.samples: dict[str, list[float]] = defaultdict(list)
        self.errors: list[dict] = []
        self.lost = 0
        self.replicas_seen: set[str] = set()
        self.slot = slot  # which tile this session opens: sessions that all open the first one only collide
        self.shots = shots
        self.deadline = float("inf")
        self.decided_elsewhere = 0
        self.unobserved = 0

    # ------------------------------------------------------------------------------------------ untimed

    def sign_in(self) -> None:
        """A new Streamlit session: the sign-in form, then Labeling Jobs."""
        response = self.page.goto(self.base_url + "/")
        if response is not None:
            self.replicas_seen.add(response.headers.get(REPLICA_HEADER.lower(), "?"))
        form = self.page.get_by_test_id("stForm")
        form.get_by_role("textbox", name="User name").fill(self.user)
        form.get_by_label("Password", exact=True).fill(self.password)
        form.get_by_role("button", name="Sign in").click()
        self.settler.wait("() => document.querySelector('[class*=\"st-key-job_card_\"]') !== null")

    def recover(self) -> None:
        self.page.keyboard.press("Escape")
        self.sign_in()
        self.settler.run(self.driver.open_from_card(self.job_id))

    # ------------------------------------------------------------------------------------------ timed

    def time(self, key: str, make) -> bool:
        """Times one step (made just before, untimed); False when it failed (recorded, the session recovered)."""
        if time.monotonic() >= self.deadline:
            return False
        for attempt in range(2):
            try:
                step = make()
                self.samples[key].append(round(self.settler.time(step).total_ms, 1))
                return True
            except LostClick:
                if self._shows(step):
                    # The outcome is on the page, yet no `running` state was seen: on a starved machine the browser
                    # can draw a short run's start and end in one frame. Done, but not timed.
                    self.unobserved += 1
                    return True
                self.lost += 1  # the click went nowhere: not a latency; once more
                if attempt == 0:
                    continue
                self._failed(key, "no rerun after the click, twice")
                return False
            except Exception as error:  # noqa: BLE001 - every failure is a figure of the load
                self._failed(key, f"{type(error).__name__}: {str(error).splitlines()[0][:200]}")
                return False
        return False

    def _shows(self, step: Step) -> bool:
        try:
            return bool(self.page.evaluate(f"(ctx) => !!(({step.done})(ctx))", step.ctx))
        except Exception:  # noqa: BLE001
            return False

    def _failed(self, key: str, message: str) -> None:
        self.errors.append({"key": key, "message": message, "at": time.time()})
        if self.shots is not None and len(self.errors) <= 5:
            try:
                self.page.screenshot(path=str(self.shots.with_name(f"{self.shots.name}-error{len(self.errors)}.png")))
            except Exception:  # noqa: BLE001 - a page too broken for a screenshot
                pass
        try:
            self.recover()
        except Exception as error:  # noqa: BLE001
            self.errors.append(
                {"key": "recover", "message": f"{type(error).__name__}: {str(error)[:200]}", "at": time.time()}
            )

    def reject_picked(self) -> Step:
        """The review bar's Reject popover (opened untimed: no rerun), its `Reject 1 picked`."""
        bar = self.page.locator(".st-key-review_bar")
        bar.get_by_role("button", name="Reject 1 picked").filter(visible=True).first.click()
        button = self.page.get_by_role("dialog").get_by_role("button", name="Reject 1 picked")
        return Step(fire=self.driver._aim(button), done="() => !window.__ui.reviewBar().includes('picked')")

    def close_viewer(self) -> None:
        """Esc, untimed; after decisions in the viewer the page reruns to catch up, a moment later: waited for,
        else the next click lands on a grid about to be drawn anew and is lost."""
        runs = self.page.evaluate("window.__bench.markNow()")
        self.page.keyboard.press("Escape")
        try:
            self.page.wait_for_function("(runs) => window.__bench.runs > runs", arg=runs, timeout=3_000)
        except PlaywrightTimeout:
            pass  # nothing decided: no catch-up run
        self.settler.wait("() => window.__ui.viewer() === null")

    def accept_in_viewer(self) -> Step:
        """The viewer's A key, settled after its rerun with the viewer drawn. Not the driver's accept_one, whose
        predicate wants the next result pending: under load another session may have decided it, or the one on
        screen (the viewer then says so and stays)."""
        step = self.driver.accept_one()
        step.done = "() => window.__ui.viewerResult() !== null && window.__ui.viewerReady()"
        return step

    def undo(self) -> Step:
        """`Undo my last action`: settled after its rerun (the counts move with everyone's decisions, so the
        driver's own predicate, Pending Review up, does not hold under load)."""
        button = self.page.locator(".st-key-review_bar").get_by_role("button", name="Undo my last action")
        return Step(fire=self.driver._aim(button), done="() => window.__ui.showing() !== null")

    def round(self, index: int) -> None:
        d = self.driver
        if index % 3 == 2:
            self.settler.run(d.back_to_jobs())
            self.time("open Visualize from its card", lambda: d.open_from_card(self.job_id))
        self.time("switch tab", lambda: d.switch_tab("accepted"))
        self.time("switch tab", lambda: d.switch_tab("pending"))
        filter_step = lambda: _without_milestones(d.apply_filter(class_changed=index % 2 == 0))  # noqa: E731
        self.time("apply a filter", filter_step)
        if not self.page.evaluate("window.__ui.tiles().length"):
            return  # nothing pending under this filter (everyone accepted it): next round
        tile = lambda: self.slot % max(self.page.evaluate("window.__ui.tiles().length"), 1)  # noqa: E731
        if self.time("open the viewer", lambda: d.open_viewer(tile())):
            for _ in range(2):
                position = self.page.evaluate("window.__ui.viewerPosition()")
                if not position or position["state"] != "Pending Review":
                    self.decided_elsewhere += 1  # another session decided the result on screen: no A to press
                    break
                if not self.time("accept in the viewer (A)", self.accept_in_viewer):
                    break
            if d.viewer_result() is not None:
                self.close_viewer()
        if self.page.evaluate("window.__ui.tiles().length") and self.time("pick a tile", lambda: d.pick_tile(tile())):
            if self.time("reject the picked tile", self.reject_picked):
                self.page.keyboard.press("Escape")  # the popover stays open after the rerun
        self.time("undo my last action", self.undo)


def _without_milestones(step: Step) -> Step:
    """apply_filter's milestone waits for 24 new tiles, which a filtered pending tab may no longer hold."""
    step.milestones = ()
    return step


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--replica", required=True, help="the sticky cookie's value: the replica to stay on")
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--job-id", type=int, required=True)
    parser.add_argument("--duration", type=float, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--slot", type=int, default=0, help="the tile (position in the grid) this session opens")
    args = parser.parse_args(argv)

    report: dict = {"user": args.user, "replica": args.replica}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=VIEWPORT)
        context.add_cookies([{"name": STICKY_COOKIE, "value": args.replica, "url": args.url}])
        Settler.install(context)
        VisualizeDriver.install(context)
        page = context.new_page()
        page.set_default_timeout(STEP_TIMEOUT_MS)
        session = Session(
            page, args.url, args.user, args.password, args.job_id, slot=args.slot, shots=args.out.with_suffix("")
        )
        rounds = 0
        try:
            session.sign_in()
            session.time("open Visualize from its card (first)", lambda: session.driver.open_from_card(args.job_id))
            print("ready", flush=True)
            sys.stdin.readline()
            started = time.monotonic()
            session.deadline = started + args.duration
            while time.monotonic() < session.deadline:
                try:
                    session.round(rounds)
                except Exception as error:  # noqa: BLE001 - an untimed step between the timed ones failed
                    session._failed("between steps", f"{type(error).__name__}: {str(error).splitlines()[0][:200]}")
                rounds += 1
            report["elapsed_s"] = time.monotonic() - started
        except Exception:  # noqa: BLE001 - the report says what broke; the driver counts it
            report["fatal"] = traceback.format_exc(limit=3)
            print("ready", flush=True)  # never leave the driver waiting
        finally:
            report.update(
                samples=session.samples,
                errors=session.errors,
                lost_clicks=session.lost,
                rounds=rounds,
                decided_elsewhere=session.decided_elsewhere,
                unobserved=session.unobserved,
                replicas_seen=sorted(session.replicas_seen),
                cookie=next((c["value"] for c in context.cookies() if c["name"] == STICKY_COOKIE), None),
            )
            args.out.write_text(json.dumps(report), encoding="utf-8")
            context.close()
            browser.close()
    return 1 if "fatal" in report else 0


if __name__ == "__main__":
    raise SystemExit(main())
