"""Pascal VOC annotations of a detection ResultSet, as a zip of `Annotations/<image path without extension>.xml`
(flat jobs: `Annotations/<stem>.xml`), one for every image the ResultSet covers (no `<object>` when it has no
boxes). Each file: `filename` (the path relative to the job's image root), `size` (width, height, depth 3),
`segmented` 0, and an `<object>` per box in result order: `name` (the class name), `pose` Unspecified,
`truncated` 0, `difficult` 0, `bndbox`. `README.txt`: what this is, and how many partially reviewed images were
left out and why (core/exports/completeness.py); `manifest.json` (core/exports/manifest.py). Split
(core/exports/split.py): `ImageSets/Main/<split>.txt` too, the devkit's image lists, one image id (the path without
extension, as under Annotations/) a line.

Coordinates follow the VOC devkit: 1-based, inclusive, integer pixels. A box [x, y, w, h] in px (0-based,
continuous) becomes xmin = floor(x) + 1, ymin = floor(y) + 1, xmax = ceil(x + w), ymax = ceil(y + h): rounded
outward, so the pixels the box touches are all inside, and a box on whole pixels ([10, 10, 20, 20] → 11 11 30 30)
is exact. Reading back (xmin - 1, ymin - 1, xmax, ymax) gives the box within 1 px.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

import polars as pl

from core.exports.manifest import with_manifest
from core.exports.source import ExportSource, image_stem, label_paths, readme_text, require_detection

# float noise (30.000000000004) must not push a whole-pixel edge outward
_DECIMALS = 6

_OBJECT = """  <object>
    <name>{}</name>
    <pose>Unspecified</pose>
    <truncated>0</truncated>
    <difficult>0</difficult>
    <bndbox>
      <xmin>{}</xmin>
      <ymin>{}</ymin>
      <xmax>{}</xmax>
      <ymax>{}</ymax>
    </bndbox>
  </object>
"""

_HEADER = """<annotation>
  <folder>images</folder>
  <filename>{}</filename>
  <source>
    <database>{}</database>
  </source>
  <size>
    <width>{}</width>
    <height>{}</height>
    <depth>3</depth>
  </size>
  <segmented>0</segmented>
{}</annotation>
"""


def xml_text(value: pl.Expr) -> pl.Expr:
    return (
        value.str.replace_all("&", "&amp;", literal=True)
        .str.replace_all("<", "&lt;", literal=True)
        .str.replace_all(">", "&gt;", literal=True)
    )


def voc_corners(boxes: pl.DataFrame) -> pl.DataFrame:
    """xmin, ymin, xmax, ymax (VOC's 1-based inclusive integers) of boxes with x, y, w, h, width, height."""

    def low(v: pl.Expr, size: str) -> pl.Expr:
        return (v.round(_DECIMALS).floor().cast(pl.Int64) + 1).clip(1, pl.col(size))

    def high(v: pl.Expr, size: str, start: str) -> pl.Expr:
        return v.round(_DECIMALS).ceil().cast(pl.Int64).clip(pl.col(start), pl.col(size))

    return boxes.with_columns(
        low(pl.col("x"), "width").alias("xmin"), low(pl.col("y"), "height").alias("ymin")
    ).with_columns(
        high(pl.col("x") + pl.col("w"), "width", "xmin").alias("xmax"),
        high(pl.col("y") + pl.col("h"), "height", "ymin").alias("ymax"),
    )


def voc_zip(source: ExportSource) -> bytes:
    require_detection(source, "Pascal VOC")
    objects = (
        voc_corners(source.boxes)
        .sort("sample_id", "result_id")
        .select(
            "sample_id",
            pl.format(_OBJECT, xml_text(pl.col("class_name")), "xmin", "ymin", "xmax", "ymax").alias("object"),
        )
        .group_by("sample_id", maintain_order=True)
        .agg(pl.col("object").str.join(""))
    )
    database = escape(f"LabelDeck ResultSet {source.resultset.name} (id {source.resultset.id})")
    files = (
        source.images.with_columns(label_paths(source.images, folder="Annotations", suffix=".xml"))
        .join(objects, on="sample_id", how="left", maintain_order="left")
        .select(
            "label_path",
            pl.format(
                _HEADER,
                xml_text(pl.col("file_path")),
                pl.lit(database),
                "width",
                "height",
                pl.col("object").fill_null(""),
            ),
        )
    )
    readme = readme_text(
        source,
        title="Pascal VOC annotations",
        images=files.height,
        body="Annotations/<image>.xml: bndbox in 1-based inclusive pixels, rounded outward.\n",
    )
    return with_manifest(source, format="voc", files=[("README.txt", readme), *_image_sets(source), *files.iter_rows()])


def _image_sets(source: ExportSource) -> list[tuple[str, str]]:
    if source.split is None:
        return []
    ids = source.images_with_split().group_by("split").agg((image_stem() + "\n").str.join(""))
    listed = dict(ids.iter_rows())
    return [(f"ImageSets/Main/{name}.txt", listed.get(name, "")) for name in source.split.names]
