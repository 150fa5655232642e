"""The CSV export: a header and one row per ResultSet item, the columns of core/exports/rows.py in that order;
exported with `include_partial`, a column `complete_image` (core/exports/completeness.py) too; split
(core/exports/split.py), a last column `split` (a CSV is one file: the split cannot be folders). Booleans
are `true`/`false`, missing values empty, floats at full precision.

A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` as a formula (and some strip a leading tab or
carriage return first), so a text cell that starts with one gets a leading apostrophe, which spreadsheets read as
"text" and do not show: OWASP's advice against CSV injection. Numbers are left as they are: the number columns are
never text, and a text cell that is a plain number ("-1", "+0.5", a class named "-1") has nothing to run. The
datalog table and the other formats keep every name exactly.
"""

from __future__ import annotations

import polars as pl

from core.exports.rows import export_rows
from core.exports.source import ExportSource

FORMULA_START = r"^[=+\-@\t\r]"
PLAIN_NUMBER = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$"


def csv_bytes(source: ExportSource) -> bytes:
    rows = export_rows(source.items)
    if source.partial_images.included:
        rows = rows.with_columns(source.items.select(complete_image(source.partial)).to_series())
    if source.splits is not None:
        rows = rows.with_columns(
            source.items.join(source.splits, on="sample_id", how="left", maintain_order="left")["split"]
        )
    return (
        rows.with_columns(neutralised(name) for name, dtype in rows.schema.items() if dtype == pl.String)
        .write_csv()
        .encode()
    )


def complete_image(partial: pl.DataFrame) -> pl.Expr:
    """Whether the row's image is complete: its sample is not among the partial ones."""
    return (~pl.col("sample_id").is_in(partial["sample_id"].implode())).alias("complete_image")


def neutralised(column: str) -> pl.Expr:
    """The text column with a leading apostrophe on each cell a spreadsheet would run as a formula."""
    cell = pl.col(column)
    formula = cell.str.contains(FORMULA_START) & ~cell.str.contains(PLAIN_NUMBER)
    return pl.when(formula).then(pl.lit("'") + cell).otherwise(cell).alias(column)
