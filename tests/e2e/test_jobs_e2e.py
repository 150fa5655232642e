"""The Labeling Jobs page in Chromium: cards render, Visualize lands on the job's page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.e2e


def test_cards_render_and_visualize_lands_on_the_job(app_url, page):
    page.goto(app_url)
    expect(page.get_by_role("heading", name="Labeling Jobs")).to_be_visible()
    cards = page.locator("[class*='st-key-job_card_']")
    expect(cards).to_have_count(5)
    street = cards.filter(has_text="M-LA-OD").filter(has_text="READY")
    refining = cards.filter(has_text="IN PROGRESS")  # the demo job an expert is a quarter of the way through
    expect(refining.get_by_role("button", name="Annotate")).to_be_enabled()
    expect(street).to_contain_text("READY")
    expect(street).to_contain_text("results")
    processing = cards.filter(has_text="PROCESSING")
    expect(processing.get_by_role("button", name="Visualize")).to_be_disabled()
    expect(page.get_by_role("button", name="Import finished job")).to_be_visible()  # the demo user is an admin
    expect(page.get_by_role("button", name="New manual label job")).to_be_visible()
    screenshot(page, "jobs-page")

    street.get_by_role("button", name="Visualize").click()
    expect(page).to_have_url(re.compile(r"/visualize\?job=\d+$"))
    expect(page.get_by_role("heading", name="Visualize · street-scenes")).to_be_visible()
    expect(page.get_by_text("Expert Review Stats")).to_be_visible()
    expect(page.locator(".ld-cct")).to_be_visible()  # the Class Changed table
    page.wait_for_timeout(500)  # the data grid paints its canvas after it is attached
    screenshot(page, "visualize-street-scenes")


def test_dark_theme_renders_the_cards(app_url, browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, color_scheme="dark")
    page = context.new_page()
    page.goto(app_url)
    expect(page.locator("[class*='st-key-job_card_']")).to_have_count(5)
    expect(page.get_by_text("6 of 24 images labelled or skipped")).to_be_visible()  # the cards are drawn whole
    screenshot(page, "jobs-page-dark")
    context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_overview_renders_its_figures(app_url, browser, scheme):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, color_scheme=scheme)
    page = context.new_page()
    page.goto(f"{app_url}/overview")
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    expect(page.get_by_text("Jobs READY")).to_be_visible()
    expect(page.locator(".js-plotly-plot").first).to_be_visible()
    page.wait_for_timeout(800)  # plotly and the data grids paint after they are attached
    screenshot(page, f"overview-{scheme}")
    context.close()
