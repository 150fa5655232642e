"""Expert labels and pre-labels in COCO, YOLO, Pascal VOC, CVAT for images 1.1 or Label Studio JSON, each read into
the CocoDataset the COCO reader makes (core/labels/coco.py), so matching, metrics and the store see one shape.

A reader of ours per format (none of the formats' own tools keeps our validation: every problem named by its file
and record, nothing written): yolo.py, voc.py, cvat.py, label_studio.py; detect.py tells them apart; common.py holds
the rules they share with the COCO reader."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from core.domain.errors import BadInput
from core.domain.plural import plural
from core.labels import coco
from core.labels.coco import CocoDataset
from core.labels.formats import common, cvat, label_studio, voc, yolo
from core.labels.formats.detect import FORMAT_NAMES, FORMATS, detect_format
from core.labels.formats.parsed import ImageNames, Parsed, fixed_names, images_under

__all__ = ["FORMATS", "FORMAT_NAMES", "ExpertLabels", "detect_format", "load_classification", "load_expert", "load_pre"]

CLASSIFICATION_FORMATS = ("cvat", "label_studio")


@dataclass(frozen=True)
class ExpertLabels:
    """`images_checked`: every image file was already opened and checked (a format without sizes, read with the
    image check on), so the importer need not open them again."""

    dataset: CocoDataset
    format: str
    images_checked: bool


def resolved_format(path: Path, fmt: str | None) -> str:
    if fmt in (None, "auto"):
        return detect_format(path)
    if fmt not in FORMATS:
        raise BadInput(f"--format {fmt!r}: one of {', '.join(FORMATS)}")
    return fmt


def _parsed(path: Path, fmt: str, *, role: str, image_names: ImageNames) -> Parsed:
    if fmt == "yolo":
        return yolo.read(path=path, image_names=image_names)
    if fmt == "voc":
        return voc.read(path=path)
    if fmt == "cvat":
        return cvat.read(path=path)
    return label_studio.read(path=path, role=role, image_names=image_names)


def _in_px(parsed: Parsed, images: pl.DataFrame) -> pl.DataFrame:
    if not parsed.normalized:
        return parsed.boxes
    sizes = images.select(
        "file_name", pl.col("width").cast(pl.Float64).alias("W"), pl.col("height").cast(pl.Float64).alias("H")
    )
    return (
        parsed.boxes.join(sizes, on="file_name", how="left", maintain_order="left")
        .with_columns(
            pl.col("x") * pl.col("W"), pl.col("y") * pl.col("H"), pl.col("w") * pl.col("W"), pl.col("h") * pl.col("H")
        )
        .drop("W", "H")
    )


def load_expert(
    *,
    path: Path,
    fmt: str | None = None,
    images_dir: Path | None = None,
    check_image_files: bool = True,
    classes: list[str] | None = None,
) -> ExpertLabels:
    """Expert boxes (detection). `classes`: the spec's classes for a format that does not list its own."""
    fmt = resolved_format(path, fmt)
    if fmt == "coco":
        return ExpertLabels(coco.load_dataset(path), fmt, images_checked=False)
    parsed = _parsed(path, fmt, role="expert", image_names=images_under(images_dir))
    categories = common.categories_for(
        path=path,
        labelled=parsed.boxes.select("where", "label"),
        classes=parsed.classes if parsed.classes is not None else classes,
        class_source=parsed.class_source if parsed.classes is not None else "--classes",
    )
    images = common.checked_images(path, parsed.images)
    images, checked = common.filled_sizes(
        path=path, images=images, images_dir=images_dir, check_image_files=check_image_files
    )
    dataset = common.dataset_from(path=path, images=images, boxes=_in_px(parsed, images), categories=categories)
    return ExpertLabels(dataset, fmt, images_checked=checked)


def load_pre(
    *, path: Path, expert: CocoDataset, fmt: str | None = None, classes: list[str] | None = None
) -> CocoDataset:
    """Pre-label boxes matched to the expert's images by file name and to its classes by name (classes only the
    pre-labels know join the spec unless `classes` fixes it)."""
    fmt = resolved_format(path, fmt)
    if fmt == "coco":
        return coco.load_pre_labels(path, expert=expert)
    parsed = _parsed(path, fmt, role="pre", image_names=fixed_names(expert.images["file_name"]))
    categories = common.categories_for(
        path=path,
        labelled=parsed.boxes.select("where", "label"),
        classes=parsed.classes if parsed.classes is not None else classes,
        class_source=parsed.class_source if parsed.classes is not None else "--classes",
    )
    images = common.known_sizes(parsed.images, expert)
    common.refuse_strangers(images, expert)
    images = common.checked_images(path, images)
    pre = common.dataset_from(path=path, images=images, boxes=_in_px(parsed, images), categories=categories)
    return common.aligned_pre(pre=pre, expert=expert)


