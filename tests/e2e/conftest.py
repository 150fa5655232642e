"""A real LabelDeck server on a free port over a small demo store, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from core.auth import users
from core.auth.access import operator
from core.demo.seed import seed_demo
from core.store.db import get_engine
from tests.conftest import copy_demo_folder, copy_sqlite_store
from tests.e2e.served import SERVED_STORES

# A busy 2-core CI machine runs the server, Chromium and the tests at once: an assertion waits up to 15 s for the
# page to show what it expects (it returns as soon as it does).
expect.set_options(timeout=15_000)

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_up(url: str, server: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"streamlit exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"LabelDeck did not come up at {url} within {timeout:.0f} s")


_DEMO_TEMPLATE: list[Path] = []  # this process's (xdist worker's) seeded demo: its data folder, never written to


def _copy_demo(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> None:
    """data_dir becomes a copy of the e2e demo (24 detection and 16 classification images), seeded the first time
    this worker serves one: the same rows and ids, and the images under data_dir, where the jobs' relative image
    roots find them. Seeding draws and imports every image (~1.5 CPU-s); a copy takes milliseconds."""
    if not _DEMO_TEMPLATE:
        folder = tmp_path_factory.mktemp("e2e-demo-template") / "data"
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("LABELDECK_DATA_DIR", str(folder))
            seed_demo(
                engine=get_engine(f"sqlite:///{folder / 'labeldeck.db'}"), detection_images=24, classification_images=16
            )
        _DEMO_TEMPLATE.append(folder)
    template = _DEMO_TEMPLATE[0]
    copy_demo_folder(template, data_dir)
    copy_sqlite_store(f"sqlite:///{template / 'labeldeck.db'}", f"sqlite:///{data_dir / 'labeldeck.db'}")


def _serve(
    tmp_path_factory: pytest.TempPathFactory, name: str, prepare=None, settings: dict[str, str] | None = None
) -> Iterator[str]:
    """A LabelDeck server over a fresh small demo store of its own; `prepare(engine)` adds to the store first;
    `settings`: more LABELDECK_* environment (sign-in mode and roles). Without them: LABELDECK_AUTH=none."""
    data_dir = tmp_path_factory.mktemp(name) / "data"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("LABELDECK_")},
        "LABELDECK_DATA_DIR": str(data_dir),
        "LABELDECK_DATABASE_URL": f"sqlite:///{data_dir / 'labeldeck.db'}",
        **(settings or {}),
    }
    _copy_demo(tmp_path_factory, data_dir)
    if prepare is not None:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("LABELDECK_DATA_DIR", str(data_dir))
            prepare(get_engine(env["LABELDECK_DATABASE_URL"]))
    port = _free_port()
    SERVED_STORES[f"http://127.0.0.1:{port}"] = env["LABELDECK_DATABASE_URL"]
    log = (data_dir.parent / "streamlit.log").open("w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "dashboard/server.py",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, server)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()


@pytest.fixture(scope="session")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Shared by the read-only tests."""
    yield from _serve(tmp_path_factory, "e2e")


@pytest.fixture(scope="module")
def writable_app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """For a module whose tests review results: its own store, so the read-only tests see the demo as seeded."""
    yield from _serve(tmp_path_factory, "e2e-writable")


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium (make test does, as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def browser_context(browser):
    """One browser context for a module's tests, whose server is one: the app's scripts are fetched and compiled
    once, not at each test (~0.7 s of Chromium's CPU a test)."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    yield context
    context.close()


@pytest.fixture(scope="module")
def _module_tab(browser_context) -> Iterator[list]:
    tabs = [browser_context.new_page()]
    yield tabs
    tabs[0].close()


@pytest.fixture
def page(_module_tab, browser_context):
    """The module's one tab, blank: a test's first page.goto loads the app anew, so a new session of it. What the
    test leaves in the browser goes when it ends: its page, cookies and storage (the theme a viewer picked). One tab,
    not a new one a test: a new tab starts a renderer process and compiles the app's scripts again, ~1.3 CPU-s of
    Chromium a test on this machine (6 loads: 17.5 CPU-s in new tabs, 9.8 in one)."""
    ARTIFACTS.mkdir(exist_ok=True)
    if _module_tab[0].is_closed():  # a test closed it, or its renderer crashed
        _module_tab[0] = browser_context.new_page()
    tab = _module_tab[0]
    tab.set_default_timeout(30_000)
    yield tab
    if not tab.is_closed():
        if tab.url.startswith("http"):
            tab.evaluate("() => { localStorage.clear(); sessionStorage.clear(); }")
        tab.goto("about:blank")
    browser_context.clear_cookies()


PASSWORD = "correct horse battery"  # every e2e account's


def add_accounts(engine, **roles: str) -> None:
    """Accounts name=role, each with PASSWORD, for a server in LABELDECK_AUTH=password."""
    for name, role in roles.items():
        users.add_user(engine=engine, name=name, role=role, password=PASSWORD, actor=operator("e2e"))


def sign_in(page, url: str, name: str, password: str = PASSWORD) -> None:
    """Through the sign-in form, as a person does; lands on `url`."""
    page.goto(url)
    form = page.get_by_test_id("stForm")
    form.get_by_role("textbox", name="User name").fill(name)
    form.get_by_label("Password", exact=True).fill(password)
    form.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text(re.compile(rf"{re.escape(name)} · (viewer|reviewer|admin)"))).to_be_visible()


def screenshot(page, name: str, *, full_page: bool = True) -> Path:
    """full_page=False: what the viewport shows (a dialog, or what is in view without scrolling)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


# The navigation sits in the top bar: a page of a section is a link in that section's menu.
SECTIONS = {
    "Visualize": "Review",
    "Catalog": "Review",
    "ResultSets": "Review",
    "Activity": "Review",
    "Annotate": "Label",
    "New manual label job": "Label",
    "Import finished job": "Label",
    "Label specs": "Label",
    "Users": "Admin",
}


def nav_links(page, name: str):
    """The top bar's links named `name` (none when the user's role is not offered that page). A section's menu is
    opened first; a rerun of the page (after a sign-in, say) closes it, so it is opened again if need be."""
    section = SECTIONS.get(name)
    if section is None:
        return page.get_by_test_id("stTopNavLink").filter(has_text=name)
    sections = page.get_by_test_id("stTopNavSection").filter(has_text=section)
    links = page.get_by_test_id("stTopNavPopover").locator("a").filter(has_text=name)
    idle(page)  # the top bar is drawn when the script has run: count its sections only then
    if not sections.count():
        return links
    for _ in range(3):
        if page.get_by_test_id("stTopNavPopover").count():  # another menu (or this one) is open: a click toggles
            close_nav_menu(page)
        sections.first.click()
        try:
            expect(page.get_by_test_id("stTopNavPopover")).to_be_visible(timeout=5_000)
            return links
        except AssertionError:
            continue
    raise AssertionError(f"the {section} menu did not open")


def close_nav_menu(page) -> None:
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("stTopNavPopover")).to_have_count(0)


