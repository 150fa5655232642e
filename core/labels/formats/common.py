"""What every label-format reader shares: the parsed records become a CocoDataset (core/labels/coco.py) under the COCO
reader's rules, each problem named by its file and record (a line, an XML element, a task)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

import polars as pl
from PIL import Image, UnidentifiedImageError

from core import storage
from core.domain import limits
from core.domain.errors import BadInput
from core.domain.names import frame_name_problems
from core.domain.plural import plural
from core.files.paths import regular_file, resolve_under, unsafe_reason
from core.images.image_files import DAMAGED, check_images
from core.images.orientation import displayed_size, orientation
from core.labels.coco import BOX_TOLERANCE_PX, MAX_IMAGE_SIDE, CocoDataset, _aligned_to
from core.labels.label_files import read_text

# images: one row per image a label file describes; width and height null where the file does not say.
IMAGE_SCHEMA = {"where": pl.String, "file_name": pl.String, "width": pl.Int64, "height": pl.Int64}
# boxes: one row per box, in px of the image as displayed; `where` names the file and the record.
BOX_SCHEMA = {
    "where": pl.String,
    "file_name": pl.String,
    "label": pl.String,
    "x": pl.Float64,
    "y": pl.Float64,
    "w": pl.Float64,
    "h": pl.Float64,
    "score": pl.Float64,
}
# tags: one row per image-level class (classification).
TAG_SCHEMA = {"where": pl.String, "file_name": pl.String, "label": pl.String, "score": pl.Float64}

_MAX_LISTED_CLASSES = 12


Record = TypeVar("Record")


def read_each(records: Iterable[tuple[int, Record]], read: Callable[[int, Record], None]) -> None:
    """read(number, record) for each record; every record's problems gathered into one BadInput (reading stops once
    there are far more than a message shows), so one run of the import names them all."""
    problems: list[str] = []
    for number, record in records:
        try:
            read(number, record)
        except BadInput as exc:
            problems += exc.problems
            if len(problems) > BadInput.MAX_SHOWN * 5:
                break
    if problems:
        raise BadInput(problems)


def images_frame(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=IMAGE_SCHEMA, orient="row")


def boxes_frame(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=BOX_SCHEMA, orient="row")


def tags_frame(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=TAG_SCHEMA, orient="row")


def parse_xml(path: Path):
    """The root element of an XML file, parsed by defusedxml: a DTD with entities (the "billion laughs" bomb, or an
    external entity reading a local file) is refused instead of expanded."""
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import ParseError, fromstring

    text = read_text(path)
    try:
        return fromstring(text, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise BadInput(f"{path}: refused XML: {exc} (DTDs and entities are not read)") from None
    except ParseError as exc:
        line, column = exc.position
        raise BadInput(f"{path}: not well-formed XML: line {line}, column {column + 1}") from None


def class_listing(classes: list[str]) -> str:
    shown = ", ".join(classes[:_MAX_LISTED_CLASSES])
    return shown + (f", ... ({plural(len(classes), 'class')})" if len(classes) > _MAX_LISTED_CLASSES else "")


def categories_for(
    *, path: Path, labelled: pl.DataFrame, classes: list[str] | None, class_source: str = "the label spec"
) -> pl.DataFrame:
    """category_id, name, display_name: `classes` in their order when given (a label outside them is an error
    naming its record), else every label the file uses, sorted."""
    if classes is not None:
        unknown = labelled.filter(~pl.col("label").is_in(pl.Series(classes, dtype=pl.String).implode()))
        if unknown.height:
            raise BadInput(
                [
                    f"{w}: unknown class {n!r} ({class_source} has: {class_listing(classes)})"
                    for w, n in unknown.select("where", "label").head(BadInput.MAX_SHOWN * 5).iter_rows()
                ]
            )
        names = list(classes)
    else:
        problems = frame_name_problems(labelled, column="label", where=pl.col("where"), what="class")
        names = sorted(labelled["label"].unique().to_list())
        if too_many := limits.too_many(len(names), limits.MAX_CLASSES, "distinct classes"):
            problems.append(f"{path}: {too_many}")
        if problems:
            raise BadInput(problems)
    if not names:
        raise BadInput(
            f"{path}: no class is named anywhere; a label spec needs at least one class (name them with --classes)"
        )
    return pl.DataFrame(
        {"category_id": range(1, len(names) + 1), "name": names, "display_name": names},
        schema={"category_id": pl.Int64, "name": pl.String, "display_name": pl.String},
    )


def checked_images(path: Path, images: pl.DataFrame) -> pl.DataFrame:
    """image_id (1..n in file order), file_name, width, height: the COCO reader's image rules."""
    if too_many := limits.too_many(images.height, limits.MAX_IMAGES_PER_JOB, "images"):
        raise BadInput(f"{path}: {too_many}")
    problems = [
        f"{w}: file name {n!r} appears more than once"
        for w, n in images.filter(pl.col("file_name").is_duplicated()).select("where", "file_name").iter_rows()
    ]
    for where, name in images.select("where", "file_name").iter_rows():
        if reason := unsafe_reason(name):
            problems.append(f"{where}: file name {name!r}: {reason}")
    sized = images.filter(pl.col("width").is_not_null())
    for where, w, h in (
        sized.filter((pl.col("width") <= 0) | (pl.col("height") <= 0)).select("where", "width", "height").iter_rows()
    ):
        problems.append(f"{where}: width and height must be positive, got {w}x{h}")
    too_large = (pl.col("width") > MAX_IMAGE_SIDE) | (pl.col("height") > MAX_IMAGE_SIDE)
    for where, w, h in sized.filter(too_large).select("where", "width", "height").iter_rows():
        problems.append(f"{where}: {w}x{h} px; no side may exceed {MAX_IMAGE_SIDE:,} px")
    if problems:
        raise BadInput(problems)
    return images.with_row_index("image_id", offset=1).with_columns(pl.col("image_id").cast(pl.Int64))


