"""The image the viewer shows for a sample: the file's own bytes when a browser can show them as they are (no
re-encoding, so the reviewer judges the pixels the expert saw), else a Pillow copy cached on disk.

A photo with an EXIF orientation is always a copy, turned upright here: the boxes refer to it as displayed
(core/images/orientation.py), and whether a browser turns an image by its tag depends on the browser and on how the image
is drawn (a Plotly layout image is an SVG <image>), so its bytes are not left to it."""

from __future__ import annotations

import os
from dataclasses import dataclass

from PIL import Image

from core import storage
from core.images.orientation import orientation
from core.images.thumbnails import open_image, opened_image
from core.settings import get_settings
from core.storage import Root, cache

# Formats every browser decodes, by Pillow's name; anything else (TIFF, BMP...) is converted once.
BROWSER_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}
# Above this a file is sent as a smaller copy: the viewer's canvas is about 1,000 px wide, and a 20 MB photo would
# travel to the browser on every step of the viewer.
MAX_AS_IS_BYTES = 4 * 1024 * 1024
MAX_COPY_SIDE = 2560


@dataclass(frozen=True)
class ViewerImage:
    data: bytes
    mime: str
    width: int  # in the sample's pixels as displayed (the boxes' coordinates), whatever size `data` has
    height: int
    as_is: bool  # the file's own bytes


def viewer_image(*, root: Root, file_path: str, job_id: int, sample_id: int) -> ViewerImage:
    """The bytes to show for a sample; ImageUnavailable (naming the file) when it cannot be read."""
    with opened_image(root, file_path) as (file, im):  # refuses what the browser should not decode either
        mime = BROWSER_FORMATS.get(im.format or "")
        rotated = orientation(im) != 1
        width, height = im.size
        stat = os.fstat(file.fileno())
        if mime and not rotated and stat.st_size <= MAX_AS_IS_BYTES:
            file.seek(0)
            return ViewerImage(data=file.read(), mime=mime, width=width, height=height, as_is=True)
    # A replaced local file gets a new copy. A remote object's cached copy is touched on every use, so its time says
    # nothing: objects are taken as immutable (core/storage).
    version = "remote" if storage.is_remote(root) else f"{stat.st_mtime_ns:x}"
    return _copy(root=root, file_path=file_path, name=f"job{job_id}/viewer-s{sample_id}-{version}.jpg")


def _copy(*, root: Root, file_path: str, name: str) -> ViewerImage:
    """An upright JPEG at most MAX_COPY_SIDE wide, drawn once; its width/height stay the sample's own."""
    image = open_image(root, file_path)  # EXIF orientation applied, as the boxes were drawn
    width, height = image.size
    cached = get_settings().thumbnail_dir / name
    if not cache.touch(cached):
        image.thumbnail((MAX_COPY_SIDE, MAX_COPY_SIDE), Image.Resampling.LANCZOS)
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(f".{os.getpid()}.tmp")
        image.save(tmp, "JPEG", quality=92)
        tmp.replace(cached)
        cache.written(cached.stat().st_size, cached)
    return ViewerImage(data=cached.read_bytes(), mime="image/jpeg", width=width, height=height, as_is=False)
