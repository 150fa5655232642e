"""Relative file names from label files, resolved under an image root and never outside it."""

from __future__ import annotations

import os
import stat
from pathlib import Path, PurePosixPath, PureWindowsPath

# Opening any of these for reading waits for a writer or reads forever (a FIFO named x.png hung an import): only
# regular files are read.
_SPECIAL_FILES = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


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


def regular_file(path: Path) -> Path:
    """`path`, unless it is a FIFO, a device or a socket (symbolic links followed): ValueError saying which, before
    anything opens it. A missing path or a folder passes, for the caller to report as it does."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return path
    kind = next((what for is_kind, what in _SPECIAL_FILES if is_kind(mode)), None)
    if kind is not None:
        raise ValueError(f"not a regular file but {kind}; only regular files are read")
    return path
