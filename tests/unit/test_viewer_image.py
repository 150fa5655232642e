"""The viewer's image: the file's own bytes when a browser shows them as they are, else an upright JPEG copy (in the
orientation and at the size the labels refer to), and the same clear ImageUnavailable as the tiles for a missing,
unreadable or escaping file."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from core.images import viewer_image as module
from core.images.image_files import image_size
from core.images.orientation import EXIF_ORIENTATION
from core.images.thumbnails import ImageUnavailable
from core.images.viewer_image import viewer_image
from tests.builders import ROTATED_BLOCK, ROTATED_SIZE, YELLOW, write_rotated_photo


def save(root: Path, name: str, size=(64, 32), **kwargs) -> Path:
    path = root / name
    Image.new("RGB", size, (200, 30, 30)).save(path, **kwargs)
    return path


def show(root: Path, name: str):
    return viewer_image(root=root, file_path=name, job_id=1, sample_id=9)


@pytest.mark.parametrize(("name", "mime"), [("a.jpg", "image/jpeg"), ("a.png", "image/png"), ("a.webp", "image/webp")])
def test_a_browser_format_is_sent_byte_for_byte(tmp_path, name, mime):
    path = save(tmp_path, name)
    shown = show(tmp_path, name)
    assert (shown.data, shown.mime, shown.width, shown.height, shown.as_is) == (path.read_bytes(), mime, 64, 32, True)


def test_a_tiff_becomes_a_jpeg_copy_with_the_samples_size(tmp_path):
    save(tmp_path, "a.tif", size=(40, 30))
    shown = show(tmp_path, "a.tif")
    assert (shown.mime, shown.width, shown.height, shown.as_is) == ("image/jpeg", 40, 30, False)
    with Image.open(io.BytesIO(shown.data)) as copy:
        assert (copy.format, copy.size) == ("JPEG", (40, 30))
    assert show(tmp_path, "a.tif").data == shown.data  # drawn once, read from the cache after


def test_an_exif_rotated_photo_is_sent_upright_at_the_size_its_labels_have(tmp_path):
    write_rotated_photo(tmp_path / "r.jpg")
    shown = show(tmp_path, "r.jpg")
    assert (shown.as_is, shown.width, shown.height) == (False, *ROTATED_SIZE)
    measured = image_size(tmp_path / "r.jpg")  # what the import checks the labels against
    assert (shown.width, shown.height) == (measured.width, measured.height)
    with Image.open(io.BytesIO(shown.data)) as copy:
        assert copy.size == ROTATED_SIZE
        assert copy.getexif().get(EXIF_ORIENTATION) is None  # nothing left for a browser to turn again
        x, y, w, h = (int(v) for v in ROTATED_BLOCK)
        assert copy.getpixel((x + w // 2, y + h // 2)) == pytest.approx(YELLOW, abs=40)  # the block, top right
        assert copy.getpixel((4, 4)) == pytest.approx((90, 140, 200), abs=40)


def test_a_large_file_is_sent_as_a_smaller_copy(tmp_path, monkeypatch):
    save(tmp_path, "big.png", size=(300, 100))
    monkeypatch.setattr(module, "MAX_AS_IS_BYTES", 10)
    monkeypatch.setattr(module, "MAX_COPY_SIDE", 150)
    shown = show(tmp_path, "big.png")
    assert (shown.as_is, shown.width, shown.height) == (False, 300, 100)  # the boxes' coordinates, unscaled
    with Image.open(io.BytesIO(shown.data)) as copy:
        assert copy.size == (150, 50)


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("gone.jpg", "gone.jpg: file not found under"),
        ("../outside.jpg", "../outside.jpg:"),
        ("bad.jpg", "bad.jpg: cannot be read"),
    ],
)
def test_what_cannot_be_shown_is_named(tmp_path, name, said):
    (tmp_path / "bad.jpg").write_bytes(b"not an image")
    with pytest.raises(ImageUnavailable, match=said.replace(".", r"\.")):
        show(tmp_path, name)
