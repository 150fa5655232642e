"""Matching expert boxes to pre-label boxes and the per-result metrics of docs/glossary.md, as polars expressions.

Inputs are frames of boxes with columns image_id, category_id, x, y, w, h (pre boxes also score); images have
image_id, width, height. The output has one row per result, ready to be stored.
"""

from __future__ import annotations

import polars as pl

from core.analysis.box_pairs import boxes_per_image, candidate_pair_counts, candidate_pairs
from core.domain import limits
from core.domain.errors import BadInput
from core.domain.vocabulary import CLASS_CHANGING_KINDS, ChangeKind, Task

RESULT_METRIC_COLUMNS = (
    "image_id",
    "expert_category_id",
    "pre_category_id",
    "class_changed",
    "change_kind",
    "expert_x",
    "expert_y",
    "expert_w",
    "expert_h",
    "pre_x",
    "pre_y",
    "pre_w",
    "pre_h",
    "area_px",
    "area_fraction",
    "adjustment_factor",
    "iou",
    "pre_confidence",
)

# Boxes whose IoU is this close to 1 are the same box: coordinates that went through a clip, a JSON round trip or
# an editor's display scale differ in the 15th digit, and "adjusted" must mean the expert moved something.
SAME_BOX_TOLERANCE = 1e-9

# Bound what is held at once: the candidate pairs' grid rows (core.analysis.box_pairs), images per chunk times their boxes,
# and the pairs themselves, counted first (the pairs of 20,000 images of 1,000 copies of one box would be 2 x 10^10).
MATCH_CHUNK_IMAGES = 20_000
MATCH_CHUNK_PAIRS = 5_000_000

