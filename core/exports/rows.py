"""The export row: one per ResultSet item, the columns of the CSV export and of a datalog table.

| column | type | meaning |
| --- | --- | --- |
| result_id | integer, primary key of a datalog table | the LabelDeck result |
| file_path | text | the image, relative to the job's image root |
| width, height | integer | the image's size in px |
| class_name | text, null for an accepted `removed` result | the final (expert) class |
| pre_class | text, null for `added` | the pre-label's class |
| change_kind | text | unchanged, adjusted, relabeled, added, removed |
| class_changed | boolean | Class Changed |
| x, y, w, h | float, null for removed and classification | the final (expert) box in px, top-left origin |
| iou | float | IoU of the expert box and its matched pre box |
| area_px, area_fraction | float | Expert Review Area, in px² and as a fraction of the image |
| adjustment_factor | float | area(expert box) / area(matched pre box) |
| pre_confidence | float | the pre-label's confidence, when it had one |
| review_state | text | always `accepted` (a ResultSet holds accepted results) |
| reviewer | text | who accepted the result |
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import polars as pl
from sqlalchemy import BigInteger, Boolean, Column, Double, Integer, MetaData, Table, Text

from core.domain.vocabulary import ReviewState

if TYPE_CHECKING:
    from polars._typing import PolarsDataType
    from sqlalchemy.types import TypeEngine

ROW_COLUMNS: dict[str, tuple[PolarsDataType, type[TypeEngine[Any]], bool]] = {
    # name: (polars dtype, SQL type, nullable)
    "result_id": (pl.Int64, BigInteger, False),
    "file_path": (pl.String, Text, False),
    "width": (pl.Int64, Integer, False),
    "height": (pl.Int64, Integer, False),
    "class_name": (pl.String, Text, True),
    "pre_class": (pl.String, Text, True),
    "change_kind": (pl.String, Text, False),
    "class_changed": (pl.Boolean, Boolean, False),
    "x": (pl.Float64, Double, True),
    "y": (pl.Float64, Double, True),
    "w": (pl.Float64, Double, True),
    "h": (pl.Float64, Double, True),
    "iou": (pl.Float64, Double, True),
    "area_px": (pl.Float64, Double, True),
    "area_fraction": (pl.Float64, Double, True),
    "adjustment_factor": (pl.Float64, Double, True),
    "pre_confidence": (pl.Float64, Double, True),
    "review_state": (pl.String, Text, False),
    "reviewer": (pl.String, Text, True),
}
ROW_SCHEMA = {name: dtype for name, (dtype, _, _) in ROW_COLUMNS.items()}


def export_rows(items: pl.DataFrame) -> pl.DataFrame:
    """ROW_SCHEMA from core.review.resultsets.resultset_frame."""
    return items.with_columns(
        pl.lit(ReviewState.ACCEPTED).alias("review_state"), pl.col("reviewed_by").alias("reviewer")
    ).select([pl.col(name).cast(dtype) for name, dtype in ROW_SCHEMA.items()])


def row_table(name: str) -> Table:
    """The datalog table's definition, on a MetaData of its own (never LabelDeck's)."""
    return Table(
        name,
        MetaData(),
        *[
            Column(column, sql_type, primary_key=(column == "result_id"), nullable=nullable, autoincrement=False)
            for column, (_, sql_type, nullable) in ROW_COLUMNS.items()
        ],
    )