def load_classification(
    *,
    expert_path: Path,
    pre_path: Path,
    expert_format: str | None = None,
    pre_format: str | None = None,
    images_dir: Path | None = None,
    classes: list[str] | None = None,
) -> pl.DataFrame:
    """One class per image from CVAT tags or Label Studio choices, in the frame the CSV reader makes
    (core/labels/csv_labels.py): line (the image's position in the expert file, from 1), file_path, pre_label,
    expert_label, confidence, and width, height where the file states them. Every expert image needs one expert class and one pre-label class."""
    kinds = {}
    for role, path, fmt in (("expert", expert_path, expert_format), ("pre", pre_path, pre_format)):
        kinds[role] = resolved_format(path, fmt)
        if kinds[role] not in CLASSIFICATION_FORMATS:
            raise BadInput(
                f"{path}: {FORMAT_NAMES[kinds[role]]} has no image classes; a classification import "
                "reads CVAT tags or Label Studio choices (or a CSV with --csv)"
            )
    expert = _parsed(expert_path, kinds["expert"], role="expert", image_names=images_under(images_dir))
    images = common.checked_images(expert_path, expert.images)
    expert_tags = _one_tag_each(expert_path, images, expert.tags, what="expert class")
    pre = _parsed(pre_path, kinds["pre"], role="pre", image_names=fixed_names(images["file_name"]))
    strangers = pre.images.filter(~pl.col("file_name").is_in(images["file_name"].implode()))
    if strangers.height:
        raise BadInput(
            [
                f"{w}: image {n!r} is not among the expert's images"
                for w, n in strangers.select("where", "file_name").iter_rows()
            ]
        )
    pre_images = (
        images.select("image_id", "file_name")
        .join(pre.images.select("where", "file_name"), on="file_name", how="left", maintain_order="left")
        .with_columns(
            pl.coalesce("where", pl.format("{}: image '{}' (not in this file)", pl.lit(str(pre_path)), "file_name"))
        )
    )
    pre_tags = _one_tag_each(pre_path, pre_images, pre.tags, what="pre-label class")
    rows = (
        expert_tags.join(images.select("image_id", "width", "height"), on="image_id", maintain_order="left")
        .select(
            pl.col("image_id").alias("line"),
            pl.col("file_name").alias("file_path"),
            pl.col("label").alias("expert_label"),
            "where",
            "width",
            "height",
        )
        .join(
            pre_tags.select("file_name", pl.col("label").alias("pre_label"), pl.col("score").alias("confidence")),
            left_on="file_path",
            right_on="file_name",
            how="left",
            maintain_order="left",
        )
    )
    labelled = pl.concat([expert_tags.select("where", "label"), pre_tags.select("where", "label")])
    own = classes is None and expert.classes is not None
    common.categories_for(
        path=expert_path,
        labelled=labelled,
        classes=expert.classes if own else classes,
        class_source=expert.class_source if own else "--classes",
    )
    bad_score = pre_tags.filter(pl.col("score").is_not_null() & ((pl.col("score") < 0) | (pl.col("score") > 1)))
    if bad_score.height:
        raise BadInput(
            [
                f"{w}: confidence {s} is not a number between 0 and 1"
                for w, s in bad_score.select("where", "score").iter_rows()
            ]
        )
    return rows.select("line", "file_path", "pre_label", "expert_label", "confidence", "width", "height")


def _one_tag_each(path: Path, images: pl.DataFrame, tags: pl.DataFrame, *, what: str) -> pl.DataFrame:
    """image_id, file_name, label, score, where: the one class of each image; none or several is an error."""
    counted = images.select("image_id", "file_name", pl.col("where").alias("image_where")).join(
        tags, on="file_name", how="left", maintain_order="left"
    )
    per_image = counted.group_by("image_id", maintain_order=True).agg(
        pl.col("image_where").first(), pl.col("label").drop_nulls().alias("labels")
    )
    problems = [
        f"{w}: no {what} (a classification job takes one class per image)"
        for (w,) in per_image.filter(pl.col("labels").list.len() == 0).select("image_where").iter_rows()
    ]
    problems += [
        f"{w}: {plural(len(labels), 'class')} ({', '.join(map(repr, labels))}); a classification job takes one per "
        "image"
        for w, labels in per_image.filter(pl.col("labels").list.len() > 1).select("image_where", "labels").iter_rows()
    ]
    if problems:
        raise BadInput(problems)
    return counted.select("image_id", "file_name", "label", "score", pl.coalesce("where", "image_where").alias("where"))
