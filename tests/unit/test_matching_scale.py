"""Matching through candidate pairs (core.analysis.box_pairs) equals matching every pair of an image, in memory that grows
with the boxes on one image, not with their square; copies of one box (a broken exporter's) match in time and memory
that grow with their pairs, and an image with too many pairs is refused before any is made."""

from __future__ import annotations

import json
import math
import os
import random
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from core.analysis import box_pairs, metrics
from core.analysis.metrics import greedy_match, iou_expr, match_boxes
from core.domain import limits
from core.domain.errors import BadInput

PROJECT_ROOT = Path(__file__).resolve().parents[2]

THRESHOLDS = (0.5, 0.1, 0.25, 0.3, 0.75, 0.9, 1.0, math.nextafter(0.5, 1.0), 1e-6)


def all_pairs(expert: pl.DataFrame, pre: pl.DataFrame, *, iou_threshold: float) -> pl.DataFrame:
    """Every expert box of an image scored against every pre box of it: e, p, iou at or above the threshold."""
    e = expert.select("image_id", pl.int_range(pl.len()).alias("e"), *[pl.col(c).alias(f"e_{c}") for c in "xywh"])
    p = pre.select("image_id", pl.int_range(pl.len()).alias("p"), *[pl.col(c).alias(f"p_{c}") for c in "xywh"])
    return e.join(p, on="image_id").select("e", "p", iou_expr().alias("iou")).filter(pl.col("iou") >= iou_threshold)


def all_pairs_match(expert: pl.DataFrame, pre: pl.DataFrame, *, iou_threshold: float) -> pl.DataFrame:
    """The reference for the candidate pairs: the same greedy match over every pair of an image."""
    return greedy_match(all_pairs(expert, pre, iou_threshold=iou_threshold))


def greedy_reference(pairs: pl.DataFrame) -> pl.DataFrame:
    """The greedy match as its definition reads, one pair at a time: IoU highest first (NaN, of two boxes without
    area, above every number, as polars ranks it), ties to the lower expert row, then the lower pre row."""

    def rank(pair: tuple[int, int, float]) -> tuple:
        e, p, iou = pair
        return (not math.isnan(iou), 0.0 if math.isnan(iou) else -iou, e, p)

    taken_e, taken_p, matched = set(), set(), []
    for e, p, iou in sorted(pairs.iter_rows(), key=rank):
        if e not in taken_e and p not in taken_p:
            taken_e.add(e)
            taken_p.add(p)
            matched.append((e, p, iou))
    return pl.DataFrame(matched, schema={"e": pl.Int64, "p": pl.Int64, "iou": pl.Float64}, orient="row")


def comparable(pairs: pl.DataFrame) -> pl.DataFrame:
    """Sorted rows, NaN (the IoU of two boxes without area) as a number that compares equal to itself."""
    return pairs.select(pl.col("e", "p").cast(pl.Int64), pl.col("iou").fill_nan(-1.0)).sort("e", "p")


def frame(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={"image_id": pl.Int64, "x": pl.Float64, "y": pl.Float64, "w": pl.Float64, "h": pl.Float64},
        orient="row",
    )


def random_size(rng: random.Random, side: float) -> float:
    pick = rng.random()
    if pick < 0.05:
        return 0.0  # no area: a sliver past the border clips to nothing
    if pick < 0.25:  # on and just under a power of two, where the size levels change
        return rng.choice([1.0, 2.0, 4.0, 16.0]) * rng.choice([1.0, 1.0 - 1e-12, 1.0 + 1e-12])
    return math.exp(rng.uniform(math.log(0.3), math.log(side / 2)))


def random_box(rng: random.Random, side: float, layout: str) -> tuple[float, float, float, float]:
    if layout == "tiles":  # a grid of whole-pixel tiles: shared edges, identical boxes
        size = rng.choice([0, 8, 8, 16, 24])
        return (8 * rng.randint(0, 7), 8 * rng.randint(0, 7), size, rng.choice([size, 8]))
    w, h = random_size(rng, side), random_size(rng, side)
    if layout == "clustered":
        cx, cy = rng.choice([(0.2, 0.2), (0.5, 0.6), (0.52, 0.58)])
        return (cx * side + rng.gauss(0, 3), cy * side + rng.gauss(0, 3), w, h)
    return (rng.uniform(0, side), rng.uniform(0, side), w, h)


