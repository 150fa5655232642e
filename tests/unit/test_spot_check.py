"""Spot-check sampling and the Wilson interval, checked against hand-computed values."""

from __future__ import annotations

import polars as pl
import pytest

from core.review.spot_check import draw_sample, error_rate


def test_the_sample_is_reproducible_and_within_the_slice():
    ids = pl.Series(range(1000, 2000))
    first = draw_sample(ids, n=50, seed=7)
    assert first == draw_sample(ids.shuffle(seed=3), n=50, seed=7)  # order of the slice does not matter
    assert len(first) == len(set(first)) == 50
    assert set(first) <= set(ids)
    assert first != draw_sample(ids, n=50, seed=8)


def test_a_sample_larger_than_the_slice_is_the_slice():
    assert draw_sample(pl.Series([5, 3, 9]), n=10, seed=1) == [3, 5, 9]


@pytest.mark.parametrize(
    ("rejected", "reviewed", "rate", "low", "high"),
    [
        (0, 10, 0.0, 0.0, 0.2775328),  # Wilson: z²/(n+z²) = 3.8415/13.8415
        (5, 10, 0.5, 0.2365931, 0.7634069),
        (1, 50, 0.02, 0.0035393, 0.1049544),
        (10, 10, 1.0, 0.7224672, 1.0),
    ],
)
def test_wilson_interval_by_hand(rejected, reviewed, rate, low, high):
    estimate = error_rate(rejected=rejected, reviewed=reviewed)
    assert estimate.rate == pytest.approx(rate)
    assert estimate.low == pytest.approx(low, abs=1e-6)
    assert estimate.high == pytest.approx(high, abs=1e-6)


def test_nothing_reviewed_has_no_estimate():
    assert error_rate(rejected=0, reviewed=0) is None
