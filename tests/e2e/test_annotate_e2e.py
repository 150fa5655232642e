"""Annotating in Chromium with streamlit-image-annotation: Complete saves the expert label, a box drawn in the
component's iframe is saved, and a submitted job opens on Visualize with the Class Changed counts of what was done."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, text

from core.jobs import expert_labels
from core.jobs import manual as manual_jobs
from core.store.db import get_engine
from tests.builders import as_admin, as_reviewer
from tests.e2e.conftest import _serve, idle, screenshot, settled_canvas

pytestmark = pytest.mark.e2e

JOB = "street-refine"


@pytest.fixture(scope="module")
def annotate_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A server whose store has a manual job made from the demo auto label job's predictions."""
    made = {}

    def prepare(engine) -> None:
        job = manual_jobs.create_manual_job(engine=engine, name=JOB, pre_labels=("auto_job", 1), actor=as_admin("e2e"))
        made["job"], made["url"] = job.id, engine.url.render_as_string(hide_password=False)

    for url in _serve(tmp_path_factory, "e2e-annotate", prepare=prepare):
        yield url, made["url"], made["job"]


def expert_boxes(db_url: str, job_id: int) -> dict[str, int]:
    with create_engine(db_url).connect() as conn:
        rows = conn.execute(
            text(
                "SELECT s.file_path, COUNT(a.id) FROM sample s LEFT JOIN annotation a ON a.sample_id = s.id "
                "AND a.source = 'expert' WHERE s.job_id = :j AND s.label_status = 'labelled' GROUP BY s.file_path"
            ),
            {"j": job_id},
        ).all()
    return dict(rows)


def pre_boxes(db_url: str, job_id: int, file_path: str) -> int:
    with create_engine(db_url).connect() as conn:
        return conn.execute(
            text(
                "SELECT COUNT(a.id) FROM annotation a JOIN sample s ON s.id = a.sample_id WHERE s.job_id = :j "
                "AND s.file_path = :f AND a.source = 'pre'"
            ),
            {"j": job_id, "f": file_path},
        ).scalar_one()


def test_complete_saves_and_a_drawn_box_is_kept(annotate_app, page):
    url, db_url, job_id = annotate_app
    # the editor's image comes by a signed URL from the app's own image route (dashboard/image_route.py)
    with page.expect_response(lambda r: "/labeldeck/images/editor/" in r.url) as image:
        page.goto(f"{url}/annotate?job={job_id}")
    assert image.value.status == 200 and image.value.headers["content-type"] == "image/jpeg"
    expect(page.get_by_role("heading", name=f"Annotate · {JOB}")).to_be_visible()
    expect(page.get_by_text("Demo mode")).to_be_visible()  # LABELDECK_AUTH=none: the demo user labels

    editor = page.frame_locator("iframe[title*='st-detection'], iframe[title*='detection']").first
    expect(editor.get_by_role("button", name="Complete")).to_be_visible()
    first = page.get_by_text(re.compile(r"^scene_\d+\.jpg")).first.inner_text().split(" ")[0]
    screenshot(page, "annotate-first-image")
    editor.get_by_role("button", name="Complete").click()  # the pre-labels, accepted as they are
    expect(page.get_by_text(re.compile(r"1 of \d+ images done · 1 labelled"))).to_be_visible()
    assert expert_boxes(db_url, job_id) == {first: pre_boxes(db_url, job_id, first)}

    idle(page)  # the caption read below is the next image's, not the first's left from the run before
    second = page.get_by_text(re.compile(r"^scene_\d+\.jpg")).first.inner_text().split(" ")[0]
    assert second != first
    expect(page.get_by_text(re.compile(rf"^{second} · image"))).to_be_visible()
    editor = page.frame_locator("iframe[title*='st-detection'], iframe[title*='detection']").first
    # Mode "Transform" (the default) draws a new box of the chosen Class when dragging on empty image
    editor.locator("select").nth(1).select_option(label="Dog")
    box = settled_canvas(page, editor)  # the new image drawn, where it stays after the rerun that loaded it
    page.mouse.move(box["x"] + 20, box["y"] + 20)
    page.mouse.down()
    page.mouse.move(box["x"] + 90, box["y"] + 80, steps=6)
    page.mouse.up()
    # as a person does: click off the new box (the component keeps a box being drawn until it is let go of)
    page.mouse.click(box["x"] + 300, box["y"] + 30)
    page.wait_for_timeout(300)
    screenshot(page, "annotate-drawn-box")
    editor.get_by_role("button", name="Complete").click()
    expect(page.get_by_text(re.compile(r"2 of \d+ images done · 2 labelled"))).to_be_visible()
    assert expert_boxes(db_url, job_id)[second] == pre_boxes(db_url, job_id, second) + 1