# Vectorised greedy rounds before the sequential pass over what is left. The benchmark job's 987,023 pairs at IoU 0.5:
# round 1 takes 948,837, round 2 975, and leaves 4; ties of boxes written many times are left for the pass.
GREEDY_ROUNDS = 2


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

    A round takes every pair that is the best remaining one for both its expert and its pre box and drops the pairs
    it blocks: the greedy pass would take exactly those pairs (nothing ranked above them touches their boxes). A few
    such vectorised rounds settle nearly every pair; what is left goes through the greedy pass itself, in rank order.
    """
    ranked = pairs.sort(["iou", "e", "p"], descending=[True, False, False]).with_row_index("rank")
    matched = []
    for _ in range(GREEDY_ROUNDS):
        if not ranked.height:
            break
        best = ranked.filter(
            (pl.col("rank") == pl.col("rank").min().over("e")) & (pl.col("rank") == pl.col("rank").min().over("p"))
        )
        matched.append(best.select("e", "p", "iou"))
        ranked = ranked.filter(~pl.col("e").is_in(best["e"].implode()) & ~pl.col("p").is_in(best["p"].implode()))
    taken = _greedy_in_order(ranked["e"].to_list(), ranked["p"].to_list())  # filter kept the rank order
    matched.append(ranked.filter(pl.Series(taken, dtype=pl.Boolean)).select("e", "p", "iou"))
    return pl.concat(matched)


def _greedy_in_order(experts: list[int], pres: list[int]) -> list[bool]:
    """Which of the pairs a greedy pass takes, walking them in the order given."""
    # A loop rather than more rounds: a round over tied pairs (one box written many times) may take a single pair,
    # so rounds until none are left cost pairs x pairs; this pass is linear in the pairs.
    taken_e: set[int] = set()
    taken_p: set[int] = set()
    taken = []
    for e, p in zip(experts, pres):
        free = e not in taken_e and p not in taken_p
        if free:
            taken_e.add(e)
            taken_p.add(p)
        taken.append(free)
    return taken


def match_boxes(
    expert: pl.DataFrame, pre: pl.DataFrame, *, iou_threshold: float, images: pl.DataFrame | None = None
) -> pl.DataFrame:
    """Pairs (e, p, iou) of expert and pre row numbers in the same image with IoU >= threshold, matched greedily.

    Only pairs that can reach the threshold are scored (core.analysis.box_pairs): memory grows with the boxes on an image,
    not with their square, unless it holds copies of one box. An image with more such pairs than
    MAX_PAIRS_PER_IMAGE is refused (BadInput), named by its file_name in `images` when given.
    """
    if not 0.0 < iou_threshold <= 1.0:
        # At 0 boxes that do not even touch would match, and the candidate pairs leave those out; importers refuse it.
        raise ValueError(f"IoU threshold {iou_threshold}: must be in (0, 1]")
    e, p = (
        frame.select("image_id", pl.int_range(pl.len(), dtype=pl.Int64).alias("row"), "x", "y", "w", "h")
        for frame in (expert, pre)
    )
    # Only images with boxes on both sides have pairs; experts x pres bounds their candidate pairs, so only images
    # and chunks past a limit by that bound need their pairs counted.
    per_image = boxes_per_image(e.lazy(), p.lazy()).sort("image_id").collect()
    _refuse_crowded_images(e, p, per_image, iou_threshold=iou_threshold, images=images)
    matched = [pl.DataFrame(schema={"e": pl.Int64, "p": pl.Int64, "iou": pl.Float64})]
    for chunk in per_image.iter_slices(MATCH_CHUNK_IMAGES):
        for part in _parts_by_pairs(e, p, chunk, iou_threshold=iou_threshold):
            part_e, part_p = (frame.filter(pl.col("image_id").is_in(part)).lazy() for frame in (e, p))
            pairs = (
                candidate_pairs(expert=part_e, pre=part_p, iou_threshold=iou_threshold)
                .select("e", "p", iou_expr().alias("iou"))
                .filter(pl.col("iou") >= iou_threshold)
                .collect()
            )
            matched.append(greedy_match(pairs))
    return pl.concat(matched)


def _parts_by_pairs(
    e: pl.DataFrame, p: pl.DataFrame, per_image: pl.DataFrame, *, iou_threshold: float
) -> list[pl.Series]:
    """The image ids of per_image (image_id, experts, pres), imploded, in runs of fewer than MATCH_CHUNK_PAIRS
    candidate pairs but for each run's last image."""
    if (per_image["experts"] * per_image["pres"]).sum() < MATCH_CHUNK_PAIRS:
        return [per_image["image_id"].implode()]
    counts = _pair_counts(e, p, per_image, iou_threshold=iou_threshold).sort("image_id")
    before = pl.col("pairs").cum_sum() - pl.col("pairs")
    runs = counts.with_columns((before // MATCH_CHUNK_PAIRS).alias("run"))
    return [run["image_id"].implode() for run in runs.partition_by("run", maintain_order=True)]


def _refuse_crowded_images(
    e: pl.DataFrame, p: pl.DataFrame, per_image: pl.DataFrame, *, iou_threshold: float, images: pl.DataFrame | None
) -> None:
    limit = limits.MAX_PAIRS_PER_IMAGE
    suspects = per_image.filter(pl.col("experts") * pl.col("pres") > limit)
    if suspects.is_empty():
        return
    crowded = _pair_counts(e, p, suspects, iou_threshold=iou_threshold).filter(pl.col("pairs") > limit)
    if crowded.is_empty():
        return
    if images is not None and "file_name" in images.columns:
        crowded = crowded.join(images.select("image_id", "file_name"), on="image_id", how="left")
    else:
        crowded = crowded.with_columns(pl.lit(None, pl.String).alias("file_name"))
    raise BadInput(
        [
            f"image {image_id}{'' if name is None else f' {name!r}'}: "
            f"{limits.too_many(pairs, limit, 'expert x pre box pairs to compare')}: is one box written many times over?"
            for image_id, pairs, name in crowded.sort("image_id").select("image_id", "pairs", "file_name").iter_rows()
        ]
    )


def _pair_counts(e: pl.DataFrame, p: pl.DataFrame, per_image: pl.DataFrame, *, iou_threshold: float) -> pl.DataFrame:
    """image_id, pairs: the candidate pairs of the images of per_image, counted (core.analysis.box_pairs)."""
    ids = per_image["image_id"].implode()
    return candidate_pair_counts(
        expert=e.lazy().filter(pl.col("image_id").is_in(ids)),
        pre=p.lazy().filter(pl.col("image_id").is_in(ids)),
        iou_threshold=iou_threshold,
    ).collect()


def detection_results(
    *, expert: pl.DataFrame, pre: pl.DataFrame, images: pl.DataFrame, iou_threshold: float
) -> pl.DataFrame:
    """One row per expert box (matched to at most one pre box) plus one per pre box the expert removed. images:
    image_id, width, height, and file_name if known (a refusal names the image by it)."""
    pairs = match_boxes(expert, pre, iou_threshold=iou_threshold, images=images)
    e = expert.select(
        pl.int_range(pl.len(), dtype=pl.Int64).alias("e"),
        "image_id",
        pl.col("category_id").alias("expert_category_id"),
        *[pl.col(c).alias(f"expert_{c}") for c in "xywh"],
    )
    p = pre.select(
        pl.int_range(pl.len(), dtype=pl.Int64).alias("p"),
        pl.col("image_id").alias("pre_image_id"),
        pl.col("category_id").alias("pre_category_id"),
        *[pl.col(c).alias(f"pre_{c}") for c in "xywh"],
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
        pl.when(~has_pre)
        .then(pl.lit(ChangeKind.ADDED))
        .when(~has_expert)
        .then(pl.lit(ChangeKind.REMOVED))
        .when(pl.col("expert_category_id") != pl.col("pre_category_id"))
        .then(pl.lit(ChangeKind.RELABELED))
        .when(pl.col("iou") < 1.0 - SAME_BOX_TOLERANCE)
        .then(pl.lit(ChangeKind.ADJUSTED))
        .otherwise(pl.lit(ChangeKind.UNCHANGED))
    )
    area = pl.col("expert_w") * pl.col("expert_h")
    return (
        results.join(images.select("image_id", "width", "height"), on="image_id", how="left")
        .with_columns(change_kind.alias("change_kind"))
        .with_columns(
            pl.col("change_kind").is_in(list(CLASS_CHANGING_KINDS)).alias("class_changed"),
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
        pl.when(pl.col("pre_category_id").is_null())
        .then(pl.lit(ChangeKind.ADDED))
        .when(changed)
        .then(pl.lit(ChangeKind.RELABELED))
        .otherwise(pl.lit(ChangeKind.UNCHANGED))
        .alias("change_kind"),
        *[
            pl.lit(None, pl.Float64).alias(c)
            for c in RESULT_METRIC_COLUMNS
            if c.startswith(("expert_", "pre_")) and c[-2:] in ("_x", "_y", "_w", "_h")
        ],
        *[pl.lit(None, pl.Float64).alias(c) for c in ("area_px", "area_fraction", "adjustment_factor", "iou")],
    ).select(RESULT_METRIC_COLUMNS)


def results_of_labels(
    *, task: str, expert: pl.DataFrame, pre: pl.DataFrame, images: pl.DataFrame, iou_threshold: float
) -> pl.DataFrame:
    """The results of labels drawn in LabelDeck (a submitted manual job, a returned rework): expert and pre labels
    keyed by image_id and category_id (x, y, w, h, score; no box for classification) on `images` (image_id,
    file_name, width, height). Classification: one result per image, its pre-label's score the confidence."""
    if task == Task.DETECTION:
        return detection_results(expert=expert, pre=pre, images=images, iou_threshold=iou_threshold)
    return classification_results(
        images.select("image_id")
        .join(expert.select("image_id", pl.col("category_id").alias("expert_category_id")), on="image_id", how="left")
        .join(
            pre.select(
                "image_id", pl.col("category_id").alias("pre_category_id"), pl.col("score").alias("pre_confidence")
            ),
            on="image_id",
            how="left",
        )
        .sort("image_id")
    )