def filled_sizes(
    *, path: Path, images: pl.DataFrame, images_dir: Path | str | None, check_image_files: bool
) -> tuple[pl.DataFrame, bool]:
    """Sizes the label file does not state, read from the image files (YOLO states none). With the image check on,
    those images are checked in full here (the second element says every image was); without it only their
    headers are read."""
    missing = images.filter(pl.col("width").is_null())
    if missing.is_empty():
        return images, False
    if images_dir is None:
        raise BadInput(
            f"{path}: the label file does not give the size of "
            f"{missing['file_name'][0]!r}; it is read from the image, so the images folder is needed"
        )
    if check_image_files:
        probed = check_images(root=images_dir, label_file=path, images=missing.select("image_id", "file_name"))
    else:
        probed = _header_sizes(images_dir, missing)
    images = (
        images.join(
            probed.rename({"width": "probed_width", "height": "probed_height"}),
            on="image_id",
            how="left",
            maintain_order="left",
        )
        .with_columns(
            pl.coalesce("width", "probed_width").alias("width"), pl.coalesce("height", "probed_height").alias("height")
        )
        .drop("probed_width", "probed_height")
    )
    return images, check_image_files and missing.height == images.height


def _header_sizes(root: Path | str, images: pl.DataFrame) -> pl.DataFrame:
    """--skip-image-check: the size as displayed from each image's header only (a bucket's objects are fetched
    whole, many at a time, into the disk cache: core/storage)."""
    remote = storage.is_remote(root)
    if not remote and not Path(root).is_dir():
        raise BadInput(f"{root}: image folder not found")
    rows = list(images.select("image_id", "where", "file_name").iter_rows())
    fetched = storage.fetch_many(root, [name for _, _, name in rows]) if remote else None
    shown = storage.describe(root)
    sizes, problems = [], []
    for i, (image_id, where, name) in enumerate(rows):
        if fetched is not None and isinstance(fetched[i], str):  # why it could not be fetched
            problems.append(f"{where}: {name!r}: {fetched[i]}")
            continue
        try:
            path = fetched[i] if fetched is not None else regular_file(resolve_under(Path(root), name))
            with Image.open(path) as im:
                sizes.append((image_id, *displayed_size(im.size, orientation(im))))
        except FileNotFoundError:
            problems.append(f"{where}: {name!r} (under {shown}): file not found")
        except (UnidentifiedImageError, *DAMAGED) as exc:
            problems.append(f"{where}: {name!r} (under {shown}): not an image Pillow can read ({exc})")
    if problems:
        raise BadInput(problems)
    return pl.DataFrame(sizes, schema={"image_id": pl.Int64, "width": pl.Int64, "height": pl.Int64}, orient="row")


