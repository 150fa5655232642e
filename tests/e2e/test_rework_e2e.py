"""The rework loop in Chromium (issue 12's acceptance): three results of street-scenes rejected in the viewer, each
with a reason, sent back for relabelling from the Rejected tab, relabelled in Annotate where each image names why
it was sent back (one box given another class), submitted, and back in the origin's Pending Review with their
history naming the rework job; Activity shows the loop, and the origin's event log still replays to every result's
state."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect
from sqlalchemy import bindparam, text

from bench.load_reconcile import reconcile
from core.jobs.rework import rework_notes
from core.review import decisions as review
from core.store.db import get_engine
from tests.e2e.conftest import _serve, go_in_app, idle, screenshot, settled_canvas
from tests.e2e.test_annotate_e2e import expert_boxes
from tests.e2e.test_visualize_e2e import TILES, images_loaded, open_street_scenes, open_viewer, viewer, viewer_position
from tests.store.test_review_concurrency import _check_replay

pytestmark = pytest.mark.e2e

REWORK = "street-scenes rework e2e"
REASONS = {"1": "wrong class", "2": "box too loose", "3": "box too tight"}  # the viewer's reason keys
SHOWN = re.compile(r"^(\S+\.jpg)\s+result (\d+)", re.M)
EDITOR = "iframe[title*='st-detection'], iframe[title*='detection']"


@pytest.fixture(scope="module")
def rework_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A server of this module's own (it changes the demo's street-scenes), and its store's URL."""
    made = {}

    def prepare(engine) -> None:
        made["url"] = engine.url.render_as_string(hide_password=False)

    for url in _serve(tmp_path_factory, "e2e-rework", prepare=prepare):
        yield url, made["url"]


def tab_count(page, label: str) -> int:
    tab = page.get_by_text(re.compile(rf"^{label} [\d,]+$"))
    expect(tab).to_be_visible()
    return int(tab.inner_text().rsplit(" ", 1)[1].replace(",", ""))


def reject_three_in_the_viewer(page) -> dict[str, tuple[int, str]]:
    """From the viewer at the first result: on three images, one result with an expert box each rejected by its
    reason key then X. Returns {file: (result id, reason)}."""
    dialog = viewer(page)
    rejected: dict[str, tuple[int, str]] = {}
    for key, reason in REASONS.items():
        while True:
            idle(page)
            shown = dialog.inner_text()
            file, result_id = SHOWN.search(shown).groups()
            position, total = viewer_position(page)
            if file not in rejected and "Change kind removed" not in shown.replace("\n", " "):
                break
            page.keyboard.press("ArrowRight")
            expect(dialog.get_by_text(re.compile(rf"^{position + 1:,} of {total:,} shown"))).to_be_visible()
        page.keyboard.press(key)
        expect(dialog.get_by_role("button", name=re.compile(r"Reject \(1 reason\)"))).to_be_visible()
        page.keyboard.press("x")
        moved_on = re.compile(rf"^{position + 1:,} of {total:,} shown · Pending Review")  # to the next result
        expect(dialog.get_by_text(moved_on)).to_be_visible()
        rejected[file] = (int(result_id), reason)
    return rejected


def relabel_one_box(page, db_url: str, job_id: int, sample_id: int) -> str:
    """Click the image's one pre box in the editor and give it another class; returns that class."""
    engine = get_engine(db_url)
    [note] = rework_notes(engine=engine, job_id=job_id, sample_id=sample_id)
    with engine.connect() as conn:
        width = conn.execute(text("SELECT width FROM sample WHERE id = :s"), {"s": sample_id}).scalar_one()
    editor = page.frame_locator(EDITOR).first
    box = settled_canvas(page, editor)  # the image drawn, where it stays after the rerun that loaded it
    scale = box["width"] / width
    x, y, w, h = note.box
    page.mouse.click(box["x"] + (x + w / 2) * scale, box["y"] + (y + h / 2) * scale)
    classes = editor.locator("select").nth(1)
    other = next(o for o in classes.locator("option").all_inner_texts() if o.lower() != note.class_name.lower())
    classes.select_option(label=other)
    return other


