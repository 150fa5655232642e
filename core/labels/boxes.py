"""Checking boxes [x, y, w, h] in px against their image, as polars expressions: what is refused, what is clipped.

One rule for every box that enters a manual job (pre-labels from a file or an auto label job, boxes drawn in the
editor): a box with no area, or entirely outside its image, is refused; a box reaching past the border is clipped
to the image, when it is only a sliver past (up to BOX_TOLERANCE_PX, as the importer allows), or always when
`clip_partial` (the editor: what the expert sees on the canvas is the image).
"""

from __future__ import annotations

import polars as pl

from core.labels.coco import BOX_TOLERANCE_PX

BOX_COLUMNS = ("x", "y", "w", "h")


def box_problem(*, clip_partial: bool, tolerance: float = BOX_TOLERANCE_PX) -> pl.Expr:
    """Why the box in columns x, y, w, h (image size: width, height) is refused, or null."""
    x, y, w, h = (pl.col(c) for c in BOX_COLUMNS)
    width, height = pl.col("width"), pl.col("height")
    box = pl.format("[{}, {}, {}, {}]", x, y, w, h)
    finite = pl.all_horizontal([pl.col(c).is_finite().fill_null(False) for c in BOX_COLUMNS])
    fully_outside = (x >= width) | (y >= height) | (x + w <= 0) | (y + h <= 0)
    past_border = (x < -tolerance) | (y < -tolerance) | (x + w > width + tolerance) | (y + h > height + tolerance)
    outside = fully_outside if clip_partial else (fully_outside | past_border)
    return (
        pl.when(~finite)
        .then(pl.format("box {} is not four finite numbers", box))
        .when((w <= 0) | (h <= 0))
        .then(pl.format("box {} has zero or negative width or height", box))
        .when(outside)
        .then(pl.format("box {} lies outside the {}x{} image", box, width, height))
        .otherwise(pl.lit(None, pl.String))
    )


def clipped_box() -> list[pl.Expr]:
    """x, y, w, h clipped to the image (columns width, height)."""
    x0 = pl.col("x").clip(0, pl.col("width"))
    y0 = pl.col("y").clip(0, pl.col("height"))
    x1 = (pl.col("x") + pl.col("w")).clip(0, pl.col("width"))
    y1 = (pl.col("y") + pl.col("h")).clip(0, pl.col("height"))
    return [x0.alias("x"), y0.alias("y"), (x1 - x0).alias("w"), (y1 - y0).alias("h")]
