"""The ResultSets page offers the images in the zips (issue 12): an "Include images" checkbox, off; checked, it says
how much image data the zips carry, and each zip is prepared (with a progress bar) before it is downloaded; above the page's cap it points to the CLI and the
downloads stay labels only; a missing image is named before anyone clicks. Through Streamlit's AppTest."""

from __future__ import annotations

import zipfile

from sqlmodel import Session

from core.jobs.summaries import image_root
from core.store import models
from dashboard import resultset_panel
from dashboard.resultset_panel import download_data
from dashboard.text import md
from tests.app.review_helpers import captions, open_page, sign_in, store  # noqa: F401
from tests.app.test_resultset_exports_page import AT_THE_PAGE, some_complete_images
from tests.app.visualize_helpers import store_engine


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
    assert len(at.get("download_button")) == downloads - 3  # the three zips are prepared first; the CSV stays
    assert [b.label for b in at.button if b.key and b.key.startswith("prepare_")] == [
        "Prepare COCO JSON with images",
        "Prepare YOLO (zip) with images",
        "Prepare Pascal VOC (zip) with images",
    ]

    at.button(key="prepare_yolo").click().run()
    assert not at.error
    path = at.session_state["prepared_yolo"]["path"]
    assert path.name.endswith("-yolo.zip") and len(at.get("download_button")) == downloads - 2
    assert path.read_bytes() == download_data(
        resultset_id=resultset.id, format="yolo", user=AT_THE_PAGE, include_images=True
    )  # what the CLI writes, byte for byte
    with zipfile.ZipFile(path) as archive:
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


def test_a_prepared_zip_is_replaced_when_prepared_again_and_dropped_when_the_options_change(store):
    street = store["street-scenes"]
    resultset, _ = some_complete_images(street)
    at = sign_in(open_page("resultsets", street))
    at.checkbox(key=f"include_images_{resultset.id}").check().run()
    at.button(key="prepare_coco").click().run()
    first = at.session_state["prepared_coco"]["path"]
    assert first.is_file()

    at.toggle(key=f"split_{resultset.id}").set_value(True).run()  # other options: the prepared zip is not offered
    assert at.button(key="prepare_coco").label == "Prepare COCO JSON with images"
    at.button(key="prepare_coco").click().run()
    second = at.session_state["prepared_coco"]["path"]
    assert second != first and second.is_file() and not first.parent.exists()  # the earlier one is gone
    with zipfile.ZipFile(second) as archive:
        assert any(n.startswith("annotations/instances_train") for n in archive.namelist())


def test_the_image_data_reads_in_kilobytes_until_a_tenth_of_a_megabyte():
    assert [resultset_panel._data_size(n) for n in (300, 44_493, 104_857, 3_355_443)] == [
        "1 KB",
        "43 KB",
        "0.1 MB",
        "3.2 MB",
    ]
