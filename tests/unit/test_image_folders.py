"""The images of a new manual job's folder: every image file under it, opened by Pillow, and the folders under the
data folder that a page offers."""

from __future__ import annotations

import pytest

from core.errors import BadInput
from core.image_files import folder_images
from core.manual_jobs import data_folder, image_folders_in_data_dir
from tests.builders import write_image, write_truncated_image


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
    for escape, problem in (("../", "'..'"), ("/etc", "absolute path"), ("", "empty file name"),
                            ("nowhere", "not found under the data folder")):
        with pytest.raises(BadInput, match=problem):
            data_folder(escape)
    (data_dir / "out").symlink_to(tmp_path)
    with pytest.raises(BadInput, match="resolves outside"):
        data_folder("out")
