"""What every export reads: a ResultSet's items (core.review.resultsets.resultset_frame), the images it covers, and the
job's label spec.

The images a ResultSet covers: every image with at least one item (an image whose only items are accepted
`removed` results is covered and has no boxes), plus every image of the job that has no results at all: nothing
to review there, so "no boxes" is its exact, final label. Images whose results are all pending or rejected are
left out: the ResultSet says nothing about them, and an empty label file would claim they hold no objects. So are
images an expert skipped (a manual job labelled in LabelDeck): nobody decided what they hold.

Of those, an export holds only the complete images (core/exports/completeness.py) unless `include_partial`: then
partial images too, as before complete images were the default, and the export marks them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

import polars as pl
from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

from core.domain.errors import BadInput, NotFound
from core.domain.plural import plural
from core.domain.vocabulary import REWORKED, Task
from core.exports.completeness import PartialImages, count_partial_images, partial_image_reasons
from core.exports.split import SplitSpec, assign_splits, rarest_class
from core.review.resultsets import resultset_frame
from core.store import models

IMAGE_SCHEMA = {"sample_id": pl.Int64, "file_path": pl.String, "width": pl.Int64, "height": pl.Int64}
CLASS_SCHEMA = {"class_name": pl.String, "display_name": pl.String, "position": pl.Int64}

_SAMPLES_WITHOUT_RESULTS = text(f"""
    SELECT s.id, s.file_path, s.width, s.height FROM sample s
    WHERE s.job_id = :job_id AND s.label_status = 'labelled'
      AND NOT EXISTS (SELECT 1 FROM result r WHERE r.sample_id = s.id AND NOT EXISTS
                      (SELECT 1 FROM reviewstate x WHERE x.result_id = r.id AND x.state = '{REWORKED}'))
""")


@dataclass(frozen=True)
class ExportSource:
    resultset: models.ResultSet
    job: models.LabelJob
    classes: pl.DataFrame  # CLASS_SCHEMA, in spec order: position is the YOLO index, position + 1 the COCO id
    items: pl.DataFrame  # core.review.resultsets.FRAME_SCHEMA
    images: pl.DataFrame  # IMAGE_SCHEMA, the images covered, by sample id
    partial: pl.DataFrame  # core.exports.completeness.COMPLETENESS_SCHEMA: the ResultSet's partial images
    partial_images: PartialImages  # the partial images by reason; `included` when this export holds them
    split: SplitSpec | None = None
    splits: pl.DataFrame | None = None  # core.exports.split.SPLIT_SCHEMA: each image's split, when split
    with_images: bool = False  # the zip carries the image files (core/exports/images.py): its README says where

    @property
    def task(self) -> str:
        return self.job.task

    def with_split(self, spec: SplitSpec | None) -> ExportSource:
        """This export split by `spec` (core/exports/split.py); itself when `spec` is None."""
        if spec is None:
            return self
        strata = rarest_class(self.images, self.boxes) if spec.stratify else None
        return replace(self, split=spec, splits=assign_splits(self.images, spec=spec, strata=strata))

    def images_with_split(self) -> pl.DataFrame:
        """`images` with a `split` column (null when not split)."""
        if self.splits is None:
            return self.images.with_columns(pl.lit(None, dtype=pl.String).alias("split"))
        return self.images.join(self.splits, on="sample_id", how="left", maintain_order="left")

    def only(self, split: str) -> ExportSource:
        """The part of this export in one split, as an export of its own (not split)."""
        if self.splits is None:
            raise ValueError("only(): this export is not split")
        samples = self.splits.filter(pl.col("split") == split)["sample_id"].implode()
        return replace(
            self,
            images=self.images.filter(pl.col("sample_id").is_in(samples)),
            items=self.items.filter(pl.col("sample_id").is_in(samples)),
            split=None,
            splits=None,
        )

    @cached_property
    def boxes(self) -> pl.DataFrame:
        """Items with a class (every item but accepted removals), with the class's spec position."""
        return self.items.filter(pl.col("class_name").is_not_null()).join(
            self.classes.select("class_name", "position"), on="class_name", how="left", maintain_order="left"
        )


@dataclass(frozen=True)
class ExportSummary:
    complete_images: int  # the images a default export holds
    partial_images: PartialImages


