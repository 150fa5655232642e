"""The Visualize page in Chromium: a deep link renders stats, charts and the grid; a Class Changed cell selects a
slice; a tile opens the detail panel."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot, sign_in

pytestmark = pytest.mark.e2e

SHOWING = re.compile(r"Showing: .* · ([\d,]+) results")


def showing_count(page) -> int:
    text = page.get_by_text(SHOWING).inner_text()
    return int(SHOWING.search(text).group(1).replace(",", ""))


def open_street_scenes(page, app_url: str, query: str = "", *, user: str | None = None) -> None:
    """Visualize of the demo's street scenes, from its card; `query` opened as a link (a new session), signed in
    there as `user` when the server asks for a password."""
    page.goto(app_url)
    if user is not None:
        sign_in(page, app_url, user)
    street = page.locator("[class*='st-key-job_card_']").filter(has_text="M-LA-OD").filter(has_text="READY")
    street.get_by_role("button", name="Visualize").click()
    expect(page).to_have_url(re.compile(r"/visualize\?job=\d+"))
    if query:
        link = page.url + query
        if user is not None:
            sign_in(page, link, user)
        else:
            page.goto(link)
    expect(page.get_by_text("Expert Review Stats")).to_be_visible()


def test_deep_link_renders_stats_charts_and_grid(app_url, page):
    open_street_scenes(page, app_url, "&class_changed=true")
    expect(page.get_by_text("Class Changed = True")).to_be_visible()
    expect(page.locator(".js-plotly-plot")).to_have_count(3)  # confusion matrix and two histograms
    expect(page.locator("[class*='st-key-tile_'] img").first).to_be_visible()
    total = showing_count(page)
    assert total > 0
    assert page.locator("[class*='st-key-tile_']").count() == min(total, 24)
    # the link reproduces the view: the sidebar shows the applied Class Changed condition
    expect(page.get_by_role("radio", name="True")).to_be_checked()
    screenshot(page, "visualize-deep-link")


def test_a_class_changed_cell_selects_its_slice(app_url, page):
    open_street_scenes(page, app_url)
    before = showing_count(page)
    grid = page.locator("[data-testid='stDataFrame']").first
    expect(grid).to_be_visible()
    page.wait_for_timeout(500)
    box = grid.bounding_box()
    # first data row (header ~35 px, rows ~35 px), in the "True" column (second of four)
    grid.click(position={"x": box["width"] * 0.55, "y": 35 + 17})
    expect(page).to_have_url(re.compile(r"slice=class_row"))
    expect(page.get_by_text(re.compile(r"Showing: .*Class Changed = True"))).to_be_visible()
    after = showing_count(page)
    assert 0 < after < before
    screenshot(page, "visualize-slice")


def test_a_tile_opens_the_detail_panel(app_url, page):
    open_street_scenes(page, app_url)
    page.locator("[class*='st-key-tile_']").first.get_by_role("button", name="Details").click()
    panel = page.locator(".st-key-detail_panel")
    expect(panel).to_be_visible()
    expect(panel.locator("img")).to_be_visible()
    expect(panel).to_contain_text("Expert Review Class")
    expect(panel).to_contain_text("Review history")
    expect(page).to_have_url(re.compile(r"result=\d+"))
    screenshot(page, "visualize-detail-panel")
    panel.locator(".st-key-close_detail button").first.click()
    expect(panel).to_have_count(0)


def test_box_selecting_a_histogram_range_sets_the_area_filter(app_url, page):
    open_street_scenes(page, app_url)
    before = showing_count(page)
    chart = page.locator(".js-plotly-plot").nth(1)  # Expert Review Area (the confusion matrix comes first)
    expect(chart).to_contain_text("Expert Review Area")
    plot = chart.locator(".nsewdrag").first
    box = plot.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.3)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.7, steps=8)
    page.mouse.up()
    expect(page).to_have_url(re.compile(r"area_min=[\d.]+.*area_max=[\d.]+|area_max=[\d.]+.*area_min=[\d.]+"))
    expect(page.get_by_text(re.compile(r"Showing: .*Expert Review Area"))).to_be_visible()
    assert 0 < showing_count(page) < before
    screenshot(page, "visualize-area-range")


def test_a_tab_click_is_kept_in_the_url_by_name(app_url, page):
    open_street_scenes(page, app_url)
    page.get_by_text(re.compile(r"^Accepted \d+$")).click()
    expect(page).to_have_url(re.compile(r"tab=accepted"))
    expect(page.get_by_text("No results match this tab, these filters and this slice.")).to_be_visible()
    page.reload()
    expect(page.get_by_text("No results match this tab, these filters and this slice.")).to_be_visible()
