"""COCO label files: the dataset format (images, categories, annotations) and the results format (a list of
detections with scores, as an auto label job emits). Everything is validated before anything is written."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import cast

import polars as pl

from core.domain import limits
from core.domain.errors import BadInput
from core.domain.names import frame_name_problems
from core.files.paths import unsafe_reason
from core.labels import coco_json
from core.labels.label_files import FieldSpec, duplicates, read_json, records_frame

# Real COCO files often have boxes a hair past the border from float rounding; up to this much is clipped.
BOX_TOLERANCE_PX = 1.0

# No camera or scanner makes larger images; a size beyond it is a broken file (and would not fit the store's
# 32-bit width and height on PostgreSQL).
MAX_IMAGE_SIDE = 1_000_000
IMAGE_FIELDS = (
    FieldSpec("id", "int"),
    FieldSpec("file_name", "str"),
    FieldSpec("width", "int"),
    FieldSpec("height", "int"),
)
CATEGORY_FIELDS = (FieldSpec("id", "int"), FieldSpec("name", "str"), FieldSpec("display_name", "str", required=False))
ANNOTATION_FIELDS = (
    FieldSpec("id", "int"),
    FieldSpec("image_id", "int"),
    FieldSpec("category_id", "int"),
    FieldSpec("bbox", "bbox"),
    FieldSpec("score", "float", required=False),
)
RESULT_FIELDS = (
    FieldSpec("image_id", "int"),
    FieldSpec("category_id", "int"),
    FieldSpec("bbox", "bbox"),
    FieldSpec("score", "float", required=False),
)


@dataclass(frozen=True)
class CocoDataset:
    """images: image_id, file_name, width, height. categories: category_id, name, display_name.
    boxes: ann_id, image_id, category_id, x, y, w, h, score."""

    path: Path | str  # the label file; for a reference dataset (core.labels.pre_labels), maybe an image root URL
    images: pl.DataFrame
    categories: pl.DataFrame
    boxes: pl.DataFrame


def load_dataset(path: Path) -> CocoDataset:
    with coco_json.paused_gc():
        decoded = coco_json.decode(path, dataset_only=True)
        if decoded.dataset is not None:
            return _checked_dataset(path, decoded.dataset)
        return _dataset_from(path, read_json(path))


def _dataset_from(path: Path, data: object) -> CocoDataset:
    """The careful reader: every malformed record named."""
    if not isinstance(data, dict):
        raise BadInput(f"{path}: expected a COCO dataset (an object with images, annotations, categories)")
    missing = [k for k in ("images", "annotations", "categories") if k not in data]
    if missing:
        raise BadInput(f"{path}: not a COCO dataset: missing {', '.join(repr(k) for k in missing)}")
    _refuse_oversized(path, data)
    images = _images(path, _records(path, data["images"], "images", IMAGE_FIELDS))
    categories = _categories(path, _records(path, data["categories"], "categories", CATEGORY_FIELDS))
    annotations = _records(path, data["annotations"], "annotations", ANNOTATION_FIELDS)
    return _dataset(path, images, categories, annotations)


def _checked_dataset(path: Path, columns: coco_json.DatasetColumns) -> CocoDataset:
    """A dataset the fast path read: every record well typed, so the checks past the records are what is left."""
    _refuse_too_many(path, {"images": columns.images.height, "categories": columns.categories.height})
    images = _images(path, columns.images)
    categories = _categories(path, columns.categories)
    return _dataset(path, images, categories, columns.annotations)


def _dataset(path: Path, images: pl.DataFrame, categories: pl.DataFrame, annotations: pl.DataFrame) -> CocoDataset:
    annotations = annotations.rename({"id": "ann_id"})
    if annotations["ann_id"].n_unique() < annotations.height:  # the cheap test first: most files have no twins
        for ann_id in duplicates(annotations, "ann_id").head(BadInput.MAX_SHOWN):
            raise BadInput(f"{path}: annotation id {ann_id} appears more than once")
    boxes = _checked_boxes(path, annotations, images, categories)
    return CocoDataset(path=path, images=images, categories=categories, boxes=boxes)


def _records(path: Path, records: object, section: str, fields: tuple[FieldSpec, ...]) -> pl.DataFrame:
    return records_frame(records, fields=fields, where=lambda i, r: _where(path, section, i, r))


def load_image_list(path: Path) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """The images (and the categories, when it has them) of a COCO file whose annotations may be missing: the
    image list that a file of detections in the results format refers to."""
    data = read_json(path)
    if not isinstance(data, dict) or "images" not in data:
        raise BadInput(f"{path}: expected a COCO file with 'images' (and optionally 'categories')")
    _refuse_oversized(path, data)
    categories = (
        _categories(path, _records(path, data["categories"], "categories", CATEGORY_FIELDS))
        if data.get("categories")
        else None
    )
    return _images(path, _records(path, data["images"], "images", IMAGE_FIELDS)), categories


def load_pre_labels(path: Path, *, expert: CocoDataset) -> CocoDataset:
    """Pre-labels in either COCO format, the file parsed once. The results format refers to the expert file's
    image and category ids; the dataset format is matched to the expert images by file name and to the expert
    classes by name."""
    with coco_json.paused_gc():
        decoded = coco_json.decode(path)
        if decoded.dataset is not None:
            return _aligned_to(_checked_dataset(path, decoded.dataset), expert)
        if decoded.results is not None:
            return _pre_results(path, decoded.results, expert)
        data = read_json(path)
        if isinstance(data, dict):
            return _aligned_to(_dataset_from(path, data), expert)
        return _pre_results(path, _records(path, data, "results", RESULT_FIELDS), expert)


def _pre_results(path: Path, results: pl.DataFrame, expert: CocoDataset) -> CocoDataset:
    results = results.with_row_index("ann_id", offset=1).with_columns(pl.col("ann_id").cast(pl.Int64))
    boxes = _checked_boxes(path, results, expert.images, expert.categories)
    return CocoDataset(path=path, images=expert.images, categories=expert.categories, boxes=boxes)


def _refuse_oversized(path: Path, data: dict) -> None:
    """Counted before a record becomes a row, so a runaway file is refused in a second (core/domain/limits.py)."""
    _refuse_too_many(
        path,
        {section: len(data[section]) for section in ("images", "categories") if isinstance(data.get(section), list)},
    )


def _refuse_too_many(path: Path, counts: dict[str, int]) -> None:
    limit = {"images": limits.MAX_IMAGES_PER_JOB, "categories": limits.MAX_CLASSES}
    problems = [
        f"{path}: '{section}': {problem}"
        for section, count in counts.items()
        if (problem := limits.too_many(count, limit[section], section))
    ]
    if problems:
        raise BadInput(problems)


def _where(path: Path, section: str, index: int, record: object) -> str:
    if index < 0:
        return f"{path}: '{section}'"
    ident = record.get("id") if isinstance(record, dict) else None
    return f"{path}: {section}[{index}]" + (f" (id {ident})" if ident is not None else "")


def _images(path: Path, images: pl.DataFrame) -> pl.DataFrame:
    images = images.rename({"id": "image_id"})
    problems = [f"{path}: image id {i} appears more than once" for i in duplicates(images, "image_id")]
    problems += [f"{path}: file name {n!r} appears more than once" for n in duplicates(images, "file_name")]
    suspicious = images.filter(pl.col("file_name").str.contains(r"(^[/\\])|(\.\.)|(^[A-Za-z]:)|\x00|^\s*$"))
    for image_id, name in suspicious.select("image_id", "file_name").iter_rows():
        reason = unsafe_reason(name)
        if reason:
            problems.append(f"{path}: image {image_id} {name!r}: {reason}")
    for image_id, name, w, h in images.filter((pl.col("width") <= 0) | (pl.col("height") <= 0)).iter_rows():
        problems.append(f"{path}: image {image_id} {name!r}: width and height must be positive, got {w}x{h}")
    too_large = (pl.col("width") > MAX_IMAGE_SIDE) | (pl.col("height") > MAX_IMAGE_SIDE)
    for image_id, name, w, h in images.filter(too_large).iter_rows():
        problems.append(f"{path}: image {image_id} {name!r}: {w}x{h} px; no side may exceed {MAX_IMAGE_SIDE:,} px")
    if problems:
        raise BadInput(problems)
    return images


def _categories(path: Path, categories: pl.DataFrame) -> pl.DataFrame:
    categories = categories.rename({"id": "category_id"}).with_columns(
        pl.col("name").str.strip_chars(),
        pl.coalesce(pl.col("display_name"), pl.col("name")).str.strip_chars().alias("display_name"),
    )
    problems = [f"{path}: category id {c} appears more than once" for c in duplicates(categories, "category_id")]
    problems += [f"{path}: category name {n!r} appears more than once" for n in duplicates(categories, "name")]
    problems += [
        f"{path}: category {c} has an empty name" for c in categories.filter(pl.col("name") == "")["category_id"]
    ]
    where = pl.format("{}: category {}", pl.lit(str(path)), "category_id")
    problems += frame_name_problems(categories, column="name", where=where, what="name")
    problems += frame_name_problems(
        categories.filter(pl.col("display_name") != pl.col("name")),
        column="display_name",
        where=where,
        what="display_name",
    )
    if categories.is_empty():
        problems.append(f"{path}: 'categories' is empty; a label spec needs at least one class")
    if problems:
        raise BadInput(problems)
    return categories


def _checked_boxes(path: Path, boxes: pl.DataFrame, images: pl.DataFrame, categories: pl.DataFrame) -> pl.DataFrame:
    """Unknown ids and boxes that are empty or outside their image are errors; a sliver past the border is clipped."""
    crowded = boxes.group_by("image_id").len().filter(pl.col("len") > limits.MAX_BOXES_PER_IMAGE).sort("image_id")
    if crowded.height:
        raise BadInput(
            [
                f"{path}: image {i}: {limits.too_many(n, limits.MAX_BOXES_PER_IMAGE, 'boxes on one image')}"
                for i, n in crowded.iter_rows()
            ]
        )
    # File order is the matcher's tie-break order, so every join here keeps the boxes' order.
    joined = boxes.join(images, on="image_id", how="left", maintain_order="left").with_columns(
        pl.col("category_id").is_in(categories["category_id"].implode()).alias("known_category")
    )
    label = (
        pl.format("{}: annotation {} (image {}", pl.lit(str(path)), pl.col("ann_id"), pl.col("image_id"))
        + pl.when(pl.col("file_name").is_not_null()).then(pl.format(" '{}'", pl.col("file_name"))).otherwise(pl.lit(""))
        + pl.lit(")")
    )
    box = pl.format("[{}, {}, {}, {}]", "x", "y", "w", "h")
    tol = BOX_TOLERANCE_PX
    outside = (
        (pl.col("x") < -tol)
        | (pl.col("y") < -tol)
        | (pl.col("x") + pl.col("w") > pl.col("width") + tol)
        | (pl.col("y") + pl.col("h") > pl.col("height") + tol)
    )
    checks = [
        (pl.col("file_name").is_null(), pl.format("{}: unknown image id {}", label, pl.col("image_id"))),
        (~pl.col("known_category"), pl.format("{}: unknown category id {}", label, pl.col("category_id"))),
        ((pl.col("w") <= 0) | (pl.col("h") <= 0), pl.format("{}: box {} has non-positive width or height", label, box)),
        (
            pl.col("file_name").is_not_null() & outside,
            pl.format("{}: box {} lies outside the {}x{} image", label, box, pl.col("width"), pl.col("height")),
        ),
    ]
    # Messages are formatted for the bad rows alone: formatting them for a million good boxes took longer than
    # the checks themselves.
    bad_rows = joined.filter(pl.any_horizontal([bad.fill_null(False) for bad, _ in checks]))
    if bad_rows.height:
        problems = (
            bad_rows.select(
                pl.concat_list([pl.when(bad).then(message) for bad, message in checks]).list.drop_nulls().alias("p")
            )["p"]
            .explode()
            .drop_nulls()
        )
        raise BadInput(problems.to_list())
    x0 = pl.col("x").clip(0, pl.col("width"))
    y0 = pl.col("y").clip(0, pl.col("height"))
    x1 = (pl.col("x") + pl.col("w")).clip(0, pl.col("width"))
    y1 = (pl.col("y") + pl.col("h")).clip(0, pl.col("height"))
    return joined.select(
        "ann_id",
        "image_id",
        "category_id",
        x0.alias("x"),
        y0.alias("y"),
        (x1 - x0).alias("w"),
        (y1 - y0).alias("h"),
        pl.col("score") if "score" in joined.columns else pl.lit(None, pl.Float64).alias("score"),
    )


def _aligned_to(pre: CocoDataset, expert: CocoDataset) -> CocoDataset:
    """Re-key a pre-label dataset onto the expert file's image ids (by file name) and category ids (by name)."""
    image_map = pre.images.join(
        expert.images.select(
            "file_name",
            pl.col("image_id").alias("expert_image_id"),
            pl.col("width").alias("expert_width"),
            pl.col("height").alias("expert_height"),
        ),
        on="file_name",
        how="left",
    )
    problems = [
        f"{pre.path}: image {i} {n!r} is not among the expert's images"
        for i, n in image_map.filter(pl.col("expert_image_id").is_null()).select("image_id", "file_name").iter_rows()
    ]
    # Pre boxes were checked against the pre file's sizes; those must be the image's real (the expert's) size.
    resized = image_map.filter(
        (pl.col("width") != pl.col("expert_width")) | (pl.col("height") != pl.col("expert_height"))
    )
    problems += [
        f"{pre.path}: image {i} {n!r} is {w}x{h} here but {ew}x{eh} in {Path(expert.path).name}"
        for i, n, w, h, ew, eh in resized.select(
            "image_id", "file_name", "width", "height", "expert_width", "expert_height"
        ).iter_rows()
    ]
    category_map = pre.categories.join(
        expert.categories.select("name", pl.col("category_id").alias("expert_category_id")), on="name", how="left"
    )
    new_categories = category_map.filter(pl.col("expert_category_id").is_null())
    classes = expert.categories.height + new_categories.height
    if too_many := limits.too_many(classes, limits.MAX_CLASSES, "classes with those only these pre-labels have"):
        problems.append(f"{pre.path}: 'categories': {too_many}")
    if problems:
        raise BadInput(problems)
    # Classes only the pre-labels know (a model's extra class) join the spec with fresh ids after the expert's.
    next_id = int(cast(int, expert.categories["category_id"].max())) + 1  # an Int64 column
    if next_id + new_categories.height > 2**63 - 1:
        raise BadInput(
            f"{expert.path}: category id {next_id - 1} leaves no room for the pre-labels' extra "
            f"class(es) {', '.join(new_categories['name'])}; use smaller category ids"
        )
    new_categories = new_categories.with_columns(
        (pl.int_range(pl.len(), dtype=pl.Int64) + next_id).alias("expert_category_id")
    )
    category_map = pl.concat([category_map.filter(pl.col("expert_category_id").is_not_null()), new_categories])
    boxes = (
        pre.boxes.join(image_map.select("image_id", "expert_image_id"), on="image_id", maintain_order="left")
        .join(category_map.select("category_id", "expert_category_id"), on="category_id", maintain_order="left")
        .drop("image_id", "category_id")
        .rename({"expert_image_id": "image_id", "expert_category_id": "category_id"})
        .select(pre.boxes.columns)
    )
    categories = pl.concat(
        [
            expert.categories,
            new_categories.select(pl.col("expert_category_id").alias("category_id"), "name", "display_name"),
        ]
    )
    return CocoDataset(path=pre.path, images=expert.images, categories=categories, boxes=boxes)
