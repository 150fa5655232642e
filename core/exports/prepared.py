"""Folders for exports a page prepares before its download: a zip with images takes seconds to build, so the page
builds it into a file of its own while it shows progress, and the download button then serves the finished file.

Each prepared export gets a folder of its own under the system's temporary folder. The page removes a session's
previous one when it prepares the next; folders older than STALE_AFTER_S are removed whenever one is made, so a
session that closed without downloading leaves nothing behind for long.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

PREFIX = "labeldeck-export-"
STALE_AFTER_S = 6 * 3600


def new_export_folder() -> Path:
    remove_stale_folders()
    return Path(tempfile.mkdtemp(prefix=PREFIX))


def remove_prepared(path: Path) -> None:
    """The prepared export at `path` and its folder; nothing outside a folder of ours is ever removed."""
    folder = Path(path).parent
    if folder.name.startswith(PREFIX) and folder.parent == Path(tempfile.gettempdir()):
        shutil.rmtree(folder, ignore_errors=True)


def remove_stale_folders(*, now: float | None = None) -> None:
    cutoff = (time.time() if now is None else now) - STALE_AFTER_S
    for folder in Path(tempfile.gettempdir()).glob(f"{PREFIX}*"):
        try:
            if folder.is_dir() and folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:  # another process removed it first
            continue
