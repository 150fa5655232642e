"""The review flow in Chromium: sign in as a reviewer, accept a slice, save the accepted results as a ResultSet and
download its COCO file with the partially reviewed images included, which holds exactly the accepted results."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import _serve, add_accounts, idle, screenshot
from tests.e2e.test_visualize_e2e import open_street_scenes, showing_count

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def review_app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Reviewers sign in with a password here, as on an internal URL. (The browser over PostgreSQL is
    test_replicas_e2e's; these flows over PostgreSQL are the page tests' and the store tests'.)"""
    yield from _serve(
        tmp_path_factory,
        "e2e-review",
        settings={"LABELDECK_AUTH": "password"},
        prepare=lambda engine: add_accounts(engine, dana="reviewer"),
    )


def test_accept_a_slice_save_a_resultset_and_download_coco(review_app_url, page, tmp_path):
    # A shared deep link: the sign-in form comes first, then the page the link names.
    open_street_scenes(page, review_app_url, "&slice=class_row:car&slice=class_changed:false", user="dana")
    expect(page.get_by_text(re.compile(r"Showing: Car · Class Changed = False"))).to_be_visible()
    slice_size = showing_count(page)

    accept = page.get_by_role("button", name=f"Accept {slice_size:,}")
    expect(accept).to_be_enabled()
    accept.click()
    expect(page.get_by_text(f"Accepted {slice_size:,} result")).to_be_visible()
    expect(page.get_by_text("No results match this tab, these filters and this slice.")).to_be_visible()
    screenshot(page, "review-accepted-slice")

    page.get_by_text(re.compile(r"^Accepted [\d,]+$")).click()
    expect(page).to_have_url(re.compile(r"tab=accepted"))
    # the slice's accepted results, once the rerun after the tab click has drawn them
    expect(
        page.get_by_text(re.compile(rf"Showing: Car · Class Changed = False · {slice_size:,} results"))
    ).to_be_visible()
    page.get_by_role("button", name=re.compile(r"accepted results of the job as a ResultSet")).click()
    page.get_by_label("Name").fill("cars kept")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text(f"Saved ResultSet 'cars kept': {slice_size:,} accepted results.")).to_be_visible()
    page.get_by_role("link", name="Open ResultSets").click()

    expect(page.get_by_role("heading", name="cars kept")).to_be_visible()
    screenshot(page, "resultsets-page")
    # the cars' images hold other objects still pending: partial images, left out unless included
    expect(
        page.get_by_text(re.compile(r"^Exports hold [\d,]+ complete images; [\d,]+ images? still ha"))
    ).to_be_visible()
    page.get_by_text("Include partially reviewed images").click()
    expect(page.get_by_role("checkbox", name="Include partially reviewed images")).to_be_checked()
    idle(page)  # the rerun that rebuilds the download buttons with the partial images is over
    with page.expect_download() as download_info:
        page.get_by_role("button", name="COCO JSON").click()
    path = tmp_path / "coco.json"
    download_info.value.save_as(path)
    coco = json.loads(path.read_text())
    assert len(coco["annotations"]) == slice_size
    names = {c["id"]: c["name"] for c in coco["categories"]}
    assert {names[a["category_id"]] for a in coco["annotations"]} == {"car"}

    page.get_by_test_id("stMainBlockContainer").get_by_role("link", name="Activity").click()
    expect(page.get_by_role("heading", name=re.compile("Activity"))).to_be_visible()
    expect(page.locator("[data-testid='stDataFrame']")).to_be_visible()
    expect(page.get_by_text(f"1 of 1 event · {slice_size:,} decisions")).to_be_visible()
    page.wait_for_timeout(500)
    screenshot(page, "activity-page")


IMAGE_COUNTS = re.compile(r"Images: ([\d,]+) complete · ([\d,]+) partial · ([\d,]+) untouched")


def image_counts(page, tab: str) -> tuple[int, int, int]:
    """The grid's 'Images: N complete · M partial · K untouched' on `tab`, grouped by image; zeros when it is empty."""
    expect(page.get_by_text(f"{tab} tab", exact=True)).to_be_visible()
    idle(page)  # not the caption of the tab before, left over from the last run
    caption = page.get_by_text(IMAGE_COUNTS)
    empty = page.get_by_text("No results match this tab")
    expect(caption.or_(empty)).to_be_visible()
    if not caption.is_visible():
        return 0, 0, 0
    complete, partial, untouched = IMAGE_COUNTS.search(caption.inner_text()).groups()
    return int(complete.replace(",", "")), int(partial.replace(",", "")), int(untouched.replace(",", ""))


def test_grouped_by_image_a_picked_image_is_accepted_whole_and_counts_as_complete(review_app_url, page):
    """Issue 12: reviewing by image makes complete images. Nobody rejects in this module, so an image whose every
    result is accepted is complete, whatever the other tests of the module accepted before."""
    open_street_scenes(page, review_app_url, "&group_by=image", user="dana")
    pending_before = image_counts(page, "Pending Review")
    page.get_by_text(re.compile(r"^Accepted [\d,]+$")).click()
    expect(page).to_have_url(re.compile(r"tab=accepted"))
    accepted_before = image_counts(page, "Accepted")
    page.get_by_text(re.compile(r"^Pending Review [\d,]+$")).click()
    expect(page).not_to_have_url(re.compile(r"tab=accepted"))  # the default tab leaves the URL
    expect(page.get_by_text(IMAGE_COUNTS)).to_have_text(re.compile(rf"· {pending_before[2]:,} untouched"))
    assert pending_before[0] == 0 and sum(pending_before) > 0  # a pending tab holds no complete image

    idle(page)  # a pick made while the tab's run still draws the grid is drawn over by it
    page.locator(".ld-pick").first.check()
    accept = page.get_by_role("button", name=re.compile(r"^Accept [\d,]+ picked$"))
    expect(accept).to_be_visible()
    accept.click()
    expect(page.get_by_text(re.compile(r"^Accepted [\d,]+ results?"))).to_be_visible()
    fewer = re.compile(r"Images: ([\d,]+) complete · ([\d,]+) partial · ([\d,]+) untouched")
    page.wait_for_function(
        """([pattern, total]) => [...document.querySelectorAll("p, span, div")].some(e => {
        const m = e.textContent.match(new RegExp(pattern));
        return m && m.slice(1).reduce((s, n) => s + Number(n.replaceAll(",", "")), 0) === total; })""",
        arg=[fewer.pattern, sum(pending_before) - 1],
    )
    assert sum(image_counts(page, "Pending Review")) == sum(pending_before) - 1  # its every result left Pending Review
    screenshot(page, "review-by-image-counts")

    page.get_by_text(re.compile(r"^Accepted [\d,]+$")).click()
    expect(page).to_have_url(re.compile(r"tab=accepted"))
    expect(page.get_by_text(IMAGE_COUNTS)).to_be_visible()
    complete, partial, untouched = image_counts(page, "Accepted")
    assert complete == accepted_before[0] + 1 and untouched == 0
    assert complete + partial - sum(accepted_before) in (0, 1)  # new to the tab, or partial there before