def load_source(*, engine: Engine, resultset_id: int, include_partial: bool = False) -> ExportSource:
    with Session(engine) as session:
        resultset = session.get(models.ResultSet, resultset_id)
        if resultset is None:
            raise NotFound(f"ResultSet {resultset_id} not found")
        job = session.get(models.LabelJob, resultset.job_id)
        if job is None:  # the ResultSet's job cascades its deletion to it: not seen once committed
            raise NotFound(f"ResultSet {resultset_id}'s job {resultset.job_id} not found")
        classes = session.exec(
            select(models.LabelClass.name, models.LabelClass.display_name, models.LabelClass.position)
            .where(models.LabelClass.spec_id == job.spec_id)
            .order_by(col(models.LabelClass.position))
        ).all()
        empty = session.connection().execute(_SAMPLES_WITHOUT_RESULTS, {"job_id": job.id}).all()
    items = resultset_frame(engine=engine, resultset_id=resultset_id)
    partial = partial_image_reasons(engine=engine, resultset_id=resultset_id)
    if not include_partial:
        items = items.join(partial, on="sample_id", how="anti", maintain_order="left")
    images = pl.concat(
        [items.select(IMAGE_SCHEMA.keys()).unique("sample_id"), pl.DataFrame(empty, schema=IMAGE_SCHEMA, orient="row")]
    ).sort("sample_id")
    return ExportSource(
        resultset=resultset,
        job=job,
        classes=pl.DataFrame(classes, schema=CLASS_SCHEMA, orient="row"),
        items=items,
        images=images,
        partial=partial,
        partial_images=count_partial_images(partial, included=include_partial),
    )


def export_summary(*, engine: Engine, resultset_id: int, include_partial: bool = False) -> ExportSummary:
    """How many complete images the ResultSet's exports hold, and how many partial images they leave out (or,
    with `include_partial`, hold too) and why: for the page before its downloads and for the CLI, without
    building an export."""
    with engine.connect() as conn:
        job_id = conn.execute(text("SELECT job_id FROM resultset WHERE id = :id"), {"id": resultset_id}).scalar()
        if job_id is None:
            raise NotFound(f"ResultSet {resultset_id} not found")
        covered = conn.execute(
            text("SELECT COUNT(DISTINCT sample_id) FROM resultsetitem WHERE resultset_id = :id"), {"id": resultset_id}
        ).scalar_one()
        empty = conn.execute(
            text(f"SELECT COUNT(*) FROM ({_SAMPLES_WITHOUT_RESULTS.text}) e"), {"job_id": job_id}
        ).scalar_one()
    partial = partial_image_reasons(engine=engine, resultset_id=resultset_id)
    return ExportSummary(
        complete_images=covered - partial.height + empty,
        partial_images=count_partial_images(partial, included=include_partial),
    )


def require_detection(source: ExportSource, format_name: str) -> None:
    if source.task != Task.DETECTION:
        raise BadInput(
            f"{format_name} export is for detection only: ResultSet {source.resultset.id} "
            f"({source.resultset.name!r}) is of a {source.task} job; use CSV, COCO or a datalog table"
        )


def readme_text(source: ExportSource, *, title: str, images: int, body: str) -> str:
    """A zip's README.txt: what the archive is, `body` on its files, and what it says about partial images."""
    return (
        f"{title} of LabelDeck ResultSet {source.resultset.name!r} (id {source.resultset.id}) of job "
        f"{source.job.name!r}: {plural(images, 'image')}, {plural(source.boxes.height, 'box')}.\n{body}"
        f"{source.partial_images.note()}\n"
    )


def label_paths(images: pl.DataFrame, *, folder: str | pl.Expr, suffix: str) -> pl.Series:
    """`folder/<file path without its extension><suffix>` per image (flat jobs: `folder/<stem><suffix>`); `folder`
    may be an expression of the image (its split's folder). Two images that would share a label file are refused."""
    folder = folder if isinstance(folder, pl.Expr) else pl.lit(folder)
    out = images.select(pl.format(f"{{}}/{{}}{suffix}", folder, image_stem()).alias("label_path"), "file_path")
    clashes = out.filter(pl.col("label_path").is_duplicated()).sort("label_path", "file_path")
    if not clashes.is_empty():
        shown = clashes.group_by("label_path", maintain_order=True).agg("file_path").head(5)
        raise BadInput(
            [f"{label}: images {', '.join(files)} would share this label file" for label, files in shown.iter_rows()]
        )
    return out["label_path"]


def image_stem() -> pl.Expr:
    """The file path without its extension: a VOC image id, a label file's name."""
    return pl.col("file_path").str.replace(r"([^/])\.[^./]*$", "${1}")
