"""Tiles and detail images with the label overlays drawn by Pillow, cached on disk.

Expert boxes are solid in their class colour with the display name; the matched pre-label box is dashed; a pre box
the expert removed is dashed red and marked; a box the expert added is marked "+". Cache key: job, data revision,
sample, focus result, size; a label change bumps the revision, so a stale tile is never served.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

import polars as pl
from PIL import Image, ImageDraw, ImageFont

from core import storage
from core.domain.vocabulary import ChangeKind
from core.images.image_files import refuse_bomb
from core.images.orientation import upright
from core.settings import get_settings
from core.storage import Root, cache

REMOVED_COLOR = "#E45756"
PRE_COLOR_FALLBACK = "#9AA5B1"
JPEG_QUALITY = 85
# Tiles are squares, so a grid's rows line up; an image of another shape sits on this neutral band, which reads as
# "no image here" in the light and the dark theme alike.
LETTERBOX = (96, 102, 112)


class ImageUnavailable(Exception):
    """The image file of a sample is missing, unreadable or outside its root; the message names the file."""


@dataclass(frozen=True)
class Overlay:
    """How to draw: class colours and display names by class name."""

    colors: dict[str, str]
    display_names: dict[str, str]

    def color(self, name: str | None) -> str:
        return self.colors.get(name or "", PRE_COLOR_FALLBACK)

    def label(self, name: str | None) -> str:
        return self.display_names.get(name or "", name or "")


@lru_cache(maxsize=8)
def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except (OSError, TypeError):  # Pillow without FreeType has only the fixed bitmap font
        return ImageFont.load_default()


@contextmanager
def opened_image(root: Root, file_path: str) -> Iterator[tuple[BinaryIO, Image.Image]]:
    """A sample's file (opened where it is, or its cached copy under a remote root: core/storage) and its image
    opened by Pillow (header read, not decoded); ImageUnavailable naming the file when it is outside the root,
    missing, unreadable or too large, here or while the caller reads it."""
    try:
        file = storage.open_file(root, file_path)
    except ValueError as exc:
        raise ImageUnavailable(f"{file_path}: {exc}") from None
    except FileNotFoundError:
        raise ImageUnavailable(f"{file_path}: file not found under {storage.describe(root)}") from None
    except OSError as exc:  # a folder, a permission, an object store that refused
        raise ImageUnavailable(f"{file_path}: cannot be read ({exc})") from None
    try:
        with file, Image.open(file) as im:
            refuse_bomb(im)  # before decoding: a 40,000 px square would take gigabytes
            yield file, im
    except FileNotFoundError:
        raise ImageUnavailable(f"{file_path}: file not found under {storage.describe(root)}") from None
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ImageUnavailable(f"{file_path}: cannot be read ({exc})") from None


def open_image(root: Root, file_path: str) -> Image.Image:
    """The sample's image in RGB, turned as it is displayed: the orientation its boxes refer to."""
    with opened_image(root, file_path) as (_, im):
        return upright(im)


def tile_path(
    *, job_id: int, revision: int, sample_id: int, focus: int | None, size: int, crop: bool, square: bool = False
) -> Path:
    view = "all" if focus is None else f"{'c' if crop else 'w'}{focus}"
    shape = "-sq" if square else ""
    return get_settings().thumbnail_dir / f"job{job_id}" / f"r{revision}-s{sample_id}-{view}-{size}{shape}.jpg"


