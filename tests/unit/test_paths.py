"""File names from label files stay under the image root, and export archives under their folder (core.files.paths)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from core.domain.errors import BadInput
from core.exports.archive import zip_bytes
from core.files.paths import resolve_under, unsafe_reason


@pytest.mark.parametrize(
    "name", ["a.png", "sub/a.png", "sub/deeper/a.png", "a..b.png", "..hidden.png", "sub/.../a.png", "./a.png"]
)
def test_ordinary_relative_names_are_safe(name):
    assert unsafe_reason(name) is None


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("../a.png", "contains '..'"),
        ("sub/../../a.png", "contains '..'"),
        ("sub/..", "contains '..'"),
        ("..", "contains '..'"),
        ("..\\a.png", "contains '..'"),
        ("sub\\..\\..\\a.png", "contains '..'"),
        ("/etc/passwd", "absolute path"),
        ("/abs/a.png", "absolute path"),
        ("\\a.png", "absolute path"),
        ("\\\\server\\share\\a.png", "absolute path"),
        ("C:\\images\\a.png", "absolute path"),
        ("C:/images/a.png", "absolute path"),
        ("C:a.png", "names a drive"),
        ("", "empty file name"),
        ("   ", "empty file name"),
        ("a\x00.png", "NUL byte"),
    ],
)
def test_unsafe_names_say_why(name, reason):
    got = unsafe_reason(name)
    assert got is not None and reason in got


def test_resolve_under_gives_the_path_inside_the_root(tmp_path):
    root = tmp_path / "images"
    (root / "sub").mkdir(parents=True)
    assert resolve_under(root, "sub/a.png") == root.resolve() / "sub" / "a.png"
    assert resolve_under(root, "a..b.png") == root.resolve() / "a..b.png"


@pytest.mark.parametrize("name", ["../a.png", "/etc/passwd", "C:\\a.png", "..\\a.png", "\\a.png", ""])
def test_resolve_under_refuses_unsafe_names(tmp_path, name):
    with pytest.raises(ValueError, match="image root|empty"):
        resolve_under(tmp_path, name)


def test_resolve_under_refuses_a_symlink_that_escapes_the_root(tmp_path):
    root = tmp_path / "images"
    outside = tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (outside / "secret.png").write_bytes(b"x")
    os.symlink(outside, root / "link")
    os.symlink(outside / "secret.png", root / "file-link.png")
    with pytest.raises(ValueError, match="resolves outside the image root"):
        resolve_under(root, "link/secret.png")
    with pytest.raises(ValueError, match="resolves outside the image root"):
        resolve_under(root, "file-link.png")


def test_resolve_under_allows_a_symlink_that_stays_inside(tmp_path):
    root = tmp_path / "images"
    (root / "real").mkdir(parents=True)
    os.symlink(root / "real", root / "alias")
    assert resolve_under(root, "alias/a.png") == (root / "real" / "a.png").resolve()


def test_resolve_under_works_when_the_root_itself_is_a_symlink(tmp_path):
    real = tmp_path / "real-images"
    real.mkdir()
    root = tmp_path / "images"
    os.symlink(real, root)
    assert resolve_under(root, "a.png") == real.resolve() / "a.png"
    assert isinstance(resolve_under(Path(str(root)), "a.png"), Path)


@pytest.mark.parametrize("entry", ["../evil.txt", "/etc/cron.d/x", "labels/../../x.txt", "C:\\x.txt", "a\x00.txt"])
def test_an_export_archive_never_holds_an_entry_that_unpacks_outside_its_folder(entry):
    with pytest.raises(BadInput, match="export entry"):
        zip_bytes([("labels/ok.txt", "0 0.5 0.5 0.1 0.1\n"), (entry, "x")])
    assert zip_bytes([("labels/sub/ok.txt", "x")])[:2] == b"PK"
