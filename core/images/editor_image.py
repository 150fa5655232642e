"""The box editor's image: the file turned upright and shrunk to the editor's size, as a JPEG drawn once under the
thumbnail folder, which the app serves by a signed URL. Its name holds the source's path, version and the size, so
a replaced file or another editor size gets a new copy."""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from core.images.orientation import open_upright
from core.settings import get_settings
from core.storage import cache

JPEG_QUALITY = 90


@dataclass(frozen=True)
class EditorImage:
    path: Path  # the JPEG to show
    size: tuple[int, int]  # its (width, height)
    scale: float  # from its pixels to the image's own (the boxes' coordinates)


# (size, scale) of the copies this process drew or found: the editor runs on every rerun of the Annotate page, and
# a copy on disk needs no decoding then. Tiny entries; emptied past MAX_MEASURED all the same.
_measured: dict[Path, tuple[tuple[int, int], float]] = {}
MAX_MEASURED = 100_000


def editor_image(source: Path, *, fit: tuple[int, int]) -> EditorImage:
    """ValueError (naming the file) for what cannot be opened as an image, as open_upright."""
    stat = source.stat()
    key = hashlib.sha256(f"{source.resolve()}\n{stat.st_mtime_ns}\n{stat.st_size}\n{fit}".encode()).hexdigest()
    path = get_settings().thumbnail_dir / "editor" / f"{key[:32]}.jpg"
    known = _measured.get(path)
    if known is None or not cache.touch(path):
        image, scale = open_upright(source, fit=fit)
        if not cache.touch(path):
            path.parent.mkdir(parents=True, exist_ok=True)
            # A name of this thread's own: two sessions may open the same image at the same moment.
            tmp = path.with_suffix(f".{os.getpid()}-{threading.get_ident()}.tmp")
            image.save(tmp, "JPEG", quality=JPEG_QUALITY)
            tmp.replace(path)
            cache.written(path.stat().st_size, path)
        if len(_measured) >= MAX_MEASURED:
            _measured.clear()
        known = _measured[path] = (image.size, scale)
    return EditorImage(path=path, size=known[0], scale=known[1])
