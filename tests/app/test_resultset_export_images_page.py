"""The ResultSets page offers the images in the zips (issue 12): an "Include images" checkbox, off; checked, it says
how much image data the zips carry and the downloads carry it; above the page's cap it points to the CLI and the
downloads stay labels only; a missing image is named before anyone clicks. Through Streamlit's AppTest."""

from __future__ import annotations

import io
import zipfile

from sqlmodel import Session

from core import models
from core.jobs import image_root
from dashboard import resultset_panel
from dashboard.resultset_panel import download_data
from dashboard.text import md
from tests.app.test_resultset_exports_page import AT_THE_PAGE, some_complete_images
from tests.app.test_review_page import captions, open_page, sign_in, store, store_engine  # noqa: F401


def job_root(job_id: int):
    with Session(store_engine()) as session:
        return image_root(session.get(models.LabelJob, job_id))


def test_include_images_is_off_and_when_checked_the_zips_carry_them(store):
    street = store["street-scenes"]
    resultset, complete = some_complete_images(street)
    at = sign_in(open_page("resultsets", street))
    box = at.checkbox(key=f"include_images_{resultset.id}")
    assert (box.label, box.value) == ("Include images", False)
    downloads = len(at.get("download_button"))

    box.check().run()
    assert not at.error and not at.warning
    assert any(c.startswith("The COCO, YOLO and Pascal VOC zips carry the images (") for c in captions(at))
    assert len(at.get("download_button")) == downloads
    data = download_data(resultset_id=resultset.id, format="yolo", user=AT_THE_PAGE, include_images=True)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        images = sorted(n.removeprefix("images/") for n in archive.namelist() if n.startswith("images/"))
        assert images == sorted(complete["file_path"].unique().to_list())
        assert archive.read(f"images/{images[0]}") == (job_root(street) / images[0]).read_bytes()


def test_above_the_cap_the_page_points_to_the_cli(store, monkeypatch):
    street = store["street-scenes"]
    resultset, _ = some_complete_images(street)
    monkeypatch.setattr(resultset_panel, "MAX_PAGE_IMAGE_BYTES", 10)
    at = sign_in(open_page("resultsets", street))
    at.checkbox(key=f"include_images_{resultset.id}").check().run()
    [warning] = at.warning
    assert "a download from this page may hold; the downloads below are labels only" in warning.value
    assert f"python -m core export {resultset.id} --format yolo --with-images" in warning.value


def test_a_missing_image_is_named_before_the_download(store):
    street = store["street-scenes"]
    resultset, complete = some_complete_images(street)
    missing = complete["file_path"].sort()[0]
    (job_root(street) / missing).unlink()
    at = sign_in(open_page("resultsets", street))
    at.checkbox(key=f"include_images_{resultset.id}").check().run()
    [error] = at.error
    assert md(f"1 of 2 images cannot be read: image '{missing}'") in error.value and "file not found" in error.value
