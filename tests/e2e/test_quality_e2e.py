"""The Pre-label quality section in Chromium: it renders in the light and the dark theme, its effort curve marks the
threshold with the fewest edits, and a click on a class's false positives opens exactly those results below."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import idle, screenshot
from tests.e2e.test_visualize_e2e import TILES, open_street_scenes, showing_count

pytestmark = pytest.mark.e2e

SECTION = ".st-key-quality"  # the expander (key "quality", bound to ?quality=true)
TABLE = f"{SECTION} .ld-qt"  # the per-class table (dashboard/quality_table.py)
EFFORT = ".st-key-quality_effort .js-plotly-plot"
# The effort figure as Plotly drew it: the fewest edits on the curve, and the marked point and its words.
DRAWN_EFFORT = """plot => {
  const edits = plot.data.find(t => t.name === "edits");
  const best = plot.data.find(t => t.name === "best threshold");
  return {fewest: Math.min(...edits.y), best: best ? [best.x[0], best.y[0]] : null,
          points: plot.querySelectorAll(".scatterlayer .trace:last-child path.point").length,
          annotations: [...plot.querySelectorAll(".annotation-text")].map(a => a.textContent)};
}"""


def open_section(page, app_url: str) -> None:
    open_street_scenes(page, app_url, "&quality=true")
    expect(page.locator(TABLE)).to_be_visible()
    expect(page.locator(EFFORT)).to_be_visible()
    idle(page)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_section_renders_and_marks_the_fewest_edits(app_url, browser, scheme):
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, color_scheme=scheme)
    page = context.new_page()
    try:
        open_section(page, app_url)
        headline = page.locator(f"{SECTION} [data-quality]")
        expect(headline.first).to_have_attribute("data-quality", "AP")
        drawn = page.locator(EFFORT).evaluate(DRAWN_EFFORT)
        assert drawn["best"] is not None and drawn["best"][1] == drawn["fewest"], drawn
        assert drawn["points"] == 1, drawn  # the star is drawn, not only listed in the figure's data
        words = f"best threshold {drawn['best'][0]:.3g}: {drawn['fewest']} edits"
        assert words in drawn["annotations"], drawn
        # The page's background follows the theme: dark text on light, or light text on dark.
        background = page.locator("[data-testid='stApp']").evaluate("e => getComputedStyle(e).backgroundColor")
        luminance = sum(map(int, re.findall(r"\d+", background)[:3])) / 3
        assert (luminance < 100) == (scheme == "dark"), background
        page.locator(SECTION).scroll_into_view_if_needed()
        screenshot(page, f"quality-section-{scheme}", full_page=False)
    finally:
        context.close()


def test_a_class_s_false_positives_open_exactly_those_results(app_url, page):
    open_section(page, app_url)
    rows = page.locator(f"{TABLE} tbody tr")
    counts = {
        rows.nth(i).locator("td").first.inner_text(): int(
            rows.nth(i).locator("td[data-column='false_positives'] a").inner_text().replace(",", "")
        )
        for i in range(rows.count())
    }
    label, count = max(counts.items(), key=lambda item: item[1])  # the class with the most false positives
    assert count > 0, counts
    rows.filter(has_text=label).locator("td[data-column='false_positives'] a").click()
    expect(page).to_have_url(re.compile(r"pre_classes=[^&]+&class_changed=true"))
    expect(page.locator(TABLE)).to_have_count(0)  # the section closed: the results are in view
    idle(page)
    assert showing_count(page) == count
    expect(page.locator(TILES)).to_have_count(count)
    # Each tile is a pre-label of the class the expert removed or relabelled: its caption names the change.
    for caption in page.locator(f"{TILES} .ld-caption").all_inner_texts():
        assert caption.startswith(label) or "removed" in caption, caption
    screenshot(page, "quality-false-positives-slice")


def test_the_overview_draws_each_job_s_trend_point(app_url, browser):
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, color_scheme="dark")
    page = context.new_page()
    try:
        page.goto(f"{app_url}/overview")
        trend = page.locator(".st-key-overview_quality_trend .js-plotly-plot")
        expect(trend).to_be_visible()
        idle(page)
        traces = trend.evaluate("plot => plot.data.map(t => [t.name, t.text])")
        # The demo's two READY manual jobs: street-scenes from its auto label job, fruit-stand with its label spec.
        assert sorted(traces) == [
            ["auto label job street-scenes-autolabel", ["street-scenes"]],
            ["label spec fruit-stand", ["fruit-stand"]],
        ], traces
        assert trend.locator(".scatterlayer path.point").count() == 2
        page.get_by_text("Pre-label quality", exact=True).scroll_into_view_if_needed()
        screenshot(page, "quality-overview-dark", full_page=False)
    finally:
        context.close()
