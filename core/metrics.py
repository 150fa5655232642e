"""Matching expert boxes to pre-label boxes and the per-result metrics of DESIGN.md, as polars expressions.

Inputs are frames of boxes with columns image_id, category_id, x, y, w, h (pre boxes also score); images have
image_id, width, height. The output has one row per result, ready to be stored.
"""

from __future__ import annotations

import polars as pl

from core.box_pairs import candidate_pairs

RESULT_METRIC_COLUMNS = (
    "image_id", "expert_category_id", "pre_category_id", "class_changed", "change_kind",
    "expert_x", "expert_y", "expert_w", "expert_h", "pre_x", "pre_y", "pre_w", "pre_h",
    "area_px", "area_fraction", "adjustment_factor", "iou", "pre_confidence",
)

# Boxes whose IoU is this close to 1 are the same box: coordinates that went through a clip, a JSON round trip or
# an editor's display scale differ in the 15th digit, and "adjusted" must mean the expert moved something.
SAME_BOX_TOLERANCE = 1e-9

# Bounds the candidate pairs' grid rows (core.box_pairs) held at once: images per chunk times their boxes.
MATCH_CHUNK_IMAGES = 20_000


def iou_expr(a: str = "e_", b: str = "p_") -> pl.Expr:
    """Intersection over union of the boxes in columns {a}x.. and {b}x.. (x, y, w, h in px)."""
    ix = pl.min_horizontal(pl.col(f"{a}x") + pl.col(f"{a}w"), pl.col(f"{b}x") + pl.col(f"{b}w")) - pl.max_horizontal(
        f"{a}x", f"{b}x"
    )
    iy = pl.min_horizontal(pl.col(f"{a}y") + pl.col(f"{a}h"), pl.col(f"{b}y") + pl.col(f"{b}h")) - pl.max_horizontal(
        f"{a}y", f"{b}y"
    )
    inter = ix.clip(lower_bound=0) * iy.clip(lower_bound=0)
    union = pl.col(f"{a}w") * pl.col(f"{a}h") + pl.col(f"{b}w") * pl.col(f"{b}h") - inter
    return inter / union


def greedy_match(pairs: pl.DataFrame) -> pl.DataFrame:
    """Greedy matching by IoU, highest first (ties: lower expert row, then lower pre row), of pairs e, p, iou.

    Rather than walking the sorted pairs in Python, take every pair that is the best remaining one for both its
    expert and its pre box, drop the pairs it blocks, and repeat: the greedy pass would take exactly those pairs
    (nothing ranked above them touches their boxes), so the result is the same, in a handful of vectorised rounds.
    """
    ranked = pairs.sort(["iou", "e", "p"], descending=[True, False, False]).with_row_index("rank")
    matched = []
    while ranked.height:
        best = ranked.filter(
            (pl.col("rank") == pl.col("rank").min().over("e")) & (pl.col("rank") == pl.col("rank").min().over("p"))
        )
        matched.append(best.select("e", "p", "iou"))
        ranked = ranked.filter(~pl.col("e").is_in(best["e"].implode()) & ~pl.col("p").is_in(best["p"].implode()))
    if not matched:
        return pairs.select("e", "p", "iou").clear()
    return pl.concat(matched)


def match_boxes(expert: pl.DataFrame, pre: pl.DataFrame, *, iou_threshold: float) -> pl.DataFrame:
    """Pairs (e, p, iou) of expert and pre row numbers in the same image with IoU >= threshold, matched greedily.

    Only pairs that can reach the threshold are scored (core.box_pairs): memory grows with the boxes on an image,
    not with their square.
    """
    if not 0.0 < iou_threshold <= 1.0:
        # At 0 boxes that do not even touch would match, and the candidate pairs leave those out; importers refuse it.
        raise ValueError(f"IoU threshold {iou_threshold}: must be in (0, 1]")
    e, p = (frame.select("image_id", pl.int_range(pl.len(), dtype=pl.Int64).alias("row"), "x", "y", "w", "h")
            for frame in (expert, pre))
    image_ids = e["image_id"].unique().sort()
    chunks = []
    for start in range(0, image_ids.len(), MATCH_CHUNK_IMAGES):
        ids = image_ids.slice(start, MATCH_CHUNK_IMAGES).implode()
        chunk_e, chunk_p = (frame.lazy().filter(pl.col("image_id").is_in(ids)) for frame in (e, p))
        pairs = (
            candidate_pairs(expert=chunk_e, pre=chunk_p, iou_threshold=iou_threshold)
            .select("e", "p", iou_expr().alias("iou"))
            .filter(pl.col("iou") >= iou_threshold)
            .collect()
        )
        chunks.append(greedy_match(pairs))
    if not chunks:
        return pl.DataFrame(schema={"e": pl.Int64, "p": pl.Int64, "iou": pl.Float64})
    return pl.concat(chunks)