def dataset_from(*, path: Path, images: pl.DataFrame, boxes: pl.DataFrame, categories: pl.DataFrame) -> CocoDataset:
    """images: checked_images with every size known; boxes: BOX_SCHEMA. The boxes are checked as the COCO reader
    checks them (unknown image, empty box, box outside its image; a sliver of BOX_TOLERANCE_PX is clipped)."""
    crowded = boxes.group_by("file_name").len().filter(pl.col("len") > limits.MAX_BOXES_PER_IMAGE).sort("file_name")
    if crowded.height:
        raise BadInput(
            [
                f"{path}: image {n!r}: {limits.too_many(c, limits.MAX_BOXES_PER_IMAGE, 'boxes on one image')}"
                for n, c in crowded.iter_rows()
            ]
        )
    joined = (
        boxes.with_row_index("ann_id", offset=1)
        .join(
            images.select("file_name", "image_id", "width", "height"), on="file_name", how="left", maintain_order="left"
        )
        .join(
            categories.select(pl.col("name").alias("label"), "category_id"),
            on="label",
            how="left",
            maintain_order="left",
        )
    )
    box = pl.format("[{}, {}, {}, {}]", "x", "y", "w", "h")
    tol = BOX_TOLERANCE_PX
    outside = (
        (pl.col("x") < -tol)
        | (pl.col("y") < -tol)
        | (pl.col("x") + pl.col("w") > pl.col("width") + tol)
        | (pl.col("y") + pl.col("h") > pl.col("height") + tol)
    )
    finite = pl.all_horizontal(pl.col(c).is_finite() for c in ("x", "y", "w", "h"))
    checks = [
        (pl.col("image_id").is_null(), pl.format("{}: unknown image {}", "where", pl.col("file_name"))),
        (pl.col("category_id").is_null(), pl.format("{}: unknown class '{}'", "where", pl.col("label"))),
        (~finite, pl.format("{}: box {} has a coordinate that is not a finite number", "where", box)),
        (
            finite & ((pl.col("w") <= 0) | (pl.col("h") <= 0)),
            pl.format("{}: box {} has non-positive width or height", "where", box),
        ),
        (
            finite & pl.col("image_id").is_not_null() & outside,
            pl.format("{}: box {} lies outside the {}x{} image", "where", box, "width", "height"),
        ),
        (
            pl.col("score").is_not_null() & ((pl.col("score") < 0) | (pl.col("score") > 1) | pl.col("score").is_nan()),
            pl.format("{}: score {} is not a number between 0 and 1", "where", "score"),
        ),
    ]
    problems = (
        joined.select(
            pl.concat_list([pl.when(bad).then(message) for bad, message in checks]).list.drop_nulls().alias("p")
        )["p"]
        .explode()
        .drop_nulls()
    )
    if problems.len():
        raise BadInput(problems.to_list())
    x0 = pl.col("x").clip(0, pl.col("width"))
    y0 = pl.col("y").clip(0, pl.col("height"))
    x1 = (pl.col("x") + pl.col("w")).clip(0, pl.col("width"))
    y1 = (pl.col("y") + pl.col("h")).clip(0, pl.col("height"))
    checked = joined.select(
        pl.col("ann_id").cast(pl.Int64),
        "image_id",
        "category_id",
        x0.alias("x"),
        y0.alias("y"),
        (x1 - x0).alias("w"),
        (y1 - y0).alias("h"),
        "score",
    )
    return CocoDataset(
        path=path,
        images=images.select("image_id", "file_name", "width", "height"),
        categories=categories,
        boxes=checked,
    )


def known_sizes(images: pl.DataFrame, expert: CocoDataset) -> pl.DataFrame:
    """Pre-label images with the sizes their file does not state taken from the expert's same image."""
    sizes = expert.images.select(
        "file_name", pl.col("width").alias("expert_width"), pl.col("height").alias("expert_height")
    )
    return (
        images.join(sizes, on="file_name", how="left", maintain_order="left")
        .with_columns(
            pl.coalesce("width", "expert_width").alias("width"), pl.coalesce("height", "expert_height").alias("height")
        )
        .drop("expert_width", "expert_height")
    )


def refuse_strangers(images: pl.DataFrame, expert: CocoDataset) -> None:
    """Pre-label images must be expert images, of the same size: each refusal names the pre-label record."""
    joined = images.join(
        expert.images.select("file_name", pl.col("width").alias("ew"), pl.col("height").alias("eh")),
        on="file_name",
        how="left",
        maintain_order="left",
    )
    problems = [
        f"{w}: image {n!r} is not among the expert's images"
        for w, n in joined.filter(pl.col("ew").is_null()).select("where", "file_name").iter_rows()
    ]
    resized = joined.filter(
        pl.col("ew").is_not_null() & ((pl.col("width") != pl.col("ew")) | (pl.col("height") != pl.col("eh")))
    )
    problems += [
        f"{w}: image {n!r} is {a}x{b} here but {c}x{d} in {Path(expert.path).name}"
        for w, n, a, b, c, d in resized.select("where", "file_name", "width", "height", "ew", "eh").iter_rows()
    ]
    if problems:
        raise BadInput(problems)


def aligned_pre(*, pre: CocoDataset, expert: CocoDataset) -> CocoDataset:
    """Pre-labels re-keyed onto the expert's image and category ids, as the COCO reader does (classes only the
    pre-labels know join the spec)."""
    return _aligned_to(pre, expert)
