"""Issue 13's acceptance in Chromium: an admin imports a detection job whose images are in a bucket (moto's S3 server
on 127.0.0.1; the app server gets its endpoint and credentials from the environment) and whose labels are CVAT for
images 1.1 XML (expert, uploaded) and YOLO (pre-labels, a zip of the labels folder with classes.txt, uploaded), sees
the report, imports, lands on the new job's Visualize and accepts one result."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.app.test_import_page import yolo_zip
from tests.builders import EXPERT_ANNOTATIONS, write_detection_job
from tests.e2e.conftest import _serve, add_accounts, idle, nav_links, screenshot, sign_in
from tests.s3_server import TEST_CREDENTIALS, Bucket, s3_server  # noqa: F401
from tests.store.label_format_helpers import by_file, write_cvat

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def bucket(s3_server) -> Bucket:  # noqa: F811
    """The standard detection job's images (tests/builders.py) in a new bucket, under s3://<bucket>/images."""
    bucket = Bucket(server=s3_server, name=f"labeldeck-import-{uuid.uuid4().hex[:8]}")
    s3_server.client().create_bucket(Bucket=bucket.name)
    return bucket


@pytest.fixture(scope="module")
def import_app_url(bucket: Bucket, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    images = write_detection_job(tmp_path_factory.mktemp("import-images")).images_dir
    bucket.put_folder(images)
    settings = {"LABELDECK_AUTH": "password", "LABELDECK_S3_ENDPOINT_URL": bucket.server.endpoint, **TEST_CREDENTIALS}
    with pytest.MonkeyPatch.context() as mp:  # the server's environment: the test credentials, nobody's profile
        for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
            mp.delenv(key, raising=False)
        yield from _serve(
            tmp_path_factory, "e2e-import", settings=settings, prepare=lambda engine: add_accounts(engine, ida="admin")
        )


def upload(page, key: str, path: Path) -> None:
    """A file into the uploader of that key. The upload reruns the script once it reached the server, a moment after
    the file shows: a rerun that started before would draw the other uploaders anew and drop a file set meanwhile,
    so each upload waits for its rerun, and is made again if a file was dropped all the same."""
    uploader = page.locator(f".st-key-{key}")
    for _ in range(3):
        idle(page)
        uploader.locator("input[type=file]").set_input_files(str(path))
        expect(uploader.get_by_text(path.name)).to_be_visible()
        page.wait_for_timeout(1_000)
        idle(page)
        if uploader.get_by_text(path.name).is_visible():
            return
    raise AssertionError(f"{path.name} did not stay in the {key} uploader")


def test_an_admin_imports_a_bucket_job_with_cvat_and_yolo_labels_and_reviews_one_result(
    import_app_url, bucket, page, tmp_path
):
    expert = write_cvat(tmp_path / "expert-cvat.xml", boxes=by_file(EXPERT_ANNOTATIONS))
    broken = write_cvat(
        tmp_path / "expert-broken.xml", boxes={**by_file(EXPERT_ANNOTATIONS), "b.png": [("horse", 0, 0, 10, 10)]}
    )
    pre = yolo_zip(tmp_path / "pre-yolo.zip")
    sign_in(page, import_app_url, "ida")
    nav_links(page, "Import finished job").click()  # the top bar's Label menu
    expect(page).to_have_url(re.compile(r"/import_job$"))
    expect(page.get_by_role("heading", name="Import finished job")).to_be_visible()

    page.get_by_role("textbox", name="Job name").fill("street-from-bucket")
    page.get_by_text("A bucket prefix").click()
    prefix = page.get_by_role("textbox", name="Bucket prefix")
    prefix.fill(bucket.root)
    prefix.press("Enter")
    idle(page)
    upload(page, "import_expert_file", broken)
    upload(page, "import_pre_file", pre)

    import_button = page.get_by_role("button", name="Import", exact=True)
    expect(import_button).to_be_disabled()  # nothing checked yet
    page.get_by_role("button", name="Check").click()
    expect(page.get_by_text("Check failed: 1 problem found. Nothing was written")).to_be_visible()
    expect(page.get_by_test_id("stCode")).to_contain_text("expert-broken.xml")
    expect(page.get_by_test_id("stCode")).to_contain_text("horse")
    expect(import_button).to_be_disabled()
    idle(page)
    page.get_by_test_id("stCode").scroll_into_view_if_needed()
    screenshot(page, "import-problems", full_page=False)

    upload(page, "import_expert_file", expert)
    expect(page.get_by_text("check again before importing")).to_be_visible()
    page.get_by_role("button", name="Check").click()
    expect(
        page.get_by_text("Check passed: street-from-bucket would have 2 images, 6 results and 3 classes.")
    ).to_be_visible()
    expect(
        page.get_by_text(
            re.compile(
                r"Class Changed 3 of 6 results \(50\.0%\) · unchanged 1 · adjusted 2 · "
                r"relabeled 1 · added 1 · removed 1"
            )
        )
    ).to_be_visible()
    expect(page.get_by_text("pre-labels: import: pre-yolo.zip", exact=False)).to_be_visible()
    expect(import_button).to_be_enabled()
    idle(page)
    page.mouse.move(0, 0)  # no tooltip over the report
    import_button.scroll_into_view_if_needed()
    screenshot(page, "import-page", full_page=False)

    import_button.click()
    expect(page).to_have_url(re.compile(r"/visualize\?job=\d+"), timeout=60_000)
    expect(page.get_by_text(re.compile(r"^Pending Review 6$"))).to_be_visible()
    idle(page)
    page.locator(".ld-pick").first.check()
    accept = page.get_by_role("button", name="Accept 1 picked")
    expect(accept).to_be_visible()
    accept.click()
    expect(page.get_by_text(re.compile(r"^Accepted 1 result"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Accepted 1$"))).to_be_visible()
    screenshot(page, "import-reviewed")