IDLE = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return app && app.getAttribute('data-test-script-state') === 'notRunning'
    && !document.querySelector('[data-stale="true"], [data-testid="stSkeleton"]');
}"""


def idle(page) -> None:
    """Wait until the script is not running and no element is left over from the run before (a stale copy of a
    button would make a locator see two)."""
    page.wait_for_function(IDLE)


# history.pushState, then the popstate event the browser's back and forward buttons fire: Streamlit runs the page
# the URL names, with its query, in the same session. The observer tells when that run is over: it saw the script
# state turn to running (then idle means done), or, for a run so quick that the browser rendered its start and end
# at once, it saw the page change and then stay quiet for half a second.
_GO_IN_APP = """url => {
  const app = document.querySelector('[data-testid="stApp"]');
  const nav = window.__ldNav = { running: false, changed: false, last: performance.now() };
  nav.watch = new MutationObserver(() => {
    nav.changed = true;
    nav.last = performance.now();
    if (app.getAttribute('data-test-script-state') === 'running') nav.running = true;
  });
  nav.watch.observe(app, { attributes: true, childList: true, subtree: true, characterData: true });
  history.pushState(null, '', url);
  dispatchEvent(new PopStateEvent('popstate'));
}"""
_RUN_OVER = f"""() => {{
  const nav = window.__ldNav;
  return (nav.running || (nav.changed && performance.now() - nav.last > 500)) && ({IDLE})();
}}"""


def go_in_app(page, url: str) -> None:
    """Open `url` (a page of the app and its query) in the loaded app, as the back and forward buttons do, and wait
    for its run to end: the app's JavaScript is not loaded and started again, which costs Chromium about 0.6 CPU-s a
    visit on this machine. A test that needs a new session uses page.goto."""
    page.evaluate(_GO_IN_APP, url)
    try:
        page.wait_for_function(_RUN_OVER)
    finally:
        page.evaluate("() => window.__ldNav.watch.disconnect()")


# Two animation frames of the component's iframe, then the canvas's box: what a read taken after a layout pass is.
_AFTER_TWO_FRAMES = """c => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(() => {
  const r = c.getBoundingClientRect();
  done([r.x, r.y, r.width, r.height]);
})))"""
# The image layer (Konva's first canvas) has the image drawn: its centre pixel is painted.
_IMAGE_DRAWN = """c => c.width > 0 && c.height > 0
  && c.getContext('2d').getImageData(Math.floor(c.width / 2), Math.floor(c.height / 2), 1, 1).data[3] > 0"""


def settled_canvas(page, editor, timeout_s: float = 15) -> dict:
    """The box editor's drawing canvas (streamlit-image-annotation: a Konva stage, the image on its first layer, the
    boxes on the last) once it shows its image where it stays: the script idle, the image drawn, and the canvas at
    the same place and size in the page on two reads two animation frames apart (the iframe is resized to the image
    after it loads). Returns its bounding box in page coordinates, for mouse actions."""
    canvases = editor.locator("canvas")
    expect(canvases.last).to_be_visible()
    deadline = time.monotonic() + timeout_s
    seen = None
    while True:
        idle(page)
        drawn = canvases.first.evaluate(_IMAGE_DRAWN)
        inside = canvases.last.evaluate(_AFTER_TWO_FRAMES)
        box = canvases.last.bounding_box()
        now = (inside, box)
        if drawn and box and box["width"] > 0 and now == seen:
            return box
        if time.monotonic() > deadline:
            raise AssertionError(
                f"the editor's canvas did not settle within {timeout_s:.0f} s: drawn={drawn}, box={box}, before={seen}"
            )
        seen = now
