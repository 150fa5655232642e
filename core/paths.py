"""Relative file names from label files, resolved under an image root and never outside it."""

from __future__ import annotations

from pathlib import Path, PurePosixPath, PureWindowsPath


def unsafe_reason(relative: str) -> str | None:
    """Why a file name from a label file may not be used as a path under the image root, or None."""
    if not relative or not relative.strip():
        return "empty file name"
    if "\x00" in relative:
        return "file name contains a NUL byte"
    if PurePosixPath(relative).is_absolute() or PureWindowsPath(relative).is_absolute() or relative.startswith("\\"):
        return "absolute path; file names must be relative to the image root"
    if PureWindowsPath(relative).drive:
        return "file name names a drive; file names must be relative to the image root"
    if ".." in PurePosixPath(relative.replace("\\", "/")).parts:
        return "file name contains '..' and would escape the image root"
    return None


def resolve_under(root: Path, relative: str) -> Path:
    """The path of `relative` under `root`; raises ValueError if it would leave the root."""
    reason = unsafe_reason(relative)
    if reason:
        raise ValueError(f"{relative!r}: {reason}")
    try:
        root = root.resolve()
        path = (root / relative).resolve()
    except (RuntimeError, OSError) as exc:  # a symbolic link loop, a name too long for the file system
        raise ValueError(f"{relative!r}: cannot be resolved under the image root ({exc})") from None
    if not path.is_relative_to(root):
        raise ValueError(f"{relative!r}: resolves outside the image root (through a symbolic link?)")
    return path
