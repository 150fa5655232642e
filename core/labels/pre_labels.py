"""Pre-labels for a new manual label job, from an auto label job's predictions, a COCO file or a CSV, read into one
shape and checked against the job's images and label spec before anything is written.

The shape (PRE_LABEL_SCHEMA): one row per label, file_path (relative to the job's image root), class_name, the box
x, y, w, h in px (null for classification) and score (the model's confidence, when known), plus `where` (the
record in its source, for messages).

Sources:
- an auto label job of the same task: its predictions, matched to the images by file path and to the spec by
  class name. A classification model may emit several labels per image: the highest score is the pre-label.
- COCO (detection): the dataset format, matched by file_name and category name; or the results format
  (`[{image_id, category_id, bbox, score}]`), whose image_id is the image's position (1-based) in the job's
  images sorted by file path and category_id the class's position (1-based) in the spec.
- CSV: `file_path,label[,score]` for classification (`pre_label` and `confidence` are read as well, so an
  importer CSV serves), `file_path,label,x,y,w,h[,score]` for detection.

Boxes follow core.labels.boxes: empty or outside the image is refused, a sliver past the border is clipped.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

import polars as pl
from sqlalchemy import Engine, text
from sqlmodel import Session

from core.domain import limits
from core.domain.errors import BadInput, NotFound
from core.domain.names import frame_name_problems
from core.domain.vocabulary import JobStatus, Task
from core.labels.boxes import box_problem, clipped_box
from core.labels.coco import CocoDataset, load_dataset, load_pre_labels
from core.labels.label_files import read_csv, read_json
from core.store import models

if TYPE_CHECKING:
    from polars._typing import PolarsDataType

PreLabelSource = tuple[Literal["auto_job"], int] | tuple[Literal["coco", "csv"], Path]

PRE_LABEL_SCHEMA: dict[str, PolarsDataType] = {
    "file_path": pl.String,
    "class_name": pl.String,
    "x": pl.Float64,
    "y": pl.Float64,
    "w": pl.Float64,
    "h": pl.Float64,
    "score": pl.Float64,
    "where": pl.String,
}


def auto_job_for_pre_labels(*, engine: Engine, job_id: int, task: str | None = None) -> models.LabelJob:
    """The auto label job whose predictions are to be pre-labels: it must be READY (its predictions complete)."""
    with Session(engine) as session:
        job = session.get(models.LabelJob, job_id)
    if job is None:
        raise NotFound(f"auto label job {job_id} not found")
    if not job.is_auto:
        raise BadInput(
            f"job #{job.id} {job.name!r} is a {job.tag} job, not an auto label job: its pre-labels "
            "cannot be taken from it"
        )
    if job.status != JobStatus.READY:
        raise BadInput(
            f"auto label job #{job.id} {job.name!r} is {job.status}; its predictions can be taken as "
            "pre-labels once it is READY"
        )
    if task is not None and job.task != task:
        raise BadInput(f"auto label job #{job.id} {job.name!r} is a {job.task} job; the label spec is for {task}")
    return job


def read_pre_labels(
    source: PreLabelSource, *, engine: Engine, task: str, samples: pl.DataFrame, classes: list[str]
) -> pl.DataFrame:
    """The source's pre-labels in PRE_LABEL_SCHEMA, checked against the job's images (samples: file_path, width,
    height) and its spec's class names (in order); every problem at once."""
    kind, value = source
    if source[0] == "auto_job":  # source[...]: the kind tells the value's type
        labels = _from_auto_job(engine, int(source[1]), task)
    elif source[0] == "coco":
        if task != Task.DETECTION:
            raise BadInput(f"{value}: COCO pre-labels are for detection; a classification job takes a CSV")
        labels = _from_coco(Path(source[1]), samples, classes)
    elif source[0] == "csv":
        labels = read_label_csv(Path(source[1]), task=task)
    else:
        raise BadInput(f"pre-labels from {kind!r}: expected 'auto_job', 'coco' or 'csv'")
    return checked_labels(labels, task=task, samples=samples, classes=classes)