def detection_results(
    *, expert: pl.DataFrame, pre: pl.DataFrame, images: pl.DataFrame, iou_threshold: float
) -> pl.DataFrame:
    """One row per expert box (matched to at most one pre box) plus one per pre box the expert removed."""
    pairs = match_boxes(expert, pre, iou_threshold=iou_threshold)
    e = expert.select(
        pl.int_range(pl.len(), dtype=pl.Int64).alias("e"), "image_id",
        pl.col("category_id").alias("expert_category_id"), *[pl.col(c).alias(f"expert_{c}") for c in "xywh"],
    )
    p = pre.select(
        pl.int_range(pl.len(), dtype=pl.Int64).alias("p"), pl.col("image_id").alias("pre_image_id"),
        pl.col("category_id").alias("pre_category_id"), *[pl.col(c).alias(f"pre_{c}") for c in "xywh"],
        pl.col("score").alias("pre_confidence"),
    )
    kept = e.join(pairs, on="e", how="left").join(p, on="p", how="left").drop("pre_image_id")
    removed = p.join(pairs, on="p", how="anti").rename({"pre_image_id": "image_id"})
    results = pl.concat([kept, removed], how="diagonal_relaxed")
    return with_detection_metrics(results, images)


def with_detection_metrics(results: pl.DataFrame, images: pl.DataFrame) -> pl.DataFrame:
    has_expert = pl.col("expert_category_id").is_not_null()
    has_pre = pl.col("pre_category_id").is_not_null()
    change_kind = (
        pl.when(~has_pre).then(pl.lit("added"))
        .when(~has_expert).then(pl.lit("removed"))
        .when(pl.col("expert_category_id") != pl.col("pre_category_id")).then(pl.lit("relabeled"))
        .when(pl.col("iou") < 1.0 - SAME_BOX_TOLERANCE).then(pl.lit("adjusted"))
        .otherwise(pl.lit("unchanged"))
    )
    area = pl.col("expert_w") * pl.col("expert_h")
    return (
        results.join(images.select("image_id", "width", "height"), on="image_id", how="left")
        .with_columns(change_kind.alias("change_kind"))
        .with_columns(
            pl.col("change_kind").is_in(["relabeled", "added", "removed"]).alias("class_changed"),
            area.alias("area_px"),
            (area / (pl.col("width") * pl.col("height"))).alias("area_fraction"),
            (area / (pl.col("pre_w") * pl.col("pre_h"))).alias("adjustment_factor"),
        )
        .sort("image_id", maintain_order=True)
        .select(RESULT_METRIC_COLUMNS)
    )


def classification_results(labels: pl.DataFrame) -> pl.DataFrame:
    """labels: image_id, expert_category_id, pre_category_id, pre_confidence. One result per sample. A sample
    without a pre-label (a manual job created without any) is `added`, its class changed, as a detection box is."""
    changed = pl.col("expert_category_id").ne_missing(pl.col("pre_category_id"))
    return labels.with_columns(
        changed.alias("class_changed"),
        pl.when(pl.col("pre_category_id").is_null()).then(pl.lit("added"))
        .when(changed).then(pl.lit("relabeled")).otherwise(pl.lit("unchanged")).alias("change_kind"),
        *[pl.lit(None, pl.Float64).alias(c) for c in RESULT_METRIC_COLUMNS if c.startswith(("expert_", "pre_")) and c[-2:] in ("_x", "_y", "_w", "_h")],
        *[pl.lit(None, pl.Float64).alias(c) for c in ("area_px", "area_fraction", "adjustment_factor", "iou")],
    ).select(RESULT_METRIC_COLUMNS)
