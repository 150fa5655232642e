"""Checking that every image a label file names exists under the image root, reads in full in Pillow (a cut file is
refused) and has the size the labels say, as it is displayed (its EXIF orientation applied: core/images/orientation.py)."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import polars as pl
from PIL import Image, UnidentifiedImageError

from core import storage
from core.domain import limits
from core.domain.errors import BadInput
from core.files.paths import regular_file, resolve_under
from core.images.orientation import displayed_size, orientation
from core.storage import Root

Progress = Callable[[int, int], None]  # (images checked, of how many)

# Decompression bombs: an image whose header promises more pixels than this is refused before any decoding
# (Pillow only warns below twice this size, and its warning filter is not thread-safe).
MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS or 89_478_485

# What counts as an image file in a folder or an uploaded zip.
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"})

# What Pillow's decoders raise for damaged data, besides OSError: each means "not a readable image".
DAMAGED = (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error, zlib.error)


@dataclass(frozen=True)
class ImageSize:
    """An image's size as displayed: the size label coordinates refer to."""

    width: int
    height: int
    turn: int = 1  # its EXIF orientation; 5-8 swap the stored width and height

    def __str__(self) -> str:
        if self.turn == 1:
            return f"{self.width}x{self.height}"
        stored = displayed_size((self.width, self.height), self.turn)
        return (
            f"{self.width}x{self.height} as displayed (stored {stored[0]}x{stored[1]}, EXIF orientation "
            f"{self.turn}; labels refer to the displayed image)"
        )


def image_size(path: Path) -> ImageSize:
    """The size of a readable image as displayed; raises ValueError saying why it is not one."""
    try:
        with Image.open(path) as im:
            refuse_bomb(im)
            stored = im.size
            turn = read_all_data(im)
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
    except DAMAGED as exc:
        raise ValueError(f"corrupt or truncated image ({exc})") from None
    return ImageSize(*displayed_size(stored, turn), turn=turn)


def read_all_data(im: Image.Image) -> int:
    """Reads every byte of the opened image's data, so a truncated or corrupt file is refused by the check and not by
    a tile later (Image.open reads only the header, intact in a cut file); returns the image's EXIF orientation.
    Relies on ImageFile.LOAD_TRUNCATED_IMAGES staying False, Pillow's default, which nothing here sets."""
    if im.format == "PNG":
        # Every PNG chunk carries a CRC: verify() reads and checks them all without inflating the pixels, at a 40th of
        # the cost of a decode. The orientation is read first, from the chunks before the pixels (where PNG puts
        # eXIf): afterwards Pillow could only get it by decoding.
        turn = orientation(im) if {"exif", "XML:com.adobe.xmp"} & im.info.keys() else 1
        im.verify()
        return turn
    # A JPEG is decoded at 1/8 scale in grey: libjpeg still reads every coefficient, but skips most of the inverse
    # DCT, the chroma and the colour conversion (half the cost of a full decode). Other formats ignore the draft.
    im.draft("L", (1, 1))
    im.load()
    return orientation(im)


class TooLarge(ValueError):
    pass


def refuse_bomb(im: Image.Image) -> None:
    """Raises TooLarge when an opened (not yet decoded) image has more pixels than MAX_IMAGE_PIXELS."""
    if im.width * im.height > MAX_IMAGE_PIXELS:
        raise TooLarge(f"image is too large: {im.width:,}x{im.height:,} px, more than {MAX_IMAGE_PIXELS:,} pixels")


def check_images(
    *, root: Root, label_file: Path | str, images: pl.DataFrame, record: str = "image", progress: Progress | None = None
) -> pl.DataFrame:
    """images: image_id, file_name and optionally width, height. Returns image_id, width, height as read.

    Every image must exist and open; where the label file states a size it must match the file. `record` names
    what image_id is in the label file's own terms ("image" for a COCO id, "line" for a CSV line number). Under a
    remote root (core/storage) each object is fetched once, many at a time, into the disk cache the tiles then
    read. progress(done, total) follows the checks.
    """
    _refuse_unreachable(root)
    probed = _probe_sizes(root, images["file_name"].to_list(), progress=progress)
    problems = []
    shown_root = storage.describe(root)
    for row, outcome in zip(images.iter_rows(named=True), probed):
        where = f"{label_file}: {record} {row['image_id']} {row['file_name']!r} (under {shown_root})"
        if isinstance(outcome, str):
            problems.append(f"{where}: {outcome}")
        elif row.get("width") is not None and (row["width"], row["height"]) != (outcome.width, outcome.height):
            problems.append(f"{where}: the file is {outcome} but the label file says {row['width']}x{row['height']}")
    if problems:
        raise BadInput(problems)
    sizes = [size for size in probed if not isinstance(size, str)]  # each, with no problem
    return pl.DataFrame(
        {
            "image_id": images["image_id"],
            "width": [size.width for size in sizes],
            "height": [size.height for size in sizes],
        },
        schema={"image_id": pl.Int64, "width": pl.Int64, "height": pl.Int64},
    )


