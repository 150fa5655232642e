"""Every page in Chromium over a store whose names, notes, reasons and user names are hostile
(tests/hostile_builders.py, issue 11), and with a link whose query value is a phishing link: no request leaves for
another host, no link or image on the page names the outside host (in the document, in open shadow roots and in the
components' iframes), no script runs, and the hostile texts are there to read, as written."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlencode, urlsplit

import pytest
from playwright.sync_api import expect

from core.settings import get_settings
from dashboard.text import WORD_JOINER
from tests import hostile_builders as hostile
from tests.e2e.conftest import _serve, go_in_app, idle, screenshot

pytestmark = pytest.mark.e2e

PHISH = f"x [**Your session expired: sign in again here**](http://{hostile.EVIL_HOST}/phish)"

# Every attribute through which an element fetches or links to a URL, read in the document, in each open shadow root
# and (run per frame) in the components' iframes.
OUTSIDE_REFERENCES = """host => {
  const found = [];
  const names = ["href", "xlink:href", "src", "srcset", "action", "formaction", "poster", "data", "style"];
  const visit = root => {
    for (const el of root.querySelectorAll("*")) {
      for (const name of names) {
        const value = el.getAttribute(name);
        if (value && value.includes(host)) found.push(`<${el.tagName.toLowerCase()} ${name}="${value}">`);
      }
      if (el.shadowRoot) visit(el.shadowRoot);
    }
  };
  visit(document);
  return found;
}"""


@pytest.fixture(scope="module")
def hostile_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, hostile.HostileStore]]:
    """A server over the demo store and the hostile jobs, accounts and reviews beside it."""
    seeded: dict[str, hostile.HostileStore] = {}

    def prepare(engine) -> None:
        seeded["store"] = hostile.seed_hostile(engine, get_settings().data_dir / "hostile")

    for url in _serve(tmp_path_factory, "e2e-hostile", prepare=prepare):
        yield url, seeded["store"]


@pytest.fixture
def page(browser_context):
    """A tab of its own for each test here: Watch listens to the tab's every request and dialog for the test."""
    tab = browser_context.new_page()
    tab.set_default_timeout(30_000)
    yield tab
    tab.close()
    browser_context.clear_cookies()


def visits(store: hostile.HostileStore) -> list[tuple[str, str, dict[str, str], list[str]]]:
    """(screenshot name, page path, query params, texts the page shows) for every page."""
    job, manual, auto = str(store.job), str(store.manual_job), str(store.auto_job)
    return [
        (
            "jobs",
            "",
            {},
            [hostile.JOB, hostile.AUTO_JOB, hostile.MANUAL_JOB, hostile.FAILURE, hostile.CAT, hostile.ADMIN.name],
        ),
        ("overview", "overview", {}, []),  # tables (a canvas) and charts only: checked as SVG text below
        ("visualize", "visualize", {"job": job, "page": PHISH}, [hostile.JOB, f"ignored page={PHISH!r}"]),
        ("visualize-charts", "visualize", {"job": job, "view": "charts"}, [hostile.JOB]),
        (
            "visualize-viewer",
            "visualize",
            {"job": job, "tab": "rejected", "result": str(store.rejected_result)},
            [hostile.HOSTILE_FILE, hostile.REVIEWER.name, hostile.REASON],
        ),
        ("catalog", "catalog", {"job": job}, [hostile.JOB, hostile.HOSTILE_FILE]),
        ("catalog-in-progress", "catalog", {"job": manual}, [hostile.MANUAL_JOB, hostile.HOSTILE_FILE]),
        ("catalog-auto", "catalog", {"job": auto}, [hostile.AUTO_JOB, hostile.HOSTILE_FILE]),
        ("resultsets", "resultsets", {"job": job}, [hostile.RESULTSET, hostile.NOTE, hostile.REVIEWER.name]),
        ("activity", "activity", {"job": job, "reviewer": hostile.REVIEWER.name}, [hostile.JOB, hostile.REVIEWER.name]),
        (
            "annotate",
            "annotate",
            {"job": manual, "sample": str(store.labelled_sample)},
            [hostile.MANUAL_JOB, hostile.HOSTILE_FILE, hostile.EXPERT.name],
        ),
        ("annotate-link", "annotate", {"job": manual, "sample": PHISH}, [f"ignored sample={PHISH!r}"]),
        ("new-job", "new_job", {"from_auto": auto}, []),  # the select box's value: checked below
        ("specs", "specs", {}, [hostile.SPEC, hostile.SPEC_DISPLAY]),
        ("users", "users", {}, []),  # a table (a canvas) and a select box: its dialog is checked below
    ]