def test_submit_turns_the_job_ready_with_what_the_expert_did(annotate_app, page):
    """A job of its own, labelled as the test above labels in the browser: two images (the first as pre-labelled,
    the second with a dog added), the rest not."""
    url, db_url, _ = annotate_app
    engine = get_engine(db_url)
    job_id = manual_jobs.create_manual_job(
        engine=engine, name=f"{JOB}-submit", pre_labels=("auto_job", 1), actor=as_admin("e2e")
    ).id
    first = expert_labels.next_unlabelled(engine=engine, job_id=job_id)
    second = expert_labels.next_unlabelled(engine=engine, job_id=job_id, after_sample_id=first)
    for sample_id, more in ((first, []), (second, [{"bbox": [20, 20, 70, 60], "label": "dog"}])):
        shown = expert_labels.editor_state(engine=engine, job_id=job_id, sample_id=sample_id)
        kept = [{"bbox": box, "label_id": label} for box, label in zip(shown.bboxes, shown.labels)]
        expert_labels.save_expert_label(
            engine=engine, job_id=job_id, sample_id=sample_id, boxes=kept + more, actor=as_reviewer("expert")
        )
    labelled = expert_boxes(db_url, job_id)
    assert len(labelled) == 2 and sum(labelled.values()) > 1
    page.goto(f"{url}/annotate?job={job_id}")
    page.get_by_role("button", name=re.compile(r"Submit job \(\d+ images unlabelled\)")).click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("images have no expert label")
    dialog.get_by_role("button", name="Submit anyway").click()
    expect(page).to_have_url(re.compile(rf"/visualize\?job={job_id}"))
    expect(page.get_by_text("Expert Review Stats")).to_be_visible()
    results = sum(labelled.values())

    def stat(name: str):
        return page.locator(f"[data-stat='{name}']")

    expect(stat("Results")).to_have_attribute("data-value", f"{results:,}")
    expect(stat("Added")).to_have_attribute("data-value", "1")
    expect(stat("Unchanged")).to_have_attribute("data-value", f"{results - 1:,}")
    expect(page.get_by_text(f"Showing: all results · {results:,} results")).to_be_visible()
    page.wait_for_timeout(500)
    screenshot(page, "annotate-submitted-visualize")


def test_a_new_user_creates_a_spec_and_a_job_in_the_browser(writable_app_url, page):
    page.goto(f"{writable_app_url}/specs")
    page.get_by_text("New label spec").click()
    classes = page.get_by_role("textbox", name="Classes, one per line")
    expect(classes).to_be_visible()
    page.get_by_role("textbox", name="Name").fill("shapes")
    classes.fill("circle\nsquare, Square, #112233")
    page.get_by_role("button", name="Create label spec").click()
    expect(page.get_by_text("shapes · classification · 2 classes")).to_be_visible()
    screenshot(page, "specs-created")

    page.goto(writable_app_url)
    auto = (
        page.locator("[class*='st-key-job_card_']").filter(has_text="street-scenes-autolabel").filter(has_text="READY")
    )
    auto.get_by_role("button", name="Create manual label job from these pre-labels").click()
    expect(page).to_have_url(re.compile(r"/new_job\?from_auto=\d+"))
    page.get_by_role("textbox", name="Job name").fill("street-from-browser")
    expect(page.get_by_text("The auto label job's images")).to_be_visible()
    screenshot(page, "new-job-form")
    page.get_by_role("button", name="Create job").click()
    expect(page).to_have_url(re.compile(r"/annotate\?job=\d+"))
    expect(page.get_by_role("heading", name="Annotate · street-from-browser")).to_be_visible()
    expect(page.get_by_text(re.compile(r"^0 of 24 images done"))).to_be_visible()
    expect(page.get_by_text("showing the pre-labels")).to_be_visible()
