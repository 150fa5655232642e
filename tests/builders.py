"""Small, real input files for the core tests: images drawn by Pillow, COCO datasets and results, label CSVs.

The standard detection job (`write_detection_job` with its defaults) is small enough to check by hand:

    a.png 100x50                                   b.png 40x40
    e1 cat  [10,10,20,20]  p1 cat [10,10,20,20]     e4 bird [0,0,10,10]    (no pre box)      -> added
        -> unchanged, IoU 1, area 400, factor 1    p4 dog  [20,20,10,10]  (no expert box)   -> removed
    e2 dog  [50,10,20,20]  p2 cat [50,10,20,20]     e5 dog  [0,20,10,10]   p5 dog [0,20,10,20]
        -> relabeled, IoU 1, area 400, factor 1        -> adjusted, IoU 0.5, area 100, factor 0.5
    e3 cat  [0,30,20,10]   p3 cat [0,30,10,10]
        -> adjusted, IoU 0.5, area 200, factor 2
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image
from sqlalchemy import Engine, func, select
from sqlmodel import SQLModel

from core.auth.access import Actor, Role
from core.store import models  # noqa: F401  (registers the tables on SQLModel.metadata)

# Who acts in the store tests: services take the acting user, and refuse a role that may not act.
ADMIN = Actor(name="test-admin", role=Role.ADMIN)


def as_reviewer(name: str) -> Actor:
    return Actor(name=name, role=Role.REVIEWER)


def as_admin(name: str) -> Actor:
    return Actor(name=name, role=Role.ADMIN)


CATEGORIES = [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}, {"id": 3, "name": "bird"}]

IMAGES = [
    {"id": 1, "file_name": "a.png", "width": 100, "height": 50},
    {"id": 2, "file_name": "b.png", "width": 40, "height": 40},
]

EXPERT_ANNOTATIONS = [
    {"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 20]},
    {"id": 2, "image_id": 1, "category_id": 2, "bbox": [50, 10, 20, 20]},
    {"id": 3, "image_id": 1, "category_id": 1, "bbox": [0, 30, 20, 10]},
    {"id": 4, "image_id": 2, "category_id": 3, "bbox": [0, 0, 10, 10]},
    {"id": 5, "image_id": 2, "category_id": 2, "bbox": [0, 20, 10, 10]},
]

# Pre-labels in the COCO results format: ids are the expert file's image and category ids.
PRE_RESULTS = [
    {"image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 20], "score": 0.9},
    {"image_id": 1, "category_id": 1, "bbox": [50, 10, 20, 20], "score": 0.8},
    {"image_id": 1, "category_id": 1, "bbox": [0, 30, 10, 10], "score": 0.7},
    {"image_id": 2, "category_id": 2, "bbox": [20, 20, 10, 10], "score": 0.6},
    {"image_id": 2, "category_id": 2, "bbox": [0, 20, 10, 20], "score": 0.5},
]

# What the standard job must give, result by result: (file, change kind, expert, pre, class changed, IoU,
# area px, area fraction, adjustment factor, pre confidence).
EXPECTED_RESULTS = [
    ("a.png", "unchanged", "cat", "cat", False, 1.0, 400.0, 400 / 5000, 1.0, 0.9),
    ("a.png", "relabeled", "dog", "cat", True, 1.0, 400.0, 400 / 5000, 1.0, 0.8),
    ("a.png", "adjusted", "cat", "cat", False, 0.5, 200.0, 200 / 5000, 2.0, 0.7),
    ("b.png", "added", "bird", None, True, None, 100.0, 100 / 1600, None, None),
    ("b.png", "adjusted", "dog", "dog", False, 0.5, 100.0, 100 / 1600, 0.5, 0.5),
    ("b.png", "removed", None, "dog", True, None, None, None, None, 0.6),
]


def write_image(path: Path, width: int, height: int, *, color: tuple[int, int, int] = (90, 140, 200)) -> Path:
    """A real image file (format from the suffix) of the given size."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (width, height), color).save(path)
    return path


def write_images(images_dir: Path, images: Iterable[dict[str, Any]]) -> Path:
    """One real file per COCO image record, of the size the record states."""
    for image in images:
        write_image(images_dir / image["file_name"], image["width"], image["height"])
    return images_dir


def write_truncated_image(path: Path, width: int = 100, height: int = 50) -> Path:
    """A PNG whose header is intact (so its size reads) but whose data stops halfway."""
    write_image(path, width, height)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


# A phone's portrait photo in small: stored 64x32 with EXIF Orientation 6 ("turn 90° clockwise to show"), so 32x64
# as displayed. Its yellow block fills the stored top-left corner (x 0-16, y 0-8), the top-right corner upright.
ROTATED_STORED_SIZE = (64, 32)
ROTATED_SIZE = (32, 64)
ROTATED_BLOCK = [24.0, 0.0, 8.0, 16.0]  # x, y, w, h as displayed
YELLOW = (250, 220, 20)


def write_rotated_photo(path: Path) -> Path:
    """A JPEG of ROTATED_STORED_SIZE tagged EXIF Orientation 6, with the yellow ROTATED_BLOCK on write_image's blue."""
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.new("RGB", ROTATED_STORED_SIZE, (90, 140, 200))
    image.paste(YELLOW, (0, 0, 16, 8))
    exif = Image.Exif()
    exif[0x0112] = 6
    # 4:4:4 at high quality: the block's colour stays crisp to its edge, so a test can read pixels near it.
    image.save(path, "JPEG", quality=95, subsampling=0, exif=exif.tobytes())
    return path