class Watch:
    """What the page asks of the network and whether a script of the data ran: every request to a host other than
    the app's is recorded and refused, every alert recorded."""

    def __init__(self, page, url: str) -> None:
        self.app_host = urlsplit(url).hostname
        self.outside: list[str] = []
        self.dialogs: list[str] = []
        page.on("request", lambda request: self._request(request.url))
        page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))
        page.route(self._is_outside, lambda route: route.abort())

    def _is_outside(self, url: str) -> bool:
        parts = urlsplit(url)
        return parts.scheme not in ("data", "blob", "about") and parts.hostname != self.app_host

    def _request(self, url: str) -> None:
        if self._is_outside(url):
            self.outside.append(url)


def as_shown(text: str) -> re.Pattern:
    """`text` as the page shows it: in Markdown, an invisible word joiner before each web address keeps it text."""
    return re.compile(re.escape(text).replace("http", f"{WORD_JOINER}?http"))


def outside_references(page) -> list[str]:
    return [found for frame in page.frames for found in frame.evaluate(OUTSIDE_REFERENCES, hostile.EVIL_HOST)]


def test_every_page_shows_hostile_text_as_text_and_reaches_no_other_host(hostile_app, page):
    url, store = hostile_app
    watch = Watch(page, url)
    references = {}
    for index, (name, path, params, texts) in enumerate(visits(store)):
        target = f"{url}/{path}" + (f"?{urlencode(params)}" if params else "")
        if index == 0:
            page.goto(target)
            idle(page)
        else:  # the next page in the same session, as the back and forward buttons open it
            go_in_app(page, target)
        for text in texts:
            # Visible copies only: a data grid keeps a hidden accessible copy of its cells, earlier in the page.
            expect(page.get_by_text(as_shown(text)).filter(visible=True).first, f"{name}: {text}").to_be_visible()
        if name == "new-job":
            auto_job = page.get_by_role("combobox", name="Auto label job")
            expect(auto_job).to_have_value(re.compile(re.escape(hostile.AUTO_JOB)))
        if name == "overview":
            for text in (hostile.DOG, hostile.REASON):  # class and reason names on the charts' axes
                expect(page.locator(".js-plotly-plot").filter(has_text=text).first, text).to_be_visible()
        page.wait_for_timeout(300)  # images and charts settle
        screenshot(page, f"hostile-{name}")
        references[name] = outside_references(page)
    assert {name: found for name, found in references.items() if found} == {}
    assert watch.outside == [] and watch.dialogs == []


def test_a_dialog_names_a_hostile_account_as_text(hostile_app, page):
    url, _ = hostile_app
    watch = Watch(page, url)
    page.goto(f"{url}/users")
    idle(page)
    page.get_by_role("combobox", name="Account").click()
    page.get_by_role("option", name=hostile.ACCOUNT).click()
    idle(page)
    page.get_by_role("button", name="Remove account").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text(as_shown(f"Remove {hostile.ACCOUNT}?"))).to_be_visible()
    page.wait_for_timeout(500)  # the dialog settles
    screenshot(page, "hostile-users-remove", full_page=False)
    assert outside_references(page) == [] and watch.outside == [] and watch.dialogs == []
