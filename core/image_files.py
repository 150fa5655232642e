"""Checking that every image a label file names exists under the image root and opens in Pillow."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import polars as pl
from PIL import Image, UnidentifiedImageError

from core import limits
from core.errors import BadInput
from core.paths import regular_file, resolve_under

# Decompression bombs: an image whose header promises more pixels than this is refused before any decoding
# (Pillow only warns below twice this size, and its warning filter is not thread-safe).
MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS or 89_478_485

# What counts as an image file in a folder or an uploaded zip.
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"})


def image_size(path: Path) -> tuple[int, int]:
    """(width, height) of a readable image; raises ValueError saying why it is not one."""
    try:
        with Image.open(path) as im:
            refuse_bomb(im)
            size = im.size
            im.verify()  # reads the whole file: catches truncated and corrupt data that the header hides
    except FileNotFoundError:
        raise ValueError("file not found") from None
    except IsADirectoryError:
        raise ValueError("is a folder, not an image") from None
    except UnidentifiedImageError:
        raise ValueError("not an image Pillow can read") from None
    except Image.DecompressionBombError:
        raise ValueError(f"image is too large (more than {MAX_IMAGE_PIXELS:,} pixels)") from None
    except TooLarge as exc:
        raise ValueError(str(exc)) from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ValueError(f"corrupt or truncated image ({exc})") from None
    return size


class TooLarge(ValueError):
    pass


def refuse_bomb(im: Image.Image) -> None:
    """Raises TooLarge when an opened (not yet decoded) image has more pixels than MAX_IMAGE_PIXELS."""
    if im.width * im.height > MAX_IMAGE_PIXELS:
        raise TooLarge(f"image is too large: {im.width:,}x{im.height:,} px, more than {MAX_IMAGE_PIXELS:,} pixels")


def check_images(*, root: Path, label_file: Path, images: pl.DataFrame, record: str = "image") -> pl.DataFrame:
    """images: image_id, file_name and optionally width, height. Returns image_id, width, height as read.

    Every image must exist and open; where the label file states a size it must match the file. `record` names
    what image_id is in the label file's own terms ("image" for a COCO id, "line" for a CSV line number).
    """
    if not root.is_dir():
        raise BadInput(f"{root}: image folder not found")
    probed = _probe_sizes(root, images["file_name"].to_list())
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


def folder_images(root: Path) -> pl.DataFrame:
    """Every image file under `root` (by suffix, hidden files and folders left out), each opened by Pillow:
    file_name (relative, with '/'), width, height, sorted by file_name. A file that is not a readable image, or a
    symbolic link leading out of the folder, is an error naming it."""
    if not root.is_dir():
        raise BadInput(f"{root}: image folder not found")
    names = sorted(
        path.relative_to(root).as_posix() for path in root.rglob("*")
        if path.suffix.lower() in IMAGE_SUFFIXES
        and not any(part.startswith(".") for part in path.relative_to(root).parts)
        and not path.is_dir()
    )
    if not names:
        raise BadInput(f"{root}: no image files ({', '.join(sorted(IMAGE_SUFFIXES))}) in this folder")
    if too_many := limits.too_many(len(names), limits.MAX_IMAGES_PER_JOB, "image files"):
        raise BadInput(f"{root}: {too_many}")
    probed = _probe_sizes(root, names)
    problems = [f"{root}: {name!r}: {outcome}" for name, outcome in zip(names, probed) if isinstance(outcome, str)]
    if problems:
        raise BadInput(problems)
    return pl.DataFrame(
        {"file_name": names, "width": [p[0] for p in probed], "height": [p[1] for p in probed]},
        schema={"file_name": pl.String, "width": pl.Int64, "height": pl.Int64},
    )


def image_folders(root: Path, *, max_depth: int = 4, skip: frozenset[str] = frozenset()) -> list[str]:
    """Folders under `root` (relative, with '/'; "." for root itself) that hold image files directly, by path: what
    a page offers as a new job's images. Hidden folders, those named in `skip` (at the top) and anything deeper
    than `max_depth` are left out; symbolic links are not followed."""
    found = []

    def walk(folder: Path, depth: int) -> None:
        try:
            entries = sorted(folder.iterdir())
        except OSError:
            return
        if any(e.is_file() and e.suffix.lower() in IMAGE_SUFFIXES and not e.name.startswith(".") for e in entries):
            found.append(folder.relative_to(root).as_posix())
        if depth < max_depth:
            for entry in entries:
                if (entry.is_dir() and not entry.is_symlink() and not entry.name.startswith(".")
                        and not (depth == 0 and entry.name in skip)):
                    walk(entry, depth + 1)

    if root.is_dir():
        walk(root, 0)
    return found


def _probe_sizes(root: Path, names: list[str]) -> list[tuple[int, int] | str]:
    """Each image's (width, height), or why it is not a readable image under the root."""

    def probe(name: str) -> tuple[int, int] | str:
        try:
            return image_size(regular_file(resolve_under(root, name)))
        except ValueError as exc:
            return str(exc)

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(probe, names, chunksize=64))
