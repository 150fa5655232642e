"""The images of a new manual job's folder: every image file under it, read in full by Pillow and sized as displayed,
and the folders under the data folder that a page offers."""

from __future__ import annotations

import pytest
from PIL import Image

from core.domain.errors import BadInput
from core.images.image_files import folder_images
from core.images.orientation import EXIF_ORIENTATION
from core.jobs.manual import data_folder, image_folders_in_data_dir
from tests.builders import (
    ROTATED_SIZE,
    ROTATED_STORED_SIZE,
    write_cut_image,
    write_image,
    write_rotated_photo,
    write_truncated_image,
)


def test_a_folder_of_images_is_read_with_sizes_and_checked(tmp_path, data_dir):
    root = data_dir / "shots"
    write_image(root / "b.png", 8, 6)
    write_image(root / "sub" / "a.JPG", 4, 3)
    write_image(root / ".hidden" / "x.png", 2, 2)
    (root / "labels.json").write_text("{}")  # not an image: a folder may hold label files too
    assert folder_images(root).rows() == [("b.png", 8, 6), ("sub/a.JPG", 4, 3)]
    (root / "link.png").symlink_to(write_image(tmp_path / "outside.png", 2, 2))
    write_truncated_image(root / "broken.png")
    with pytest.raises(BadInput) as refused:
        folder_images(root)
    assert [p.split(": ", 1)[1] for p in refused.value.problems] == [
        "'broken.png': corrupt or truncated image (Truncated File Read)",
        "'link.png': 'link.png': resolves outside the image root (through a symbolic link?)",
    ]
    write_image(data_dir / "thumbnails" / "t.png", 2, 2)
    write_image(data_dir / "uploads" / "abc" / "u.png", 2, 2)
    assert image_folders_in_data_dir() == [data_dir / "shots", data_dir / "shots" / "sub"]


def test_a_folder_named_by_a_page_stays_under_the_data_folder(data_dir, tmp_path):
    write_image(data_dir / "shots" / "a.png", 2, 2)
    assert data_folder(" shots ") == data_dir / "shots"
    for escape, problem in (
        ("../", "'..'"),
        ("/etc", "absolute path"),
        ("", "empty file name"),
        ("nowhere", "not found under the data folder"),
    ):
        with pytest.raises(BadInput, match=problem):
            data_folder(escape)
    (data_dir / "out").symlink_to(tmp_path)
    with pytest.raises(BadInput, match="resolves outside"):
        data_folder("out")


def test_a_photo_is_sized_as_displayed_its_exif_orientation_applied(tmp_path):
    root = tmp_path / "shots"
    write_rotated_photo(root / "portrait.jpg")
    write_image(root / "plain.jpg", 640, 480)  # its check decodes at 1/8 scale; the size is still the file's own
    assert folder_images(root).rows() == [("plain.jpg", 640, 480), ("portrait.jpg", *ROTATED_SIZE)]


@pytest.mark.parametrize("keep", [0.5, 0.9])
@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("cut.jpg", {}),
        ("cut.jpg", {"progressive": True}),
        ("cut.png", {}),
        ("cut.webp", {}),
        ("cut.gif", {}),
        ("cut.tif", {}),
        ("cut.bmp", {}),
    ],
    ids=["jpeg", "progressive-jpeg", "png", "webp", "gif", "tiff", "bmp"],
)
def test_a_cut_image_is_refused_though_its_header_reads(tmp_path, keep, name, options):
    root = tmp_path / "shots"
    write_image(root / "whole.jpg", 8, 6)
    write_cut_image(root / name, keep=keep, **options)
    with pytest.raises(BadInput) as refused:
        folder_images(root)
    [problem] = refused.value.problems
    assert problem.startswith(f"{root}: {name!r}: corrupt or truncated image (")


@pytest.mark.parametrize("suffix", ["jpg", "png", "webp", "tif"])
def test_an_exif_orientation_turns_the_size_in_every_format_that_carries_one(tmp_path, suffix):
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = 6
    Image.new("RGB", ROTATED_STORED_SIZE).save(tmp_path / f"r.{suffix}", exif=exif.tobytes())
    assert folder_images(tmp_path).rows() == [(f"r.{suffix}", *ROTATED_SIZE)]