def pre_variant(
    rng: random.Random, box: tuple[float, float, float, float], threshold_scale: float
) -> tuple[float, float, float, float]:
    """A pre box made from an expert box: the same, moved, or resized up to (and past) what a threshold allows."""
    x, y, w, h = box
    kind = rng.choice(["same", "moved", "wider", "narrower", "both", "random_scale"])
    if kind == "same":
        return box
    if kind == "moved":
        return (x + rng.uniform(-0.3, 0.3) * w, y + rng.uniform(-0.3, 0.3) * h, w, h)
    if kind == "wider":  # contained in it, IoU exactly 1 / scale
        return (x, y, w * threshold_scale, h)
    if kind == "narrower":
        return (x, y, w / threshold_scale, h)
    if kind == "both":
        return (x - w / 2, y, w * 2, h * 2)
    return (x, y, w * rng.uniform(0.3, 3.0), h * rng.uniform(0.3, 3.0))


def random_case(seed: int, layout: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    rng = random.Random(seed)
    expert_rows, pre_rows = [], []
    for image_id in range(1, rng.randint(1, 3) + 1):
        side = rng.choice([64.0, 500.0, 4000.0])
        for _ in range(rng.randint(0, 40)):
            box = random_box(rng, side, layout)
            expert_rows.append((image_id, *box))
            for _ in range(rng.choice([0, 1, 1, 2])):
                pre_rows.append((image_id, *pre_variant(rng, box, rng.choice([2.0, 4.0, 1 / 0.3, 1.5]))))
        pre_rows += [(image_id, *random_box(rng, side, layout)) for _ in range(rng.randint(0, 10))]
    pre_rows += [(99, *random_box(rng, 64.0, layout)) for _ in range(rng.randint(0, 3))]  # an image without experts
    rng.shuffle(pre_rows)
    return frame(expert_rows), frame(pre_rows)


def copies_case(seed: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Images holding boxes written many times over (on both sides, on one, near copies too) among ordinary boxes,
    the rows shuffled so that the copies' row order decides their ties."""
    rng = random.Random(seed)
    expert_rows, pre_rows = [], []
    for image_id in range(1, rng.randint(2, 4) + 1):
        side = rng.choice([64.0, 500.0])
        for _ in range(rng.randint(1, 3)):
            box = random_box(rng, side, "spread")  # sometimes without area
            expert_rows += [(image_id, *box)] * rng.randint(0, 40)
            pre_rows += [(image_id, *box)] * rng.randint(0, 40)
            pre_rows += [(image_id, *pre_variant(rng, box, 2.0))] * rng.randint(0, 6)
        for _ in range(rng.randint(0, 15)):
            box = random_box(rng, side, rng.choice(["spread", "clustered", "tiles"]))
            expert_rows.append((image_id, *box))
            pre_rows += [(image_id, *pre_variant(rng, box, 2.0))] * rng.choice([0, 1, 1, 3])
    rng.shuffle(expert_rows)
    rng.shuffle(pre_rows)
    return frame(expert_rows), frame(pre_rows)


# (vectorised greedy rounds, pairs per matching run, ALL_PAIRS_PER_BOX): the sequential pass alone, one round then
# the pass with runs of a few images through the grid, as shipped through the grid, as shipped in short runs.
@pytest.mark.parametrize(
    ("rounds", "chunk_pairs", "all_pairs_per_box"),
    [
        (0, metrics.MATCH_CHUNK_PAIRS, box_pairs.ALL_PAIRS_PER_BOX),
        (1, 200, 0),
        (metrics.GREEDY_ROUNDS, metrics.MATCH_CHUNK_PAIRS, 0),
        (metrics.GREEDY_ROUNDS, 200, box_pairs.ALL_PAIRS_PER_BOX),
    ],
)
def test_copies_of_boxes_match_exactly_as_the_greedy_definition_does(
    rounds, chunk_pairs, all_pairs_per_box, monkeypatch
):
    monkeypatch.setattr(metrics, "GREEDY_ROUNDS", rounds)
    monkeypatch.setattr(metrics, "MATCH_CHUNK_PAIRS", chunk_pairs)
    monkeypatch.setattr(box_pairs, "ALL_PAIRS_PER_BOX", all_pairs_per_box)
    for seed in range(6):
        expert, pre = copies_case(seed)
        for threshold in (0.5, 0.3, 1.0):
            every_pair = all_pairs(expert, pre, iou_threshold=threshold)
            want = comparable(greedy_reference(every_pair)).rows()
            assert comparable(greedy_match(every_pair)).rows() == want, f"seed {seed}, threshold {threshold}"
            assert comparable(match_boxes(expert, pre, iou_threshold=threshold)).rows() == want, (
                f"seed {seed}, threshold {threshold}"
            )


@pytest.mark.parametrize("all_pairs_per_box", [0, box_pairs.ALL_PAIRS_PER_BOX])
def test_candidate_pair_counts_are_the_candidate_pairs_each_image_has(all_pairs_per_box, monkeypatch):
    monkeypatch.setattr(box_pairs, "ALL_PAIRS_PER_BOX", all_pairs_per_box)
    cases = [copies_case(seed) for seed in range(4)] + [random_case(seed, "tiles") for seed in range(4)]
    for expert, pre in cases:
        e, p = (
            f.select("image_id", pl.int_range(pl.len(), dtype=pl.Int64).alias("row"), "x", "y", "w", "h").lazy()
            for f in (expert, pre)
        )
        for threshold in (0.5, 0.1, 1.0):
            made = (
                box_pairs.candidate_pairs(expert=e, pre=p, iou_threshold=threshold)
                .join(e.select("image_id", pl.col("row").alias("e")), on="e")
                .group_by("image_id")
                .len()
                .collect()
            )
            counted = box_pairs.candidate_pair_counts(expert=e, pre=p, iou_threshold=threshold).collect()
            assert dict(counted.filter(pl.col("pairs") > 0).iter_rows()) == dict(made.iter_rows())


def test_an_image_past_the_pairs_limit_is_refused_naming_it(monkeypatch):
    monkeypatch.setattr(limits, "MAX_PAIRS_PER_IMAGE", 8)
    box = (10.0, 10.0, 20.0, 20.0)
    expert = frame([(1, *box)] * 3 + [(2, *box)] * 3 + [(3, *box)] * 2)
    pre = frame([(1, *box)] * 3 + [(2, *box)] * 2 + [(3, *box)] * 5)
    images = pl.DataFrame({"image_id": [1, 2, 3], "file_name": ["a.png", "b.png", "c.png"]})
    with pytest.raises(BadInput) as refused:
        match_boxes(expert, pre, iou_threshold=0.5, images=images)
    assert refused.value.problems == [
        "image 1 'a.png': 9 expert x pre box pairs to compare; at most 8 (core/domain/limits.py): "
        "is one box written many times over?",
        "image 3 'c.png': 10 expert x pre box pairs to compare; at most 8 (core/domain/limits.py): "
        "is one box written many times over?",
    ]
    with pytest.raises(BadInput, match=r"^image 1: 9 expert x pre box pairs"):
        match_boxes(expert, pre, iou_threshold=0.5)
    monkeypatch.setattr(limits, "MAX_PAIRS_PER_IMAGE", 10)
    assert match_boxes(expert, pre, iou_threshold=0.5).height == 7


# 0: every image through the grid; 4: small images paired directly, larger ones through the grid; then as shipped.
@pytest.mark.parametrize("all_pairs_per_box", [0, 4, box_pairs.ALL_PAIRS_PER_BOX])
@pytest.mark.parametrize("layout", ["spread", "clustered", "tiles"])
def test_candidate_pairs_match_exactly_as_all_pairs_do(layout, all_pairs_per_box, monkeypatch):
    monkeypatch.setattr(box_pairs, "ALL_PAIRS_PER_BOX", all_pairs_per_box)
    for seed in range(8):
        expert, pre = random_case(seed, layout)
        for threshold in THRESHOLDS:
            want = all_pairs_match(expert, pre, iou_threshold=threshold)
            got = match_boxes(expert, pre, iou_threshold=threshold)
            assert comparable(got).rows() == comparable(want).rows(), f"seed {seed}, threshold {threshold}"


def test_boxes_at_the_size_ratio_a_threshold_allows_still_match(monkeypatch):
    # Each pre box holds its expert box and is 1/t times as wide: IoU exactly t, sizes levels apart, cells straddled.
    monkeypatch.setattr(box_pairs, "ALL_PAIRS_PER_BOX", 0)  # the grid, however few the boxes
    expert_rows, pre_rows = [], []
    for i, (expert_w, pre_w) in enumerate([(1.0, 2.0), (1.5, 3.0), (3.0, 10.0), (3.0, 12.0), (0.5, 1.0), (7.0, 14.0)]):
        x = 64.0 * i + 63.0
        expert_rows.append((1, x, 1.0, expert_w, 5.0))
        pre_rows.append((1, x - (pre_w - expert_w) / 2, 1.0, pre_w, 5.0))
    expert, pre = frame(expert_rows), frame(pre_rows)
    for threshold, at_it in ((0.5, 4), (0.3, 1), (0.25, 1)):
        want = all_pairs_match(expert, pre, iou_threshold=threshold)
        assert (want["iou"] == threshold).sum() == at_it
        assert comparable(match_boxes(expert, pre, iou_threshold=threshold)).rows() == comparable(want).rows()


@pytest.mark.parametrize("threshold", [0.5, 0.3, 0.1, 1.0, math.nextafter(0.5, 1.0)])
def test_sizes_levels_apart_bound_every_pair_that_can_reach_the_threshold(threshold):
    # IoU <= narrower / wider: at the threshold the wider box is at most 1/t times the narrower one.
    apart = box_pairs.levels_apart(threshold)
    for narrow in (1.0, 1.5, 2.0 - 1e-12, 3.0, 1000.0):
        wide = narrow / threshold
        assert math.floor(math.log2(wide)) - math.floor(math.log2(narrow)) <= apart


def test_a_threshold_of_zero_is_refused():
    # At 0 boxes far apart would match; the importer and manual jobs refuse it before matching.
    expert, pre = frame([(1, 0, 0, 10, 10)]), frame([(1, 50, 50, 10, 10)])
    with pytest.raises(ValueError, match=r"\(0, 1\]"):
        match_boxes(expert, pre, iou_threshold=0.0)


# ---- scale -----------------------------------------------------------------------------------------------------

# The all-pairs matcher needed ~35 GB for 16k boxes on one image. The child's address space is capped, so a matcher
# that grows with the square aborts fast instead of exhausting a shared machine; polars on two threads reserves ~1 GB.
ADDRESS_SPACE_LIMIT = 8 * 1024**3
# Candidate pairs add ~40 MiB here; all pairs added 0.6 GiB at 4k boxes, 1.3 GiB at 6k, and abort at 16k.
PEAK_BOUND = 512 * 1024**2

# The peak of this process alone, from the point the match starts: ru_maxrss would also count the RSS the parent
# (pytest, ~1 GB late in a full run) had when it forked this child, and the warm-up's own peak.
PEAK_HELPERS = """
def status_bytes(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024

def reset_peak():
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")  # VmHWM := VmRSS (Linux >= 4.0)
    return status_bytes("VmRSS")
"""

SCALE_SCRIPT = (
    PEAK_HELPERS
    + """
import json, random, resource, sys
import polars as pl
from core.analysis.metrics import match_boxes

boxes_per_side, limit = int(sys.argv[1]), int(sys.argv[2])
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
rng = random.Random(7)
schema = {"image_id": pl.Int64, "x": pl.Float64, "y": pl.Float64, "w": pl.Float64, "h": pl.Float64}

def box():
    w, h = rng.uniform(12, 80), rng.uniform(12, 80)
    return (1, rng.uniform(0, 4000 - w), rng.uniform(0, 4000 - h), w, h)

expert = [box() for _ in range(boxes_per_side)]
copies = [(1, x + rng.uniform(-2, 2), y + rng.uniform(-2, 2), w, h)
          for _, x, y, w, h in expert[: boxes_per_side * 3 // 4]]
pre = copies + [box() for _ in range(boxes_per_side - len(copies))]
rng.shuffle(pre)
expert, pre = pl.DataFrame(expert, schema=schema, orient="row"), pl.DataFrame(pre, schema=schema, orient="row")
match_boxes(expert.head(50), pre.head(50), iou_threshold=0.5)  # polars' threads and allocator start up
resident = reset_peak()
pairs = match_boxes(expert, pre, iou_threshold=0.5)
peak = status_bytes("VmHWM")
print(json.dumps({"matched": pairs.height, "copies": len(copies), "added": peak - resident}))
"""
)


def test_sixteen_thousand_boxes_on_one_image_match_in_bounded_memory():
    done = subprocess.run(
        [sys.executable, "-c", SCALE_SCRIPT, "8000", str(ADDRESS_SPACE_LIMIT)],
        cwd=PROJECT_ROOT,
        env=dict(os.environ, POLARS_MAX_THREADS="2"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    measured = json.loads(done.stdout)
    assert measured["added"] < PEAK_BOUND, f"{measured['added'] / 1024**2:.0f} MiB"
    # Every moved copy (at most 2 px on a box of 12 px or more) reaches IoU 0.5 with its expert box; a few lose it
    # to a neighbour that overlaps more.
    assert measured["matched"] >= 0.95 * measured["copies"]


# Copies of one box, at a place that straddles grid cells on both axes (the grid's worst case), on each side of one
# image: every copy pairs with every copy, and ties go to the rows in file order.
COPIES_SCRIPT = (
    PEAK_HELPERS
    + """
import json, resource, sys, time
import polars as pl
from core.domain.errors import BadInput
from core.analysis.metrics import match_boxes

copies, limit = int(sys.argv[1]), int(sys.argv[2])
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
schema = {"image_id": pl.Int64, "x": pl.Float64, "y": pl.Float64, "w": pl.Float64, "h": pl.Float64}
boxes = pl.DataFrame([(1, 60.0, 60.0, 10.0, 10.0)] * copies, schema=schema, orient="row")
match_boxes(boxes.head(50), boxes.head(50), iou_threshold=0.5)  # polars' threads and allocator start up
resident = reset_peak()
start = time.perf_counter()
try:
    pairs = match_boxes(boxes, boxes, iou_threshold=0.5)
    outcome = {"in_file_order": sorted(pairs.select("e", "p").rows()) == [(i, i) for i in range(copies)]}
except BadInput as refused:
    outcome = {"refused": refused.problems}
seconds = time.perf_counter() - start
peak = status_bytes("VmHWM")
print(json.dumps({**outcome, "seconds": seconds, "added": peak - resident}))
"""
)


def copies_on_one_image(copies: int) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", COPIES_SCRIPT, str(copies), str(ADDRESS_SPACE_LIMIT)],
        cwd=PROJECT_ROOT,
        env=dict(os.environ, POLARS_MAX_THREADS="2"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def test_a_thousand_copies_of_one_box_match_in_bounded_time_and_memory():
    # Vectorised rounds alone took one tied pair a round: 1,000 rounds over up to 10^6 pairs, 21 s and 7.7 GB.
    # Two rounds and a sequential pass: 0.4 s and 0.25 GiB.
    measured = copies_on_one_image(1_000)
    assert measured["in_file_order"]
    assert measured["seconds"] < 5, f"{measured['seconds']:.1f} s"
    assert measured["added"] < PEAK_BOUND, f"{measured['added'] / 1024**2:.0f} MiB"


def test_copies_past_the_pairs_limit_are_refused_before_any_pair_is_made():
    # 20,000 a side (MAX_BOXES_PER_IMAGE) would make 4 x 10^8 pairs, tens of GB; counting them takes 7 MiB.
    measured = copies_on_one_image(limits.MAX_BOXES_PER_IMAGE)
    assert measured["refused"] == [
        f"image 1: {limits.MAX_BOXES_PER_IMAGE**2:,} expert x pre box pairs to compare; "
        f"at most {limits.MAX_PAIRS_PER_IMAGE:,} (core/domain/limits.py): is one box written many times over?"
    ]
    assert measured["seconds"] < 2, f"{measured['seconds']:.1f} s"
    assert measured["added"] < 128 * 1024**2, f"{measured['added'] / 1024**2:.0f} MiB"
