"""What a format reader returns, before the shared rules (core/labels/formats/common.py) make it a CocoDataset."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import polars as pl

from core import storage
from core.images.image_files import IMAGE_SUFFIXES


@dataclass(frozen=True)
class Parsed:
    """images: common.IMAGE_SCHEMA; boxes: common.BOX_SCHEMA, in px, or in fractions of the image's size when
    `normalized`; tags: common.TAG_SCHEMA (classification). `classes`: the class list the file itself carries
    (YOLO's names, CVAT's <meta> labels), None when it has none."""

    images: pl.DataFrame
    boxes: pl.DataFrame
    tags: pl.DataFrame
    classes: list[str] | None = None
    class_source: str = "the label spec"
    normalized: bool = False


@dataclass
class ImageNames:
    """The file names a reader may match its records to: the images under the image root for expert labels (listed
    only if a reader asks), the expert's images for pre-labels."""

    lister: Callable[[], Iterable[str]]

    @cached_property
    def all(self) -> list[str]:
        return list(self.lister())

    @cached_property
    def as_set(self) -> frozenset[str]:
        return frozenset(self.all)


def images_under(root: Path | str | None) -> ImageNames:
    def listing() -> list[str]:
        # A bucket prefix: one listing (core/storage); unreadable, the check says so.
        if root is not None and storage.is_remote(root):
            try:
                return storage.list_files(root, suffixes=IMAGE_SUFFIXES)
            except OSError:
                return []
        if root is None:
            return []
        folder = Path(root)
        if not folder.is_dir():
            return []
        return sorted(
            p.relative_to(folder).as_posix()
            for p in folder.rglob("*")
            if p.suffix.lower() in IMAGE_SUFFIXES and not any(s.startswith(".") for s in p.relative_to(folder).parts)
        )

    return ImageNames(listing)


def fixed_names(names: Iterable[str]) -> ImageNames:
    names = list(names)
    return ImageNames(lambda: names)
