"""Spot checks ("review sample jobs"): a reproducible random sample of a slice, and the slice's error
rate estimated from the sample's decisions."""

from __future__ import annotations

import math
from dataclasses import dataclass

import polars as pl

Z_95 = 1.959964


def draw_sample(result_ids: pl.Series, *, n: int, seed: int) -> list[int]:
    """n result ids drawn without replacement, the same for the same slice, n and seed (sorted for display)."""
    ids = result_ids.sort()
    if n >= ids.len():
        return ids.to_list()
    return ids.sample(n=n, seed=seed, shuffle=False).sort().to_list()


@dataclass(frozen=True)
class ErrorRate:
    rejected: int
    reviewed: int
    rate: float
    low: float
    high: float


def error_rate(*, rejected: int, reviewed: int, z: float = Z_95) -> ErrorRate | None:
    """Rejected share of the reviewed sample with its Wilson score interval (95% by default): unlike the normal
    approximation it stays inside [0, 1] and is honest for small samples and rates near 0, the usual case here."""
    if reviewed <= 0:
        return None
    p = rejected / reviewed
    denominator = 1 + z * z / reviewed
    centre = (p + z * z / (2 * reviewed)) / denominator
    half = z * math.sqrt(p * (1 - p) / reviewed + z * z / (4 * reviewed * reviewed)) / denominator
    return ErrorRate(
        rejected=rejected, reviewed=reviewed, rate=p, low=max(0.0, centre - half), high=min(1.0, centre + half)
    )
