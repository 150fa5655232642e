"""Zip uploads of images: extracted under data/uploads/<uuid>/, or refused with the member and the problem named
and nothing left behind. The zips are crafted by hand: escapes, links, bombs, floods, strays."""

from __future__ import annotations

import io
import stat
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from core.domain.errors import BadInput
from core.files.uploads import UploadLimits, discard_upload, extract_image_zip, uploads_dir


def png(width: int = 8, height: int = 6) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (10, 200, 30)).save(out, format="PNG")
    return out.getvalue()


def make_zip(path: Path, members: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def leftovers() -> list[Path]:
    return list(uploads_dir().iterdir()) if uploads_dir().exists() else []


def test_images_are_extracted_into_a_fresh_folder_under_the_data_folder(tmp_path, data_dir):
    source = make_zip(
        tmp_path / "in.zip",
        {
            "a.png": png(),
            "street/b.jpg": png(),
            "street/": b"",
            "__MACOSX/._a.png": b"junk",
            ".DS_Store": b"junk",
            "c/.hidden.png": b"",
        },
    )
    folder = extract_image_zip(source)
    assert folder.parent == data_dir.resolve() / "uploads" and len(folder.name) == 32
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) == [
        "a.png",
        "street/b.jpg",
    ]
    assert (folder / "a.png").read_bytes() == png()
    again = extract_image_zip(source)  # every upload gets its own folder
    assert again != folder
    discard_upload(again)
    assert not again.exists() and folder.exists()


def test_a_file_object_upload_works_like_a_path(tmp_path):
    data = make_zip(tmp_path / "in.zip", {"a.png": png()}).read_bytes()
    upload = io.BytesIO(data)
    folder = extract_image_zip(upload, label="photos.zip")
    assert [p.name for p in folder.iterdir()] == ["a.png"]


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("../escape.png", "'..'"),
        ("a/../../escape.png", "'..'"),
        ("/etc/escape.png", "absolute path"),
        ("C:/escape.png", "absolute path"),
        ("C:escape.png", "drive"),
        ("..\\escape.png", "'..'"),
    ],
)
def test_names_that_escape_the_folder_are_refused(tmp_path, name, problem):
    source = make_zip(tmp_path / "in.zip", {"ok.png": png(), name: png()})
    with pytest.raises(BadInput, match=problem) as refused:
        extract_image_zip(source)
    assert f"member {name!r}" in refused.value.message
    assert leftovers() == [] and not (tmp_path / "escape.png").exists()


def test_symbolic_links_are_refused(tmp_path):
    path = tmp_path / "in.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("ok.png", png())
        link = zipfile.ZipInfo("link.png")
        link.create_system = 3
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    with pytest.raises(BadInput, match="member 'link.png': symbolic links are not allowed"):
        extract_image_zip(path)
    assert leftovers() == []


def test_a_bomb_like_compression_ratio_is_refused(tmp_path):
    source = make_zip(tmp_path / "bomb.zip", {"ok.png": png(), "huge.bmp": b"\0" * (8 << 20)})
    with pytest.raises(BadInput, match=r"member 'huge.bmp': compresses [\d,]+:1 .* possible zip bomb"):
        extract_image_zip(source)
    assert leftovers() == []


def test_too_many_files_too_many_bytes_and_too_big_an_archive_are_refused(tmp_path):
    many = make_zip(tmp_path / "many.zip", {f"{i}.png": png() for i in range(6)})
    with pytest.raises(BadInput, match="6 entries; uploads are limited to 5 files"):
        extract_image_zip(many, limits=UploadLimits(max_files=5))
    with pytest.raises(BadInput, match="bytes uncompressed; uploads are limited to 100"):
        extract_image_zip(many, limits=UploadLimits(max_total_bytes=100))
    with pytest.raises(BadInput, match="the zip is [\\d,]+ bytes; uploads are limited to 10"):
        extract_image_zip(many, limits=UploadLimits(max_zip_bytes=10))
    assert leftovers() == []


def test_an_archive_that_lies_about_its_sizes_is_stopped_while_extracting(tmp_path):
    path = make_zip(tmp_path / "liar.zip", {"a.png": png(), "b.png": b"\1" * 5000}, compression=zipfile.ZIP_STORED)
    data = bytearray(path.read_bytes())
    # b.png's declared size, in its local header and in the central directory, says 50 bytes
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("b.png")
    central = data.rfind(b"PK\x01\x02")
    for offset in (info.header_offset + 22, central + 24):
        data[offset : offset + 4] = (50).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    with pytest.raises(BadInput, match=r"member 'b.png': cannot be extracted \(Bad CRC-32"):
        extract_image_zip(path)  # zipfile stops reading at the declared size; the checksum then fails
    assert leftovers() == []


def test_non_images_encrypted_members_and_non_zips_are_refused(tmp_path):
    with pytest.raises(BadInput) as refused:
        extract_image_zip(make_zip(tmp_path / "mixed.zip", {"a.png": png(), "notes.txt": b"x", "run.sh": b"x"}))
    assert refused.value.problems == [
        f"{tmp_path / 'mixed.zip'}: member 'notes.txt': not an image file (allowed: .bmp, .gif, .jpeg, .jpg, .png, "
        ".tif, .tiff, .webp)",
        f"{tmp_path / 'mixed.zip'}: member 'run.sh': not an image file (allowed: .bmp, .gif, .jpeg, .jpg, .png, "
        ".tif, .tiff, .webp)",
    ]
    with pytest.raises(BadInput, match="no image files in the zip"):
        extract_image_zip(make_zip(tmp_path / "empty.zip", {"folder/": b""}))
    fake = tmp_path / "fake.zip"
    fake.write_bytes(b"not a zip at all")
    with pytest.raises(BadInput, match="not a zip archive"):
        extract_image_zip(fake)
    encrypted = bytearray(make_zip(tmp_path / "enc.zip", {"a.png": png()}).read_bytes())
    central = encrypted.rfind(b"PK\x01\x02")
    encrypted[central + 8] |= 0x1  # the "encrypted" flag bit
    (tmp_path / "enc.zip").write_bytes(bytes(encrypted))
    with pytest.raises(BadInput, match="member 'a.png': encrypted members are not supported"):
        extract_image_zip(tmp_path / "enc.zip")
    assert leftovers() == []


def test_discard_upload_leaves_anything_outside_the_uploads_folder_alone(tmp_path):
    keep = tmp_path / "keep"
    keep.mkdir()
    discard_upload(keep)
    assert keep.exists()