def test_rejected_results_go_round_the_rework_loop(rework_app, page):
    url, db_url = rework_app
    engine = get_engine(db_url)

    # Visualize street-scenes: three results rejected in the viewer, each with a reason
    open_street_scenes(page, url)
    origin = int(re.search(r"job=(\d+)", page.url).group(1))
    pending_before = tab_count(page, "Pending Review")
    images_loaded(page)
    open_viewer(page.locator(TILES).first)
    rejected = reject_three_in_the_viewer(page)
    page.keyboard.press("Escape")
    expect(viewer(page)).to_have_count(0)
    expect(page.get_by_text(re.compile(r"^Rejected 3$"))).to_be_visible()
    assert tab_count(page, "Pending Review") == pending_before - 3

    # the Rejected tab: the three sent back for relabelling in a rework job named here
    page.get_by_text(re.compile(r"^Rejected 3$")).click()
    expect(page).to_have_url(re.compile(r"tab=rejected"))
    expect(page.get_by_text(re.compile(r"^Showing: .* · 3 results"))).to_be_visible()
    page.get_by_role("button", name=re.compile(r"Send back 3 shown for relabelling")).click()
    page.get_by_role("textbox", name="Rework job name").fill(REWORK)
    page.get_by_role("button", name="Send back 3 shown", exact=True).click()
    sent = page.get_by_text(re.compile(rf"^Sent 3 results back for relabelling in job #\d+ {REWORK} \(3 images\)"))
    expect(sent).to_be_visible()
    with engine.connect() as conn:
        rework = conn.execute(text("SELECT id FROM labeljob WHERE origin_job_id = :o"), {"o": origin}).scalar_one()
    expect(sent).to_contain_text(f"job #{rework} ")
    expect(page.get_by_role("textbox", name="Rework job name")).to_be_hidden()  # the popover closes by itself
    expect(page.get_by_text(re.compile(r"^Rejected 3$"))).to_be_visible()  # rejected until they come back
    images_loaded(page)
    screenshot(page, "rework-sent", full_page=False)

    # Labeling Jobs → the rework job's Annotate: each image says which result was sent back and why
    go_in_app(page, f"{url}/")  # the later pages in the same session, as the back and forward buttons open them
    card = page.locator("[class*='st-key-job_card_']").filter(has_text=REWORK)
    expect(card).to_contain_text("IN PROGRESS")
    card.get_by_role("button", name="Annotate").click()
    expect(page.get_by_role("heading", name=f"Annotate · {REWORK}")).to_be_visible()
    with engine.connect() as conn:
        samples = dict(conn.execute(text("SELECT file_path, id FROM sample WHERE job_id = :j"), {"j": rework}).all())
    assert set(samples) == set(rejected)
    relabelled = {}
    for done in range(1, 4):
        current = page.get_by_text(re.compile(r"^scene_\d+\.jpg · image \d of 3"))
        expect(current).to_be_visible()
        file = current.inner_text().split(" ")[0]
        notes = page.get_by_test_id("stAlert").filter(has_text=f"Sent back for relabelling from job #{origin}")
        expect(notes).to_contain_text(rejected[file][1])
        if done == 1:  # one box given another class; the others kept as they were
            relabelled[file] = relabel_one_box(page, db_url, rework, samples[file])
            page.wait_for_timeout(300)
            screenshot(page, "rework-annotate")
        page.frame_locator(EDITOR).first.get_by_role("button", name="Complete").click()
        expect(page.get_by_text(re.compile(rf"^{done} of 3 images done · {done} labelled"))).to_be_visible()
        idle(page)  # the page below the progress line shows the next image (the caption of the last one is gone)
    assert expert_boxes(db_url, rework) == dict.fromkeys(rejected, 1)
    page.get_by_role("button", name="Submit job", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/visualize\?job={rework}"))
    expect(page.get_by_text("Expert Review Stats")).to_be_visible()

    # back in the origin: the rejected three replaced by new Pending Review results, which name the rework job
    back = review.list_events(engine=engine, job_id=origin, limit=1)[0]
    assert back.rework_job_id == rework
    sent_back = {result_id for result_id, _ in rejected.values()}
    new = sorted(set(back.result_ids) - sent_back)
    assert sent_back <= set(back.result_ids) and len(new) == 3
    pending_after = pending_before - 3 + len(new)
    go_in_app(page, f"{url}/visualize?job={origin}")
    expect(page.get_by_text(re.compile(rf"^Pending Review {pending_after:,}$"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Rejected 0$"))).to_be_visible()
    images_loaded(page)
    screenshot(page, "rework-back", full_page=False)
    with engine.connect() as conn:
        came_back = {
            file: (result_id, name)
            for result_id, file, name in conn.execute(
                text(
                    "SELECT r.id, s.file_path, c.name FROM result r JOIN sample s ON s.id = r.sample_id "
                    "JOIN labelclass c ON c.id = r.expert_class_id WHERE r.id IN :ids"
                ).bindparams(bindparam("ids", expanding=True)),
                {"ids": new},
            )
        }
    assert set(came_back) == set(rejected)
    [(file, other)] = relabelled.items()
    new_result, new_class = came_back[file]
    assert new_class.lower() == other.lower()
    go_in_app(page, f"{url}/visualize?job={origin}&result={new_result}")
    dialog = viewer(page)
    expect(dialog.locator(".js-plotly-plot")).to_be_visible()
    expect(dialog).to_contain_text(re.compile(rf"of {pending_after:,} shown · Pending Review"))
    expect(dialog).to_contain_text(f"Pending Review → Pending Review · “relabelled in rework job #{rework} {REWORK}”")
    expect(dialog).to_contain_text(f"Expert Review Class {other}")
    idle(page)
    page.wait_for_timeout(300)  # the canvas draws its image after the layout settles
    screenshot(page, "rework-history", full_page=False)

    # Activity: three rejections, the sending back and the bringing back, both linked to the rework job
    go_in_app(page, f"{url}/activity?job={origin}")
    expect(page.get_by_text(f"5 of 5 events · {3 + 3 + len(back.result_ids):,} decisions")).to_be_visible()
    cells = page.locator("[data-testid='stDataFrame'] td")  # the grid's accessible copy of its canvas
    expect(cells.filter(has_text=re.compile(rf"^job #{rework}$"))).to_have_count(2)  # the rework column
    loop = (f"sent back for relabelling in job #{rework} {REWORK}", f"relabelled in rework job #{rework} {REWORK}")
    for reason in (*loop, *REASONS.values()):
        expect(cells.filter(has_text=re.compile(rf"^{re.escape(reason)}$"))).to_have_count(1)
    page.wait_for_timeout(300)
    screenshot(page, "rework-activity", full_page=False)

    # the event log still replays exactly to every result's state
    _check_replay(engine, origin)
    check = reconcile(engine, origin)
    assert check.ok and check.events == 5, check.problems
