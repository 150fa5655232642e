"""Checking that every image a label file names exists under the image root and opens in Pillow."""

from __future__ import annotations

import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import polars as pl
from PIL import Image, UnidentifiedImageError

from core.errors import BadInput
from core.paths import resolve_under

# Pillow's own guard against decompression bombs, turned from a warning into a refusal.
MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS or 89_478_485


def image_size(path: Path) -> tuple[int, int]:
    """(width, height) of a readable image; raises ValueError saying why it is not one."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                size = im.size
                im.verify()  # reads the whole file: catches truncated and corrupt data that the header hides
    except FileNotFoundError:
        raise ValueError("file not found") from None
    except IsADirectoryError:
        raise ValueError("is a folder, not an image") from None
    except UnidentifiedImageError:
        raise ValueError("not an image Pillow can read") from None
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise ValueError(f"image is too large (more than {MAX_IMAGE_PIXELS:,} pixels)") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ValueError(f"corrupt or truncated image ({exc})") from None
    return size


def check_images(*, root: Path, label_file: Path, images: pl.DataFrame, record: str = "image") -> pl.DataFrame:
    """images: image_id, file_name and optionally width, height. Returns image_id, width, height as read.

    Every image must exist and open; where the label file states a size it must match the file. `record` names
    what image_id is in the label file's own terms ("image" for a COCO id, "line" for a CSV line number).
    """
    if not root.is_dir():
        raise BadInput(f"{root}: image folder not found")
    names = images["file_name"].to_list()

    def probe(name: str) -> tuple[int, int] | str:
        try:
            return image_size(resolve_under(root, name))
        except ValueError as exc:
            return str(exc)

    with ThreadPoolExecutor(max_workers=8) as pool:
        probed = list(pool.map(probe, names, chunksize=64))
    problems = []
    for row, outcome in zip(images.iter_rows(named=True), probed):
        where = f"{label_file}: {record} {row['image_id']} {row['file_name']!r} (under {root})"
        if isinstance(outcome, str):
            problems.append(f"{where}: {outcome}")
        elif row.get("width") is not None and (row["width"], row["height"]) != outcome:
            problems.append(
                f"{where}: the file is {outcome[0]}x{outcome[1]} but the label file says {row['width']}x{row['height']}"
            )
    if problems:
        raise BadInput(problems)
    return pl.DataFrame(
        {
            "image_id": images["image_id"],
            "width": [size[0] for size in probed],
            "height": [size[1] for size in probed],
        },
        schema={"image_id": pl.Int64, "width": pl.Int64, "height": pl.Int64},
    )
