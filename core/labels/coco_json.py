"""COCO JSON decoded straight into typed columns, the fast way: msgspec reads each record into a small typed struct
(no dict per record, no float list per box, nothing the garbage collector tracks) and numpy lifts the columns out
of those. Strict types make this path accept only what the careful reader (core.labels.label_files.records_frame) accepts
too, with the same frames; anything else (a missing field, a string id, NaN, a NUL byte, not UTF-8, ...) gives
None, and the caller reads the file the careful way, which names every bad record."""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path

import msgspec
import numpy as np
import polars as pl

from core.files.paths import regular_file

_BOM = b"\xef\xbb\xbf"
_FIRST_TOKEN = re.compile(rb"[^ \t\r\n]")


class _Box(msgspec.Struct, array_like=True, forbid_unknown_fields=True, gc=False):
    x: float
    y: float
    w: float
    h: float


class _Image(msgspec.Struct, gc=False):
    id: int
    file_name: str
    width: int
    height: int


class _Category(msgspec.Struct, gc=False):
    id: int
    name: str
    display_name: str | None = None


class _Annotation(msgspec.Struct, gc=False):
    id: int
    image_id: int
    category_id: int
    bbox: _Box
    score: float | None = None


class _Detection(msgspec.Struct, gc=False):
    image_id: int
    category_id: int
    bbox: _Box
    score: float | None = None


class _Dataset(msgspec.Struct, gc=False):
    images: list[_Image]
    annotations: list[_Annotation]
    categories: list[_Category]


@dataclass(frozen=True)
class DatasetColumns:
    """The frames records_frame makes of a dataset's sections (before renames): images id, file_name, width,
    height; categories id, name, display_name; annotations id, image_id, category_id, x, y, w, h, score."""

    images: pl.DataFrame
    categories: pl.DataFrame
    annotations: pl.DataFrame


@dataclass(frozen=True)
class Decoded:
    """A label file read by the fast path: `dataset` for a JSON object, `results` (image_id, category_id, x, y, w,
    h, score) for a JSON list; both None when the careful reader must read it."""

    dataset: DatasetColumns | None = None
    results: pl.DataFrame | None = None


_REFUSED = Decoded()


@contextmanager
def paused_gc() -> Iterator[None]:
    """No collection while a label file becomes frames: a parse allocates millions of objects and frees none, and
    each collection it triggers walks everything alive (the standard library's parser ran twice as long with it).
    No gc.freeze: in a long-lived app server it would keep whatever is alive now out of every later collection."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def decode(path: Path, *, dataset_only: bool = False) -> Decoded:
    """A COCO dataset (a JSON object) or results list (a JSON list; refused when `dataset_only`), each file read
    once; Decoded() when the careful reader must read it (including every unreadable file: it says why)."""
    try:
        raw = regular_file(path).read_bytes()
    except (OSError, ValueError):
        return _REFUSED
    start = len(_BOM) if raw.startswith(_BOM) else 0
    first = _FIRST_TOKEN.search(raw, start)
    kind = raw[first.start() : first.start() + 1] if first else b""
    if kind not in (b"{", b"[") or (dataset_only and kind != b"{"):
        return _REFUSED
    try:
        if kind == b"{":
            dataset = msgspec.json.decode(memoryview(raw)[start:], type=_Dataset)
            del raw  # the records are copies: the file's bytes can go before the columns are built
            return Decoded(dataset=_dataset_columns(dataset))
        detections = msgspec.json.decode(memoryview(raw)[start:], type=list[_Detection])
        del raw
        return Decoded(results=_detection_columns(detections))
    except (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError, OverflowError, _NotAsStrict):
        return _REFUSED


class _NotAsStrict(Exception):
    """Typed, yet something the careful reader refuses (a NUL byte, a non-finite number)."""


def _dataset_columns(dataset: _Dataset) -> DatasetColumns:
    images, categories = dataset.images, dataset.categories
    image_frame = pl.DataFrame(
        {
            "id": _ints(images, "id"),
            "file_name": _strings(images, "file_name"),
            "width": _ints(images, "width"),
            "height": _ints(images, "height"),
        }
    )
    category_frame = pl.DataFrame(
        {
            "id": _ints(categories, "id"),
            "name": _strings(categories, "name"),
            "display_name": _strings(categories, "display_name"),
        }
    )
    return DatasetColumns(
        images=image_frame,
        categories=category_frame,
        annotations=_box_columns(dataset.annotations, ("id", "image_id", "category_id")),
    )


def _detection_columns(detections: list[_Detection]) -> pl.DataFrame:
    return _box_columns(detections, ("image_id", "category_id"))


def _box_columns(records: list, id_fields: tuple[str, ...]) -> pl.DataFrame:
    """Column by column, each a numpy array filled straight from the records (no list per column)."""
    columns: dict[str, pl.Series] = {name: pl.Series(name, _ints(records, name)) for name in id_fields}
    for name in ("x", "y", "w", "h"):
        columns[name] = pl.Series(name, _floats(records, f"bbox.{name}"))
    scores = pl.Series("score", list(map(attrgetter("score"), records)), dtype=pl.Float64, strict=True)
    if not np.isfinite(scores.drop_nulls().to_numpy()).all():
        raise _NotAsStrict("score")
    columns["score"] = scores
    return pl.DataFrame(columns, height=len(records))


def _ints(records: list, field: str) -> np.ndarray:
    return np.fromiter(map(attrgetter(field), records), dtype=np.int64, count=len(records))


def _floats(records: list, field: str) -> np.ndarray:
    values = np.fromiter(map(attrgetter(field), records), dtype=np.float64, count=len(records))
    if not np.isfinite(values).all():
        raise _NotAsStrict(field)
    return values


def _strings(records: list, field: str) -> pl.Series:
    values = pl.Series(field, list(map(attrgetter(field), records)), dtype=pl.String, strict=True)
    if values.str.contains("\x00", literal=True).any():
        raise _NotAsStrict(field)  # no database text column stores one (PostgreSQL refuses it)
    return values