def write_cut_image(path: Path, *, keep: float, width: int = 320, height: int = 240, **save_options: Any) -> Path:
    """An image of a busy picture (so most of the file is compressed data, not headers), its format from the suffix,
    cut after `keep` of its bytes: its header, and so its size, reads as a whole file's would."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = bytes((i * 7 + (i // (3 * width)) * 13) % 256 for i in range(width * height * 3))
    Image.frombytes("RGB", (width, height), pixels).save(path, **save_options)
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def coco_dataset(
    images: Sequence[dict[str, Any]], annotations: Sequence[dict[str, Any]], categories: Sequence[dict[str, Any]]
) -> dict[str, Any]:
    return {"images": list(images), "annotations": list(annotations), "categories": list(categories)}


def write_json(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@dataclass(frozen=True)
class DetectionFiles:
    images_dir: Path
    expert_path: Path
    pre_path: Path


def write_detection_job(
    root: Path,
    *,
    images: Sequence[dict[str, Any]] = IMAGES,
    expert_annotations: Sequence[dict[str, Any]] = EXPERT_ANNOTATIONS,
    categories: Sequence[dict[str, Any]] = CATEGORIES,
    pre: Any = PRE_RESULTS,
    image_files: Sequence[dict[str, Any]] | None = None,
) -> DetectionFiles:
    """Images, expert.json (COCO dataset) and pre.json (COCO results by default; any JSON value given) under root.

    `image_files` are the records to draw files for (default: `images`), so a test can leave one out or lie."""
    root.mkdir(parents=True, exist_ok=True)
    images_dir = write_images(root / "images", images if image_files is None else image_files)
    expert_path = write_json(root / "expert.json", coco_dataset(images, expert_annotations, categories))
    pre_path = write_json(root / "pre.json", pre)
    return DetectionFiles(images_dir=images_dir, expert_path=expert_path, pre_path=pre_path)


def pre_as_dataset(*, extra_class: bool = False) -> dict[str, Any]:
    """The standard pre-labels as a COCO dataset with its own image and category ids (matched by file name and
    class name); with `extra_class`, one more box of a class the expert file does not know ("truck")."""
    images = [
        {"id": 10 + im["id"], "file_name": im["file_name"], "width": im["width"], "height": im["height"]}
        for im in reversed(IMAGES)
    ]
    categories = [{"id": 20 + c["id"], "name": c["name"]} for c in CATEGORIES]
    annotations = [
        {
            "id": 100 + i,
            "image_id": 10 + r["image_id"],
            "category_id": 20 + r["category_id"],
            "bbox": r["bbox"],
            "score": r["score"],
        }
        for i, r in enumerate(PRE_RESULTS, 1)
    ]
    if extra_class:
        categories.append({"id": 7, "name": "truck", "display_name": "Truck"})
        annotations.append({"id": 200, "image_id": 11, "category_id": 7, "bbox": [80, 0, 20, 10], "score": 0.4})
    return coco_dataset(images, annotations, categories)


CLASSIFICATION_ROWS = [
    # file_path, pre_label, expert_label, confidence
    ("c1.png", "apple", "apple", "0.9"),
    ("c2.png", "apple", "pear", "0.6"),
    ("c3.png", "pear", "pear", ""),
    ("c4.png", "plum", "apple", "0.3"),
]


@dataclass(frozen=True)
class ClassificationFiles:
    images_dir: Path
    csv_path: Path


def write_csv(
    path: Path,
    rows: Iterable[Sequence[str]],
    *,
    header: Sequence[str] = ("file_path", "pre_label", "expert_label", "confidence"),
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_classification_job(
    root: Path,
    *,
    rows: Sequence[Sequence[str]] = CLASSIFICATION_ROWS,
    header: Sequence[str] = ("file_path", "pre_label", "expert_label", "confidence"),
    size: tuple[int, int] = (32, 24),
) -> ClassificationFiles:
    """labels.csv and one 32x24 image per distinct file_path (safe names only)."""
    images_dir = root / "images"
    images_dir.mkdir(parents=True, exist_ok=True)
    for name in {r[0] for r in rows if r and r[0] and ".." not in r[0] and not r[0].startswith("/")}:
        write_image(images_dir / name, *size)
    return ClassificationFiles(images_dir=images_dir, csv_path=write_csv(root / "labels.csv", rows, header=header))


def table_counts(engine: Engine) -> dict[str, int]:
    """Row counts of every table of the store: a snapshot to compare before and after a refused import."""
    with engine.connect() as conn:
        return {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in SQLModel.metadata.sorted_tables
        }


def job_rows(engine: Engine, job_id: int) -> dict[str, list[tuple]]:
    """Everything stored for one job (the job row, its samples, results and review decisions), to show it is
    intact."""
    tables = {
        "labeljob": models.LabelJob.__table__,
        "sample": models.Sample.__table__,
        "result": models.Result.__table__,
        "reviewstate": models.ReviewState.__table__,
    }
    out = {}
    with engine.connect() as conn:
        for name, table in tables.items():
            key = table.c.id if name == "labeljob" else table.c.job_id
            order = table.c.result_id if name == "reviewstate" else table.c.id
            out[name] = [tuple(r) for r in conn.execute(select(table).where(key == job_id).order_by(order))]
    return out