def folder_images(root: Root, *, progress: Progress | None = None) -> pl.DataFrame:
    """Every image file under `root`, a folder or a bucket prefix (by suffix, hidden files and folders left out),
    each opened by Pillow: file_name (relative, with '/'), width, height, sorted by file_name. A file that is not a
    readable image, or a symbolic link leading out of the folder, is an error naming it."""
    if storage.is_remote(root):
        _refuse_unreachable(root)
        try:
            names = storage.list_files(root, suffixes=IMAGE_SUFFIXES)
        except (FileNotFoundError, OSError) as exc:
            raise BadInput(f"{storage.describe(root)}: cannot be listed ({exc})") from None
    else:
        root = Path(root)
        if not root.is_dir():
            raise BadInput(f"{root}: image folder not found")
        names = sorted(
            path.relative_to(root).as_posix()
            for path in root.rglob("*")
            if path.suffix.lower() in IMAGE_SUFFIXES
            and not any(part.startswith(".") for part in path.relative_to(root).parts)
            and not path.is_dir()
        )
    shown_root = storage.describe(root)
    if not names:
        raise BadInput(f"{shown_root}: no image files ({', '.join(sorted(IMAGE_SUFFIXES))}) in this folder")
    if too_many := limits.too_many(len(names), limits.MAX_IMAGES_PER_JOB, "image files"):
        raise BadInput(f"{shown_root}: {too_many}")
    probed = _probe_sizes(root, names, progress=progress)
    problems = [
        f"{shown_root}: {name!r}: {outcome}" for name, outcome in zip(names, probed) if isinstance(outcome, str)
    ]
    if problems:
        raise BadInput(problems)
    sizes = [size for size in probed if not isinstance(size, str)]  # each, with no problem
    return pl.DataFrame(
        {"file_name": names, "width": [p.width for p in sizes], "height": [p.height for p in sizes]},
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
                if (
                    entry.is_dir()
                    and not entry.is_symlink()
                    and not entry.name.startswith(".")
                    and not (depth == 0 and entry.name in skip)
                ):
                    walk(entry, depth + 1)

    if root.is_dir():
        walk(root, 0)
    return found


def _refuse_unreachable(root: Root) -> None:
    """BadInput naming the root (never a credential) when its folder or bucket prefix cannot be read at all: one
    message rather than one per image."""
    if not storage.is_remote(root):
        if not Path(root).is_dir():
            raise BadInput(f"{root}: image folder not found")
        return
    ok, detail = storage.reachable(root)
    if not ok:
        raise BadInput(detail)


def _probe_sizes(root: Root, names: list[str], *, progress: Progress | None = None) -> list[ImageSize | str]:
    """Each image's size as displayed, or why it is not a readable image under the root."""
    if storage.is_remote(root):
        return _probe_remote(root, names, progress)

    def probe(name: str) -> ImageSize | str:
        try:
            return image_size(regular_file(resolve_under(Path(root), name)))
        except ValueError as exc:
            return str(exc)

    report = _each_percent(progress, len(names))
    with ThreadPoolExecutor(max_workers=8) as pool:
        probed = []
        for outcome in pool.map(probe, names, chunksize=64):
            probed.append(outcome)
            report(len(probed))
        return probed


def _probe_remote(root: str, names: list[str], progress: Progress | None) -> list[ImageSize | str]:
    """Each object fetched once into the disk cache and read there, FETCH_WORKERS at a time: a thread waits on
    the network most of its time, and Pillow releases the GIL while it decodes."""

    def probe(name: str) -> ImageSize | str:
        try:
            return image_size(storage.local_file(root, name))
        except FileNotFoundError:
            return "file not found"
        except (ValueError, OSError) as exc:
            return str(exc)

    probed: list[ImageSize | str] = [""] * len(names)
    report = _each_percent(progress, len(names))
    with ThreadPoolExecutor(max_workers=storage.FETCH_WORKERS) as pool:
        futures = {pool.submit(probe, name): i for i, name in enumerate(names)}
        for done, future in enumerate(as_completed(futures), 1):
            probed[futures[future]] = future.result()
            report(done)
    return probed


def _each_percent(progress: Progress | None, total: int) -> Callable[[int], None]:
    """Calls progress(done, total) when another percent is done, and at the end: a 10k-image check prints a
    hundred lines, not ten thousand."""

    def report(done: int) -> None:
        if progress and (done == total or done * 100 // total != (done - 1) * 100 // total):
            progress(done, total)

    return report