def render_tile(
    *,
    job_id: int,
    revision: int,
    root: Root,
    sample: dict,
    boxes: pl.DataFrame,
    overlay: Overlay,
    focus: int | None = None,
    size: int = 256,
    crop: bool = True,
    square: bool = False,
) -> Path:
    """The cached tile of a sample: cropped around result `focus` when given, else the whole image; `square`: on
    a size × size canvas, with labels sized for a tile shown about that large.

    sample: sample_id, file_path. boxes: the sample's results (result_id, change_kind, expert_class, pre_class,
    expert_x.., pre_x..)."""
    path = tile_path(
        job_id=job_id,
        revision=revision,
        sample_id=sample["sample_id"],
        focus=focus,
        size=size,
        crop=crop,
        square=square,
    )
    if cache.touch(path):  # a hit is a use: the disk cache's bound evicts the least recently used tiles first
        return path
    image = open_image(root, sample["file_path"])
    origin: tuple[float, float]
    if focus is not None and crop:
        box = _crop_box(image, boxes.filter(pl.col("result_id") == focus).row(0, named=True))
        image = image.crop(box)
        origin = (box[0], box[1])
    else:
        origin = (0, 0)
    # Crop first, then scale (up as well as down), then draw in tile pixels: overlays stay crisp at any zoom.
    factor = size / max(image.width, image.height)
    # Bicubic after an integer reduce() for big shrinks: alike to the eye at tile size, a third of Lanczos' time.
    image = image.resize(
        (max(1, round(image.width * factor)), max(1, round(image.height * factor))),
        Image.Resampling.BICUBIC,
        reducing_gap=2.0,
    )
    if square:
        canvas = Image.new("RGB", (size, size), LETTERBOX)
        offset = ((size - image.width) // 2, (size - image.height) // 2)
        canvas.paste(image, offset)
        image = canvas
        origin = (origin[0] - offset[0] / factor, origin[1] - offset[1] / factor)
    draw_overlays(
        image,
        boxes,
        overlay,
        focus=focus,
        origin=origin,
        factor=factor,
        label_px=max(11, size // 18) if square else None,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    # A name of this thread's own: the background worker may draw the same tile as a request at the same moment.
    tmp = path.with_suffix(f".{os.getpid()}-{threading.get_ident()}.tmp")
    image.save(tmp, "JPEG", quality=JPEG_QUALITY)
    tmp.replace(path)
    cache.written(path.stat().st_size, path)
    return path


def fetch_originals(root: Root, file_paths: Iterable[str]) -> None:
    """Under a remote root, the originals of a page of tiles fetched at once into the disk cache (drawing them one
    by one would wait for each request in turn); a file that cannot be fetched is left for its tile to name. Local
    files are read where they are: nothing to do."""
    if storage.is_remote(root):
        storage.fetch_many(root, dict.fromkeys(file_paths))


def _crop_box(image: Image.Image, row: dict) -> tuple[int, int, int, int]:
    """A square around the result's expert and pre boxes with context, inside the image."""
    xs, ys = [], []
    for prefix in ("expert_", "pre_"):
        if row.get(f"{prefix}x") is not None:
            xs += [row[f"{prefix}x"], row[f"{prefix}x"] + row[f"{prefix}w"]]
            ys += [row[f"{prefix}y"], row[f"{prefix}y"] + row[f"{prefix}h"]]
    if not xs:
        return (0, 0, image.width, image.height)
    cx, cy = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
    side = max(max(xs) - min(xs), max(ys) - min(ys)) * 1.8 + 48
    side = min(side, max(image.width, image.height))
    left = min(max(cx - side / 2, 0), max(image.width - side, 0))
    top = min(max(cy - side / 2, 0), max(image.height - side, 0))
    return (int(left), int(top), int(min(left + side, image.width)), int(min(top + side, image.height)))


def draw_overlays(
    image: Image.Image,
    boxes: pl.DataFrame,
    overlay: Overlay,
    *,
    focus: int | None,
    origin: tuple[float, float] = (0, 0),
    factor: float = 1.0,
    label_px: int | None = None,
) -> None:
    """Draw the boxes (in source-image pixels) onto `image`, which shows the source from `origin`, scaled by
    `factor`. label_px: the labels' font size (default: in proportion to the image)."""
    draw = ImageDraw.Draw(image, "RGBA")
    scale = max(image.width, image.height) / 512
    font = _font(label_px or max(10, int(12 * scale)))

    def xyxy(row: dict, prefix: str) -> tuple[float, float, float, float]:
        x0, y0, x1, y1 = _xyxy(row, prefix)
        ox, oy = origin
        return ((x0 - ox) * factor, (y0 - oy) * factor, (x1 - ox) * factor, (y1 - oy) * factor)

    rows = list(boxes.iter_rows(named=True))
    focused = [r for r in rows if r["result_id"] == focus]
    if focused:  # dim everything but this result's boxes, so the eye lands on it in a busy scene
        _dim_outside(
            draw, image.size, [xyxy(focused[0], p) for p in ("expert_", "pre_") if focused[0].get(f"{p}x") is not None]
        )
    # The focus result last, so it sits on top of its neighbours.
    rows.sort(key=lambda r: r["result_id"] == focus)
    for row in rows:
        if not any(_visible(xyxy(row, p), image.size) for p in ("expert_", "pre_") if row.get(f"{p}x") is not None):
            continue  # a neighbour outside a cropped tile: nothing of it would show
        strong = row["result_id"] == focus or focus is None
        width = max(2, round(3 * scale)) if strong else max(1, round(1.5 * scale))
        kind = row["change_kind"]
        if row.get("pre_x") is not None:
            color = REMOVED_COLOR if kind == ChangeKind.REMOVED else overlay.color(row["pre_class"])
            _dashed_rectangle(draw, xyxy(row, "pre_"), color, width, dash=round(7 * scale), size=image.size)
            if kind == ChangeKind.REMOVED:
                _tag(draw, xyxy(row, "pre_"), f"x removed {overlay.label(row['pre_class'])}", REMOVED_COLOR, font)
        if row.get("expert_x") is not None:
            color = overlay.color(row["expert_class"])
            draw.rectangle(xyxy(row, "expert_"), outline=color, width=width)
            text = overlay.label(row["expert_class"])
            if kind == ChangeKind.ADDED:
                text = f"+ {text} (added)"
            elif kind == ChangeKind.RELABELED:
                text = f"{overlay.label(row['pre_class'])} -> {text}"  # the bundled font has no arrow glyph
            _tag(draw, xyxy(row, "expert_"), text, color, font)


def _dim_outside(draw: ImageDraw.ImageDraw, size: tuple[int, int], boxes: list[tuple[float, ...]]) -> None:
    if not boxes:
        return
    pad = 4
    x0 = max(min(b[0] for b in boxes) - pad, 0)
    y0 = max(min(b[1] for b in boxes) - pad, 0)
    x1 = min(max(b[2] for b in boxes) + pad, size[0])
    y1 = min(max(b[3] for b in boxes) + pad, size[1])
    shade = (0, 0, 0, 70)
    # Pillow's rectangles include both corners: the four bands must not share a row or column, or it shows.
    x0, y0, x1, y1 = round(x0), round(y0), round(x1), round(y1)
    for rect in (
        (0, 0, size[0], y0 - 1),
        (0, y1 + 1, size[0], size[1]),
        (0, y0, x0 - 1, y1),
        (x1 + 1, y0, size[0], y1),
    ):
        if rect[2] >= rect[0] and rect[3] >= rect[1]:
            draw.rectangle(rect, fill=shade)


def _xyxy(row: dict, prefix: str) -> tuple[float, float, float, float]:
    x, y = row[f"{prefix}x"], row[f"{prefix}y"]
    return (x, y, x + row[f"{prefix}w"], y + row[f"{prefix}h"])


def _tag(draw: ImageDraw.ImageDraw, box: tuple[float, float, float, float], text: str, color: str, font) -> None:
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    w, h = right - left + 6, bottom - top + 4
    x, y = box[0], box[1] - h if box[1] - h >= 0 else box[1]
    draw.rectangle((x, y, x + w, y + h), fill=color)
    draw.text((x + 3, y + 2 - top), text, fill="white", font=font)


def _visible(box: tuple[float, float, float, float], size: tuple[int, int]) -> bool:
    return box[2] >= 0 and box[3] >= 0 and box[0] <= size[0] and box[1] <= size[1]


def _dashed_rectangle(
    draw: ImageDraw.ImageDraw, box, color: str, width: int, *, dash: int, size: tuple[int, int]
) -> None:
    """Each edge dashed where it crosses the image (a dash is a Python call: the off-image part of a neighbour's
    box in a cropped tile was most of a tile's drawing time)."""
    x0, y0, x1, y1 = box
    w, h = size
    cx0, cx1, cy0, cy1 = max(x0, 0), min(x1, w), max(y0, 0), min(y1, h)
    for y in (y0, y1):
        if 0 <= y <= h and cx0 < cx1:
            _dashed_line(draw, (cx0, y), (cx1, y), color, width, dash=max(dash, 3))
    for x in (x0, x1):
        if 0 <= x <= w and cy0 < cy1:
            _dashed_line(draw, (x, cy0), (x, cy1), color, width, dash=max(dash, 3))


def _dashed_line(draw: ImageDraw.ImageDraw, start, end, color: str, width: int, *, dash: int) -> None:
    (xa, ya), (xb, yb) = start, end
    length = max(abs(xb - xa), abs(yb - ya))
    steps = max(1, int(length // (dash * 1.6)))
    for i in range(steps + 1):
        t0 = i * dash * 1.6 / length if length else 0
        t1 = min(t0 + dash / length, 1) if length else 1
        if t0 >= 1:
            break
        draw.line(
            (xa + (xb - xa) * t0, ya + (yb - ya) * t0, xa + (xb - xa) * t1, ya + (yb - ya) * t1),
            fill=color,
            width=width,
        )
