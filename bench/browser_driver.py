"""LabelDeck's UI as the browser benchmark drives it: every selector, URL and "how to do interaction X" is in this
module and nowhere else, but for the page helpers its predicates call (`window.__ui`, bench/browser_ui_script.py).
The review workspace of issue 10 (top navigation, the viewer dialog, keyboard review) is driven here; the UI before
it was driven by this module as of commit be8b3b0, which made bench/browser-before.json. bench/browser_scenarios.py
(the timing, the repetitions and their resets) and bench/browser_report.py stay as they are.

A method named after an interaction returns a `Step`: how to fire the click (the element is found, scrolled into
view and checked to be the topmost element at the point clicked, all before the timed span), and a JavaScript
predicate that is true once the page shows the interaction's outcome. Settling (script finished, images loaded,
...) is bench/browser_settle.py's. Methods starting with `goto_` navigate without timing; the steps of
`back_to_jobs` and `close_viewer` are untimed resets.
"""

from __future__ import annotations

import re
import time

from playwright.sync_api import Locator, Page

from bench.browser_settle import Settler, Step
from bench.browser_ui_script import UI_SCRIPT

SUBMIT_CONFIRM_TEXT = "Submit anyway"


class VisualizeDriver:
    """The Labeling Jobs, Visualize and Annotate pages of today's UI."""

    def __init__(self, page: Page, settler: Settler, base_url: str) -> None:
        self.page = page
        self.settler = settler
        self.base_url = base_url.rstrip("/")

    @staticmethod
    def install(context) -> None:
        context.add_init_script(UI_SCRIPT)

    # ------------------------------------------------------------------------------------------ navigation (untimed)

    def goto_jobs(self) -> None:
        self.page.goto(self.base_url + "/")
        self.settler.wait("() => document.querySelector('[class*=\"st-key-job_card_\"]') !== null")

    def back_to_jobs(self) -> Step:
        """As a person does: the top bar's Labeling Jobs link (same session). Untimed, a reset."""
        link = self.page.locator('[data-testid="stTopNavLink"]', has_text="Labeling Jobs").first
        return Step(
            fire=self._aim(link),
            done="() => location.pathname.replace(/\\/$/, '') === '' "
            "&& document.querySelector('[class*=\"st-key-job_card_\"]') !== null",
        )

    def goto_visualize(
        self,
        job_id: int,
        *,
        slice_of: tuple[str, bool] | None = None,
        result: int | None = None,
        tab: str | None = None,
    ) -> None:
        """A view by its link (a new session). slice_of: (class_row value, class_changed)."""
        params = [f"job={job_id}"]
        if tab and tab != "pending":
            params.append(f"tab={tab}")
        if slice_of:
            params += [f"slice=class_row:{slice_of[0]}", f"slice=class_changed:{str(slice_of[1]).lower()}"]
        if result is not None:
            params.append(f"result={result}")
        self.page.goto(f"{self.base_url}/visualize?{'&'.join(params)}")
        self.settler.wait("() => window.__ui.showing() !== null")

    def goto_annotate(self, job_id: int) -> None:
        self.page.goto(f"{self.base_url}/annotate?job={job_id}")
        self.settler.wait("() => window.__ui.annotateDone() !== null && window.__ui.editorReady()")

    # ------------------------------------------------------------------------------------------ reading the page

    def showing(self) -> str | None:
        return self.page.evaluate("window.__ui.showing()")

    def tiles(self) -> list[int]:
        return [int(t) for t in self.page.evaluate("window.__ui.tiles()")]

    def pending(self) -> int | None:
        return self.page.evaluate("window.__ui.pending()")

    def shown_count(self) -> int:
        """The number of results the view shows (all pages), from the Showing caption."""
        found = re.search(r"· ([\d,]+) results$", self.showing() or "")
        if not found:
            raise RuntimeError(f"no result count in the caption {self.showing()!r}")
        return int(found.group(1).replace(",", ""))

    def viewer_result(self) -> int | None:
        return self.page.evaluate("window.__ui.viewerResult()")

    # ------------------------------------------------------------------------------------------ interactions

    def open_from_card(self, job_id: int) -> Step:
        """On Labeling Jobs: the job card's Visualize button → the job's Visualize page, drawn."""
        button = self._button(f"visualize_{job_id}")
        return Step(
            fire=self._aim(button),
            ctx={"job": str(job_id)},
            done="(ctx) => location.pathname.endsWith('/visualize') && window.__ui.param('job') === ctx.job "
            "&& window.__ui.showing() !== null && (window.__ui.tiles().length > 0 "
            "|| window.__ui.noResults())",
        )

    def select_class_changed_cell(self, row: int, column: str = "True") -> Step:
        """A cell of the Class Changed table (a component: an HTML table; before, an st.dataframe on a canvas)."""
        cell = self.page.locator(f'.ld-cct td[data-row="{row}"][data-column="{column}"]')
        x, y = self._point(cell, _centre)
        return Step(
            fire=lambda: self.page.mouse.click(x, y),
            ctx={"showing": self.showing(), "slice": self.page.evaluate("location.search")},
            done="(ctx) => location.search.includes('slice=') && location.search !== ctx.slice "
            "&& window.__ui.showing() !== null && window.__ui.showing() !== ctx.showing",
        )

    def apply_filter(self, class_changed: bool) -> Step:
        """Sidebar: Class Changed Condition True or False (untimed: the form does not rerun), then Apply (timed).
        Milestone `grid`: a page of 24 new tiles with their thumbnails loaded."""
        sidebar = self.page.get_by_test_id("stSidebar")
        value = "True" if class_changed else "False"
        sidebar.get_by_test_id("stRadio").get_by_text(value, exact=True).click()
        apply = sidebar.get_by_role("button", name="Apply")
        grid = (
            "(ctx) => { const t = window.__ui.tiles(); return t.length === 24 "
            "&& t.every((k) => !ctx.tiles.includes(k)) && window.__ui.tileImagesLoaded(24); }"
        )
        return Step(
            fire=self._aim(apply),
            ctx={"param": value.lower(), "text": f"Class Changed = {value}", "tiles": [str(t) for t in self.tiles()]},
            done="(ctx) => window.__ui.param('class_changed') === ctx.param "
            "&& (window.__ui.showing() || '').includes(ctx.text)",
            milestones=(("grid", grid),),
        )

    def switch_tab(self, tab: str) -> Step:
        """tab: pending, accepted or rejected (the segmented control over the table)."""
        label = {"pending": "Pending Review", "accepted": "Accepted", "rejected": "Rejected"}[tab]
        button = self.page.locator('.st-key-tab [role="radio"]').filter(has_text=re.compile(rf"^{label} [\d,]+$"))
        return Step(
            fire=self._aim(button),
            ctx={"label": label, "tab": None if tab == "pending" else tab, "showing": self.showing()},
            done="(ctx) => { const t = window.__ui.tabs()[ctx.label]; return t && t.checked "
            "&& window.__ui.param('tab') === ctx.tab && window.__ui.showing() !== null; }",
        )

    def next_grid_page(self) -> Step:
        button = self.page.locator('[data-testid="stMain"] [data-testid="stPaginationNext"]')
        return Step(
            fire=self._aim(button),
            ctx={"page": self.page.evaluate("window.__ui.activePage()"), "tiles": [str(t) for t in self.tiles()]},
            done="(ctx) => window.__ui.activePage() === ctx.page + 1 "
            "&& window.__ui.param('page') === String(ctx.page + 1) "
            "&& window.__ui.tiles().length > 0 && !window.__ui.tiles().some((k) => ctx.tiles.includes(k))",
        )

    def pick_tile(self, index: int = 0, *, on: bool = True) -> Step:
        """Tick (or untick) a tile's Pick checkbox; done when the review bar offers the picked tile."""
        tile = self._tile(index)
        checkbox = tile.locator(".ld-pick")
        return Step(
            fire=self._aim(checkbox),
            ctx={"on": on},
            done="(ctx) => { const bar = window.__ui.reviewBar(); "
            "return ctx.on ? bar.includes('Accept 1 picked') : (bar !== '' && !bar.includes('picked')); }",
        )

    def open_viewer(self, index: int = 0) -> Step:
        """A tile's open button → the viewer dialog with its canvas drawn."""
        tile = self._tile(index)
        result = int(tile.get_attribute("data-result"))
        button = tile.locator(".ld-open")
        return Step(
            fire=self._aim(button),
            ctx={"result": result},
            done="(ctx) => window.__ui.viewerResult() === ctx.result "
            "&& window.__ui.param('result') === String(ctx.result) && window.__ui.viewerReady()",
        )

    def close_viewer(self) -> Step:
        """Esc. When a decision was made in the viewer, the page reruns to catch up (not awaited here: the
        Settler waits for the script to be done)."""
        return Step(
            fire=lambda: self.page.keyboard.press("Escape"),
            rerun=False,
            done="() => window.__ui.viewer() === null && window.__ui.param('result') === null",
        )

    def viewer_next(self) -> Step:
        """→ in the viewer: the next result of the slice, its canvas drawn."""
        return Step(
            fire=lambda: self.page.keyboard.press("ArrowRight"),
            ctx={"result": self.viewer_result()},
            done="(ctx) => { const r = window.__ui.viewerResult(); return r !== null && r !== ctx.result "
            "&& window.__ui.param('result') === String(r) && window.__ui.viewerReady(); }",
        )

    def accept_one(self) -> Step:
        """A in the viewer: the result on screen is accepted and the viewer shows the next one (the page behind
        catches up when the viewer closes)."""
        return Step(
            fire=lambda: self.page.keyboard.press("a"),
            ctx={"result": self.viewer_result()},
            done="(ctx) => { const r = window.__ui.viewerResult(); const p = window.__ui.viewerPosition(); "
            "return r !== null && r !== ctx.result && !!p && p.state === 'Pending Review' "
            "&& window.__ui.viewerReady(); }",
        )

    def accept_slice(self) -> Step:
        """The review bar's `Accept N shown` for everything shown (the selected slice, all pages)."""
        shown = self.shown_count()
        button = self.page.locator(".st-key-review_bar").get_by_role(
            "button", name=f"Accept {shown:,} shown", exact=True
        )
        return Step(
            fire=self._aim(button),
            ctx={"pending": self.pending(), "shown": shown},
            done="(ctx) => window.__ui.pending() === ctx.pending - ctx.shown && window.__ui.noResults()",
        )

    def undo(self) -> Step:
        """The review bar's `Undo my last action`; done when the Pending Review count is back up."""
        button = self.page.locator(".st-key-review_bar").get_by_role("button", name="Undo my last action")
        return Step(
            fire=self._aim(button),
            ctx={"pending": self.pending()},
            done="(ctx) => window.__ui.pending() > ctx.pending && window.__ui.showing() !== null",
        )

    def annotate_complete(self) -> Step:
        """Annotate: the Complete button inside streamlit-image-annotation's iframe; done when the images-done
        counter went up and the next image is drawn in a new editor."""
        editor = self.page.frame_locator('[class*="st-key-annotate_"] iframe').first
        button = editor.get_by_role("button", name="Complete")
        frame = self.page.locator('[class*="st-key-annotate_"] iframe').first
        frame.scroll_into_view_if_needed()
        button.wait_for(state="visible")
        # the iframe is the topmost element at the point, the button's box is in page coordinates
        x, y = self._point(frame, lambda _: _centre(button.bounding_box()))
        return Step(
            fire=lambda: self.page.mouse.click(x, y),
            ctx={
                "done": self.page.evaluate("window.__ui.annotateDone()"),
                "file": self.page.evaluate("window.__ui.annotateFile()"),
                "key": self.page.evaluate("window.__ui.editorKey()"),
            },
            done="(ctx) => window.__ui.annotateDone() > ctx.done && window.__ui.annotateFile() !== null "
            "&& window.__ui.annotateFile() !== ctx.file && window.__ui.editorKey() !== ctx.key "
            "&& window.__ui.editorReady()",
        )

    def submit(self) -> Step:
        """Annotate: Submit job (with unlabelled images, a confirmation dialog opens)."""
        button = self._button("submit_job")
        return Step(
            fire=self._aim(button),
            ctx={"text": SUBMIT_CONFIRM_TEXT},
            done="(ctx) => { const d = window.__ui.dialog(); return d !== null "
            "&& [...d.querySelectorAll('button')].some((b) => b.innerText.trim() === ctx.text); }",
        )

    def submit_confirm(self, job_id: int) -> Step:
        """The confirmation's Submit anyway → the job is READY and its Visualize page is drawn."""
        button = self.page.get_by_role("dialog").get_by_role("button", name=SUBMIT_CONFIRM_TEXT)
        return Step(
            fire=self._aim(button),
            ctx={"job": str(job_id)},
            done="(ctx) => location.pathname.endsWith('/visualize') && window.__ui.param('job') === ctx.job "
            "&& window.__ui.showing() !== null && window.__ui.dialog() === null",
        )

    # ------------------------------------------------------------------------------------------ helpers

    def _button(self, key: str) -> Locator:
        """The st.button of a widget key. A button with a tooltip (help=) is in the DOM twice, once hidden."""
        return self.page.locator(f".st-key-{key} button").filter(visible=True).first

    def _tile(self, index: int) -> Locator:
        return self.page.locator('[data-testid="stMain"] .ld-tile').nth(index)

    def _aim(self, locator: Locator):
        """Untimed: the element found and pointed at (see _point); returns the click itself."""
        x, y = self._point(locator.filter(visible=True).first, _centre)
        return lambda: self.page.mouse.click(x, y)

    def _point(self, locator: Locator, where, *, timeout_s: float = 60) -> tuple[float, float]:
        """Untimed, as a person's pointer arrives before the click: the element scrolled into view, the pointer
        moved to `where(box)` and two frames let pass (the data grid ignores a click whose pointer came straight
        from another focused widget); again until the element stood still meanwhile and is the topmost element
        at that point (a page still laying out, a toast or a focused button's tooltip over it)."""
        locator.wait_for(state="visible")
        deadline = time.monotonic() + timeout_s
        attempt = 0
        while True:
            if attempt == 0:
                locator.scroll_into_view_if_needed()
            else:
                # the tooltip of the button clicked last stays while the pointer is on it, and it may cover the
                # element; scrolled to an edge of the viewport, Streamlit's fixed header can: pointer away, blur,
                # centre the element
                self.page.mouse.move(1, 1)
                self.page.evaluate("() => document.activeElement && document.activeElement.blur()")
                locator.evaluate("(el) => el.scrollIntoView({block: 'center', inline: 'nearest'})")
            attempt += 1
            box = locator.bounding_box()
            x, y = where(box)
            self.page.mouse.move(x, y)
            self.page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")
            if locator.bounding_box() == box and locator.evaluate(
                "(el, [x, y]) => { const top = document.elementFromPoint(x, y); "
                "return !!top && (el === top || el.contains(top)); }",
                [x, y],
            ):
                return x, y
            if time.monotonic() > deadline:
                raise RuntimeError(f"{locator} did not stand still, uncovered, within {timeout_s:.0f} s")


def _centre(box: dict) -> tuple[float, float]:
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