def _from_auto_job(engine: Engine, job_id: int, task: str) -> pl.DataFrame:
    job = auto_job_for_pre_labels(engine=engine, job_id=job_id, task=task)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT s.file_path, c.name, p.x, p.y, p.w, p.h, p.score, p.id FROM prediction p "
                "JOIN sample s ON s.id = p.sample_id JOIN labelclass c ON c.id = p.class_id "
                "WHERE p.job_id = :job_id ORDER BY p.id"
            ),
            {"job_id": job_id},
        ).all()
    frame = pl.DataFrame(
        rows,
        orient="row",
        schema={**{k: v for k, v in PRE_LABEL_SCHEMA.items() if k != "where"}, "prediction_id": pl.Int64},
    ).with_columns(
        pl.format(
            "auto label job #{} {}: prediction {}", pl.lit(job.id), pl.lit(repr(job.name)), "prediction_id"
        ).alias("where")
    )
    if task == Task.CLASSIFICATION:  # a model's top-k: the best guess is the pre-label
        frame = (
            frame.sort("score", descending=True, nulls_last=True, maintain_order=True)
            .unique("file_path", keep="first", maintain_order=True)
            .sort("prediction_id")
        )
    return frame.select(PRE_LABEL_SCHEMA.keys())


def numbered_images(samples: pl.DataFrame) -> pl.DataFrame:
    """The image ids a COCO results file refers to when it has no dataset of its own: the images (file_path,
    width, height) sorted by file path, numbered from 1. COCO images: image_id, file_name, width, height."""
    return samples.sort("file_path").select(
        (pl.int_range(pl.len(), dtype=pl.Int64) + 1).alias("image_id"),
        pl.col("file_path").alias("file_name"),
        "width",
        "height",
    )


def numbered_classes(classes: list[str]) -> pl.DataFrame:
    """Likewise the category ids: the classes in order, numbered from 1. COCO categories."""
    return pl.DataFrame(
        {"category_id": range(1, len(classes) + 1), "name": classes, "display_name": classes},
        schema={"category_id": pl.Int64, "name": pl.String, "display_name": pl.String},
    )


def reference_dataset(*, path: Path | str, images: pl.DataFrame, categories: pl.DataFrame) -> CocoDataset:
    """Images and classes without boxes: what a COCO results file is read against (core.labels.coco.load_pre_labels)."""
    boxes = pl.DataFrame(
        schema={
            "ann_id": pl.Int64,
            "image_id": pl.Int64,
            "category_id": pl.Int64,
            "x": pl.Float64,
            "y": pl.Float64,
            "w": pl.Float64,
            "h": pl.Float64,
            "score": pl.Float64,
        }
    )
    return CocoDataset(path=path, images=images, categories=categories, boxes=boxes)


def _from_coco(path: Path, samples: pl.DataFrame, classes: list[str]) -> pl.DataFrame:
    if isinstance(read_json(path), list):
        reference = reference_dataset(path=path, images=numbered_images(samples), categories=numbered_classes(classes))
        dataset = load_pre_labels(path, expert=reference)
    else:
        dataset = load_dataset(path)
        _check_image_sizes(dataset, samples)
    return coco_labels(dataset)


def coco_labels(dataset: CocoDataset) -> pl.DataFrame:
    """A COCO dataset's boxes in PRE_LABEL_SCHEMA."""
    return (
        dataset.boxes.join(
            dataset.images.select("image_id", pl.col("file_name").alias("file_path")),
            on="image_id",
            how="left",
            maintain_order="left",
        )
        .join(
            dataset.categories.select("category_id", pl.col("name").alias("class_name")),
            on="category_id",
            how="left",
            maintain_order="left",
        )
        .with_columns(pl.format("{}: annotation {}", pl.lit(str(dataset.path)), "ann_id").alias("where"))
        .select(PRE_LABEL_SCHEMA.keys())
    )


def _check_image_sizes(dataset: CocoDataset, samples: pl.DataFrame) -> None:
    """The file's boxes were checked against the sizes it states; those must be the images' real sizes."""
    differ = dataset.images.join(samples, left_on="file_name", right_on="file_path", suffix="_file").filter(
        (pl.col("width") != pl.col("width_file")) | (pl.col("height") != pl.col("height_file"))
    )
    if differ.height:
        raise BadInput(
            [
                f"{dataset.path}: image {i} {n!r} is {w}x{h} in the file but {fw}x{fh} on disk"
                for i, n, w, h, fw, fh in differ.select(
                    "image_id", "file_name", "width", "height", "width_file", "height_file"
                ).iter_rows()
            ]
        )


