"""Synthetic detection job for the benchmark: an expert COCO dataset and noisy pre-labels, written twice: as COCO
results (a list of detections) and as a COCO dataset (what an auto label job's export often is).

Everything is generated with vectorised numpy and serialised by polars, so a million boxes take seconds.
Box coordinates lie on a half-pixel grid: every x, y, w, h, x + w and w * h is exact in binary floating point,
so "the box lies inside the image" holds exactly for any importer that checks x + w <= width.
No image files are written; the import is expected to run with --skip-image-check.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

CATEGORIES: tuple[str, ...] = ("car", "person", "bicycle", "truck", "bus", "traffic_light", "dog", "motorcycle")

# Geometry is generated in half-pixel units (integers), then divided by two.
_HALF = 2
_MIN_SIDE_PX = 4


@dataclass(frozen=True, kw_only=True)
class SynthSpec:
    images: int = 100_000
    boxes_per_image: float = 10.0
    seed: int = 0
    width: int = 1280
    height: int = 720
    wrong_class_rate: float = 0.08
    missed_rate: float = 0.05
    spurious_rate: float = 0.05
    # share of the kept pre boxes whose geometry equals the expert box; the rest are jittered and resized
    unchanged_geometry_rate: float = 0.5

    def __post_init__(self) -> None:
        if self.images < 1:
            raise ValueError("images must be >= 1")
        if self.boxes_per_image < 0:
            raise ValueError("boxes_per_image must be >= 0")
        if self.width < 2 * _MIN_SIDE_PX or self.height < 2 * _MIN_SIDE_PX:
            raise ValueError(f"width and height must be >= {2 * _MIN_SIDE_PX}")
        for name in ("wrong_class_rate", "missed_rate", "spurious_rate", "unchanged_geometry_rate"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must lie in [0, 1]")

    @property
    def expert_boxes(self) -> int:
        return round(self.images * self.boxes_per_image)


@dataclass(frozen=True)
class SynthJob:
    """The generated labels as frames.

    expert: id, image_id, category_id, x, y, w, h (sorted by image_id, ids 1..n).
    pre: image_id, category_id, x, y, w, h, score, plus provenance that is not written to the file:
    expert_id (null for spurious boxes), wrong_class, jittered.
    """

    spec: SynthSpec
    images: pl.DataFrame
    expert: pl.DataFrame
    pre: pl.DataFrame


@dataclass(frozen=True)
class SynthFiles:
    images_dir: Path
    expert_path: Path
    pre_path: Path
    pre_dataset_path: Path
    images: int
    expert_boxes: int
    pre_boxes: int
    missed: int
    spurious: int
    wrong_class: int
    jittered: int


def generate(spec: SynthSpec) -> SynthJob:
    rng = np.random.default_rng(spec.seed)
    n_expert = spec.expert_boxes
    width2, height2 = spec.width * _HALF, spec.height * _HALF

    image_id = np.sort(rng.integers(1, spec.images + 1, size=n_expert))
    category_id = rng.integers(1, len(CATEGORIES) + 1, size=n_expert)
    x, y, w, h = _random_boxes(rng, n_expert, width2, height2)
    expert = pl.DataFrame(
        {
            "id": np.arange(1, n_expert + 1, dtype=np.int64),
            "image_id": image_id,
            "category_id": category_id,
            **_to_pixels(x, y, w, h),
        }
    )

    kept = rng.random(n_expert) >= spec.missed_rate
    k_image, k_category = image_id[kept], category_id[kept]
    kx, ky, kw, kh = x[kept], y[kept], w[kept], h[kept]
    n_kept = int(kept.sum())

    wrong = rng.random(n_kept) < spec.wrong_class_rate
    shift = rng.integers(1, len(CATEGORIES), size=n_kept)  # never 0, so the class always differs
    k_category = np.where(wrong, (k_category - 1 + shift) % len(CATEGORIES) + 1, k_category)

    jittered = rng.random(n_kept) >= spec.unchanged_geometry_rate
    jx, jy, jw, jh = _jitter(rng, kx, ky, kw, kh, width2, height2)
    kx, ky = np.where(jittered, jx, kx), np.where(jittered, jy, ky)
    kw, kh = np.where(jittered, jw, kw), np.where(jittered, jh, kh)

    score = np.where(wrong, rng.uniform(0.30, 0.80, n_kept), rng.uniform(0.55, 1.0, n_kept))

    n_spurious = round(spec.spurious_rate * n_expert)
    sx, sy, sw, sh = _random_boxes(rng, n_spurious, width2, height2)
    kept_pre = pl.DataFrame(
        {
            "image_id": k_image,
            "category_id": k_category,
            **_to_pixels(kx, ky, kw, kh),
            "score": np.round(score, 3),
            "expert_id": np.flatnonzero(kept).astype(np.int64) + 1,
            "wrong_class": wrong,
            "jittered": jittered,
        }
    )
    spurious_pre = pl.DataFrame(
        {
            "image_id": rng.integers(1, spec.images + 1, size=n_spurious),
            "category_id": rng.integers(1, len(CATEGORIES) + 1, size=n_spurious),
            **_to_pixels(sx, sy, sw, sh),
            "score": np.round(rng.uniform(0.05, 0.60, n_spurious), 3),
            "expert_id": np.full(n_spurious, None),
            "wrong_class": np.zeros(n_spurious, dtype=bool),
            "jittered": np.zeros(n_spurious, dtype=bool),
        },
        schema_overrides={"expert_id": pl.Int64},
    )
    pre = pl.concat([kept_pre, spurious_pre]).sort("image_id", maintain_order=True)

    images = pl.DataFrame({"id": np.arange(1, spec.images + 1, dtype=np.int64)}).with_columns(
        file_name=pl.format("img_{}.jpg", pl.col("id").cast(pl.String).str.zfill(6)),
        width=pl.lit(spec.width, dtype=pl.Int64),
        height=pl.lit(spec.height, dtype=pl.Int64),
    )
    return SynthJob(spec=spec, images=images, expert=expert, pre=pre)


def write_job(spec: SynthSpec, out_dir: Path) -> SynthFiles:
    """Generate a job and write expert.json (COCO dataset), the pre-labels as pre.json (COCO results) and as
    pre_dataset.json (COCO dataset: the same images and classes, the same boxes with their scores), and an empty
    images/ folder."""
    job = generate(spec)
    out_dir.mkdir(parents=True, exist_ok=True)
    images_dir = out_dir / "images"
    images_dir.mkdir(exist_ok=True)
    expert_path = out_dir / "expert.json"
    pre_path = out_dir / "pre.json"
    pre_dataset_path = out_dir / "pre_dataset.json"
    write_coco_dataset(job, expert_path)
    write_coco_results(job, pre_path)
    write_pre_dataset(job, pre_dataset_path)
    return SynthFiles(
        images_dir=images_dir,
        expert_path=expert_path,
        pre_path=pre_path,
        pre_dataset_path=pre_dataset_path,
        images=job.images.height,
        expert_boxes=job.expert.height,
        pre_boxes=job.pre.height,
        missed=job.expert.height - job.pre["expert_id"].drop_nulls().len(),
        spurious=job.pre["expert_id"].null_count(),
        wrong_class=int(job.pre["wrong_class"].sum()),
        jittered=int(job.pre["jittered"].sum()),
    )


def write_coco_dataset(job: SynthJob, path: Path) -> None:
    annotations = job.expert.select(
        "id", "image_id", "category_id", _bbox_expr(), area=pl.col("w") * pl.col("h"), iscrowd=pl.lit(0, dtype=pl.Int8)
    )
    info = {"description": f"LabelDeck benchmark, synthetic, seed {job.spec.seed}", "version": "1.0"}
    _write_dataset(job, path, annotations, info)


def write_pre_dataset(job: SynthJob, path: Path) -> None:
    """The pre-labels as a COCO dataset: annotation ids 1..n in file order, each with its score."""
    annotations = job.pre.select(
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("id"),
        "image_id",
        "category_id",
        _bbox_expr(),
        area=pl.col("w") * pl.col("h"),
        iscrowd=pl.lit(0, dtype=pl.Int8),
        score=pl.col("score"),
    )
    info = {"description": f"LabelDeck benchmark pre-labels, synthetic, seed {job.spec.seed}", "version": "1.0"}
    _write_dataset(job, path, annotations, info)


def _write_dataset(job: SynthJob, path: Path, annotations: pl.DataFrame, info: dict) -> None:
    categories = [{"id": i, "name": name, "supercategory": "object"} for i, name in enumerate(CATEGORIES, 1)]
    with path.open("w", encoding="utf-8") as f:
        f.write('{"info":')
        json.dump(info, f)
        f.write(',"images":')
        f.write(job.images.write_json())
        f.write(',"categories":')
        json.dump(categories, f)
        f.write(',"annotations":')
        f.write(annotations.write_json())
        f.write("}\n")


def write_coco_results(job: SynthJob, path: Path) -> None:
    results = job.pre.select("image_id", "category_id", _bbox_expr(), "score")
    path.write_text(results.write_json() + "\n", encoding="utf-8")


def _bbox_expr() -> pl.Expr:
    return pl.concat_list("x", "y", "w", "h").alias("bbox")


def _random_boxes(
    rng: np.random.Generator, n: int, width2: int, height2: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Boxes in half-pixel units: log-uniform size, log-uniform aspect ratio, uniform position."""
    min_side = _MIN_SIDE_PX * _HALF
    w = np.exp(rng.uniform(np.log(min_side), np.log(0.6 * width2), n))
    h = w * np.exp(rng.uniform(np.log(0.4), np.log(2.5), n))
    w = np.clip(np.rint(w), min_side, width2).astype(np.int64)
    h = np.clip(np.rint(h), min_side, height2).astype(np.int64)
    x = rng.integers(0, width2 - w + 1)
    y = rng.integers(0, height2 - h + 1)
    return x, y, w, h


def _jitter(
    rng: np.random.Generator, x: np.ndarray, y: np.ndarray, w: np.ndarray, h: np.ndarray, width2: int, height2: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Move the centre by a few percent of the box size and resize each side by ~10%, staying in the image."""
    n = len(x)
    min_side = _MIN_SIDE_PX * _HALF
    nw = np.clip(np.rint(w * rng.lognormal(0.0, 0.10, n)), min_side, width2).astype(np.int64)
    nh = np.clip(np.rint(h * rng.lognormal(0.0, 0.10, n)), min_side, height2).astype(np.int64)
    cx = x + w / 2 + rng.normal(0.0, 0.04, n) * w
    cy = y + h / 2 + rng.normal(0.0, 0.04, n) * h
    nx = np.clip(np.rint(cx - nw / 2), 0, width2 - nw).astype(np.int64)
    ny = np.clip(np.rint(cy - nh / 2), 0, height2 - nh).astype(np.int64)
    return nx, ny, nw, nh


def _to_pixels(x: np.ndarray, y: np.ndarray, w: np.ndarray, h: np.ndarray) -> dict[str, np.ndarray]:
    return {"x": x / _HALF, "y": y / _HALF, "w": w / _HALF, "h": h / _HALF}
