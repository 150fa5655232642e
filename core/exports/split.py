"""Train/val(/test) splits of an export, by image: seeded, reproducible, optionally stratified by class.

The rule, the same in every process and on every machine:

1. Each image gets a key, the sha256 of `"<seed>:<file path>"` (hashlib, not Python's `hash()`, which is salted
   per process, nor polars' `hash()`, which may change between polars versions). The order images come in plays no
   part, so the same ResultSet and seed always give the same split.
2. Images are grouped into strata: one stratum (no `stratify`), or, with `stratify`, by the image's rarest class
   (the class on the fewest of the export's images; ties by spec position; images without boxes form a stratum of
   their own). The rarest class, not the most common: a class seen on few images is the one a split can starve.
3. Within a stratum, images are ranked by key; an image's place is its quantile `(rank - 0.5) / stratum size`.
   Every image is then ordered by (place, key) and the split takes consecutive runs of that order, of sizes
   `n · fraction` rounded by largest remainder. So each split gets its share within one image overall, and within
   one image of its share in every stratum (each stratum's images are spread evenly over the order).

Exact shares over "an image keeps its split whatever else is added" (a threshold on the key alone): a threshold
gives a 50-image validation set of 40 or 60 images by chance. Ranking keeps most of that stability: adding an
image moves the cuts by at most one place, so at most an image per cut changes split.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from core.domain.errors import BadInput

if TYPE_CHECKING:
    from polars._typing import PolarsDataType

SPLIT_NAMES = ("train", "val", "test")
SPLIT_SCHEMA: dict[str, PolarsDataType] = {"sample_id": pl.Int64, "split": pl.String}
NO_BOXES = "(no boxes)"
_TOLERANCE = 1e-6


@dataclass(frozen=True)
class SplitSpec:
    fractions: tuple[tuple[str, float], ...]  # in SPLIT_NAMES order, each > 0, summing to 1
    seed: int = 0
    stratify: bool = False

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.fractions]

    def describe(self) -> dict:
        return {
            "fractions": dict(self.fractions),
            "seed": self.seed,
            "stratify": self.stratify,
            "by": "image",
            "stratum": "rarest class of the image" if self.stratify else None,
        }


def parse_split(text: str, *, seed: int = 0, stratify: bool = False, option: str = "--split") -> SplitSpec:
    """`train=0.8,val=0.2[,test=...]` as a SplitSpec; BadInput naming what is wrong, and where (`option`)."""
    fractions: dict[str, float] = {}
    for part in (p.strip() for p in text.split(",")):
        name, sep, value = part.partition("=")
        name = name.strip()
        if not sep or name not in SPLIT_NAMES:
            raise BadInput(f"{option} {text!r}: {part!r} is not train=, val= or test= and a fraction")
        if name in fractions:
            raise BadInput(f"{option} {text!r}: {name} given twice")
        try:
            fraction = float(value)
        except ValueError:
            raise BadInput(f"{option} {text!r}: {name}={value.strip()!r} is not a number") from None
        if not 0 < fraction < 1:
            raise BadInput(f"{option} {text!r}: {name}={value.strip()} must be above 0 and below 1")
        fractions[name] = fraction
    if "train" not in fractions or len(fractions) < 2:
        raise BadInput(f"{option} {text!r}: name train and val or test (e.g. train=0.8,val=0.2)")
    if abs(sum(fractions.values()) - 1) > _TOLERANCE:
        raise BadInput(f"{option} {text!r}: the fractions add up to {sum(fractions.values()):g}, not 1")
    return SplitSpec(
        fractions=tuple((n, fractions[n]) for n in SPLIT_NAMES if n in fractions), seed=seed, stratify=stratify
    )


def split_sizes(n: int, spec: SplitSpec) -> list[int]:
    """n images shared by the fractions, rounded by largest remainder (ties: the earlier split)."""
    exact = [n * fraction for _, fraction in spec.fractions]
    sizes = [int(e) for e in exact]
    by_remainder = sorted(range(len(exact)), key=lambda i: (-(exact[i] - sizes[i]), i))
    for i in by_remainder[: n - sum(sizes)]:
        sizes[i] += 1
    return sizes


def image_key(seed: int, file_path: str) -> str:
    return hashlib.sha256(f"{seed}:{file_path}".encode()).hexdigest()


def rarest_class(images: pl.DataFrame, boxes: pl.DataFrame) -> pl.DataFrame:
    """sample_id, stratum: each image's class on the fewest images (ties: spec position), NO_BOXES without boxes.
    `boxes`: sample_id, class_name, position."""
    per_image = boxes.select("sample_id", "class_name", "position").unique()
    ranked = per_image.with_columns(pl.len().over("class_name").alias("images")).sort("images", "position")
    first = ranked.group_by("sample_id", maintain_order=True).first().select("sample_id", stratum="class_name")
    return (
        images.select("sample_id")
        .join(first, on="sample_id", how="left")
        .with_columns(pl.col("stratum").fill_null(NO_BOXES))
    )


def assign_splits(images: pl.DataFrame, *, spec: SplitSpec, strata: pl.DataFrame | None = None) -> pl.DataFrame:
    """SPLIT_SCHEMA: every image of `images` (sample_id, file_path) in exactly one split of `spec`, by the rule
    above. `strata` (sample_id, stratum) when stratified; every image one stratum otherwise."""
    keyed = images.select("sample_id", "file_path").with_columns(
        pl.col("file_path").map_elements(lambda path: image_key(spec.seed, path), return_dtype=pl.String).alias("key")
    )
    keyed = (
        keyed.join(strata, on="sample_id", how="left")
        if strata is not None
        else keyed.with_columns(pl.lit("").alias("stratum"))
    )
    place = (pl.col("key").rank("ordinal").over("stratum") - 0.5) / pl.len().over("stratum")
    ordered = keyed.with_columns(place.alias("place")).sort("place", "key").with_row_index("order")
    bounds, total = [], 0
    for size in split_sizes(ordered.height, spec):
        total += size
        bounds.append(total)
    split = pl.lit(spec.names[-1])
    for name, bound in reversed(list(zip(spec.names[:-1], bounds[:-1]))):
        split = pl.when(pl.col("order") < bound).then(pl.lit(name)).otherwise(split)
    return ordered.select("sample_id", split.alias("split")).cast(pl.Schema(SPLIT_SCHEMA)).sort("sample_id")