def read_label_csv(path: Path, *, task: str) -> pl.DataFrame:
    """A CSV of labels in PRE_LABEL_SCHEMA, each value checked for its type (see checked_labels for the rest)."""
    frame = read_csv(path)
    aliases = {"pre_label": "label", "confidence": "score"}
    frame = frame.rename({c: aliases[c] for c in frame.columns if c in aliases and aliases[c] not in frame.columns})
    required = ["file_path", "label"] + (list("xywh") if task == Task.DETECTION else [])
    missing = [c for c in required if c not in frame.columns]
    if missing:
        header = "file_path,label,x,y,w,h[,score]" if task == Task.DETECTION else "file_path,label[,score]"
        raise BadInput(f"{path}: missing column(s) {', '.join(missing)}; expected a header {header}")
    numbers = [c for c in ("x", "y", "w", "h", "score") if c in frame.columns]
    frame = frame.select(
        (pl.int_range(pl.len(), dtype=pl.Int64) + 2).alias("line"),  # line 1 is the header
        pl.col("file_path").str.strip_chars(),
        pl.col("label").str.strip_chars().alias("class_name"),
        *[pl.col(c).str.strip_chars() for c in numbers],
    )
    problems = [
        f"{path}: line {n}: empty {c}"
        for c in ("file_path", "class_name")
        for n in frame.filter(pl.col(c).fill_null("") == "")["line"]
    ]
    for c in numbers:
        bad = frame.filter(
            (pl.col(c).fill_null("") != "" if c == "score" else pl.lit(True))
            & pl.col(c).cast(pl.Float64, strict=False).is_null()
        )
        problems += [f"{path}: line {n}: {c} {v or ''!r} is not a number" for n, v in bad.select("line", c).iter_rows()]
    problems += frame_name_problems(
        frame, column="class_name", what="label", where=pl.format("{}: line {}", pl.lit(str(path)), "line")
    )
    crowded = (
        frame.group_by("file_path", maintain_order=True)
        .agg(pl.len(), pl.col("line").first())
        .filter(pl.col("len") > limits.MAX_BOXES_PER_IMAGE)
    )
    problems += [
        f"{path}: line {line}: image {name!r}: {limits.too_many(n, limits.MAX_BOXES_PER_IMAGE, 'labels on one image')}"
        for name, n, line in crowded.iter_rows()
    ]
    if frame.is_empty():
        problems.append(f"{path}: no rows")
    if problems:
        raise BadInput(problems)
    return frame.with_columns(
        *[pl.col(c).cast(pl.Float64, strict=False) for c in numbers],
        *[pl.lit(None, pl.Float64).alias(c) for c in ("x", "y", "w", "h", "score") if c not in numbers],
        pl.format("{}: line {}", pl.lit(str(path)), "line").alias("where"),
    ).select(PRE_LABEL_SCHEMA.keys())


def checked_labels(labels: pl.DataFrame, *, task: str, samples: pl.DataFrame, classes: list[str]) -> pl.DataFrame:
    """Labels (PRE_LABEL_SCHEMA) of images among the samples (file_path, width, height) and of classes among
    `classes`; detection boxes checked and slivers clipped; one label per image for classification."""
    joined = labels.join(
        samples.select("file_path", "width", "height"), on="file_path", how="left", maintain_order="left"
    )
    unknown_class = ~pl.col("class_name").is_in(pl.Series(classes, dtype=pl.String).implode())
    checks = [
        (
            pl.col("width").is_null(),
            pl.format("{}: image {} is not among the job's images", "where", pl.format("'{}'", "file_path")),
        ),
        (
            unknown_class,
            pl.format(
                "{}: class {} is not in the label spec ({})",
                "where",
                pl.format("'{}'", "class_name"),
                pl.lit(", ".join(classes)),
            ),
        ),
    ]
    if task == Task.DETECTION:
        checks.append((pl.col("width").is_not_null(), pl.format("{}: {}", "where", box_problem(clip_partial=False))))
    else:
        checks.append(
            (
                pl.col("file_path").is_duplicated() & pl.col("width").is_not_null(),
                pl.format("{}: image {} has more than one pre-label", "where", pl.format("'{}'", "file_path")),
            )
        )
    problems = (
        joined.select(
            pl.concat_list([pl.when(bad).then(message) for bad, message in checks]).list.drop_nulls().alias("p")
        )["p"]
        .explode()
        .drop_nulls()
    )
    if problems.len():
        raise BadInput(problems.to_list())
    if task == Task.DETECTION:
        joined = joined.with_columns(clipped_box())
    else:
        joined = joined.with_columns(*[pl.lit(None, pl.Float64).alias(c) for c in ("x", "y", "w", "h")])
    return joined.select(PRE_LABEL_SCHEMA.keys())
