"""One rule for EXIF orientation: label coordinates refer to the image as displayed. What an editor is given: the
photo upright, shrunk to fit, with the factor from its pixels to the labels' coordinates."""

from __future__ import annotations

import pytest
from PIL import Image

from core.images.orientation import EXIF_ORIENTATION, displayed_size, open_upright, orientation
from tests.builders import ROTATED_BLOCK, ROTATED_SIZE, YELLOW, write_image, write_rotated_photo


@pytest.mark.parametrize(("tag", "read"), [(None, 1), (1, 1), (3, 3), (6, 6), (8, 8), (0, 1), (9, 1)])
def test_an_orientation_outside_one_to_eight_counts_as_none(tmp_path, tag, read):
    exif = Image.Exif()
    if tag is not None:
        exif[EXIF_ORIENTATION] = tag
    Image.new("RGB", (4, 2)).save(tmp_path / "a.jpg", exif=exif.tobytes())
    with Image.open(tmp_path / "a.jpg") as im:
        assert orientation(im) == read


@pytest.mark.parametrize(
    ("turn", "size"),
    [(1, (4, 2)), (2, (4, 2)), (3, (4, 2)), (4, (4, 2)), (5, (2, 4)), (6, (2, 4)), (7, (2, 4)), (8, (2, 4))],
)
def test_a_quarter_turn_swaps_width_and_height(turn, size):
    assert displayed_size((4, 2), turn) == size


def test_the_editor_gets_the_photo_upright_with_its_labels_pixels(tmp_path):
    image, factor = open_upright(write_rotated_photo(tmp_path / "portrait.jpg"), fit=(900, 640))
    assert (image.size, factor) == (ROTATED_SIZE, 1.0)  # never scaled up
    x, y, w, h = (int(v) for v in ROTATED_BLOCK)
    assert image.getpixel((x + w // 2, y + h // 2)) == pytest.approx(YELLOW, abs=40)
    small, factor = open_upright(tmp_path / "portrait.jpg", fit=(16, 16))
    assert (small.size, factor) == ((8, 16), 4.0)


def test_a_large_jpeg_is_shrunk_to_fit_and_its_factor_is_to_the_full_size(tmp_path):
    image, factor = open_upright(write_image(tmp_path / "big.jpg", 1600, 1200), fit=(900, 640))
    assert (image.size, image.mode, factor) == ((853, 640), "RGB", 1600 / 853)


@pytest.mark.parametrize("suffix", ["png", "webp", "tif"])
def test_other_formats_are_turned_upright_for_the_editor_too(tmp_path, suffix):
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = 6
    Image.new("RGB", (64, 32)).save(tmp_path / f"r.{suffix}", exif=exif.tobytes())
    image, factor = open_upright(tmp_path / f"r.{suffix}", fit=(16, 16))
    assert (image.size, factor) == ((8, 16), 4.0)
