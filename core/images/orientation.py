"""EXIF orientation, one rule for every view: label coordinates refer to the image as it is displayed upright, its
EXIF Orientation applied.

A phone stores a portrait photo as a landscape bitmap plus a tag saying how to turn it. Browsers, image viewers and
the tools labels come from (CVAT, Label Studio, labelme, RectLabel) show it turned, so the boxes an expert draws and
the width/height those tools export are in that orientation; so are the images models train on (OpenCV's imread,
Ultralytics, Detectron2 all turn them). Hence: the importer checks the labels' size against the displayed size, new
jobs record it, and the tiles, the viewer and the annotator turn the image upright before any box meets it. A file
without the tag, the common case, is used as it is: nothing is copied or re-encoded for a tag that is not there.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageOps

from core.files.paths import regular_file

EXIF_ORIENTATION = 0x0112
# Orientations 5-8 turn the image by a quarter: its displayed width is its stored height.
QUARTER_TURNS = frozenset({5, 6, 7, 8})


def orientation(im: Image.Image) -> int:
    """The image's EXIF orientation, 1 (as stored) when it has none or one outside 1-8, which
    ImageOps.exif_transpose does not turn either."""
    value = im.getexif().get(EXIF_ORIENTATION, 1)
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def displayed_size(stored: tuple[int, int], turn: int) -> tuple[int, int]:
    """(width, height) as displayed, of an image stored at `stored` with EXIF orientation `turn`."""
    return (stored[1], stored[0]) if turn in QUARTER_TURNS else stored


def upright(im: Image.Image) -> Image.Image:
    """The opened image decoded, in RGB, turned as it is displayed."""
    if orientation(im) == 1:
        # exif_transpose would copy the decoded image for nothing (a third of a tile's time).
        im.load()
        return im if im.mode == "RGB" else im.convert("RGB")
    return ImageOps.exif_transpose(im).convert("RGB")


def open_upright(path: Path, *, fit: tuple[int, int]) -> tuple[Image.Image, float]:
    """The image file turned as displayed and shrunk to fit in `fit`, and the factor from its pixels to the image's
    own (the boxes' coordinates): what an editor shows. ValueError for a FIFO or a device, which would hang the open."""
    try:
        regular_file(path)
    except ValueError as problem:
        raise ValueError(f"{path}: {problem}") from None
    with Image.open(path) as im:
        header_width = displayed_size(im.size, orientation(im))[0]
        # A JPEG decodes at the smallest 1/2^n scale at least twice the fit, as Image.thumbnail would draft it.
        drafted = im.draft("RGB", (2 * max(fit), 2 * max(fit))) is not None
        image = upright(im)
    # A drafted JPEG's full width is its header's (the stored size, turned here); other formats decode at full size,
    # some already turned by Pillow itself (TIFF), so their header's size may be either.
    full_width = header_width if drafted else image.width
    image.thumbnail(fit)
    return image, full_width / image.width
