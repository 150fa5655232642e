"""Matching and per-result metrics (core.analysis.metrics) against hand-computed numbers."""

from __future__ import annotations

import random

import polars as pl
import pytest

from core.analysis.metrics import (
    RESULT_METRIC_COLUMNS,
    classification_results,
    detection_results,
    greedy_match,
    iou_expr,
    match_boxes,
)

IMAGES = pl.DataFrame({"image_id": [1, 2], "width": [100, 40], "height": [50, 40]})


def iou(a: list[float], b: list[float]) -> float:
    columns = {f"e_{c}": [float(v)] for c, v in zip("xywh", a)} | {f"p_{c}": [float(v)] for c, v in zip("xywh", b)}
    frame = pl.DataFrame(columns)
    return frame.select(iou_expr().alias("iou"))["iou"][0]


def boxes(rows: list[tuple], *, score: bool = False) -> pl.DataFrame:
    """rows: (image_id, category_id, x, y, w, h[, score])."""
    columns = ["image_id", "category_id", "x", "y", "w", "h"] + (["score"] if score else [])
    frame = pl.DataFrame(rows, schema=columns, orient="row")
    return frame.with_columns(
        pl.col("image_id", "category_id").cast(pl.Int64),
        pl.col("x", "y", "w", "h").cast(pl.Float64),
        *([pl.col("score").cast(pl.Float64)] if score else []),
    )


def pre_boxes(rows: list[tuple]) -> pl.DataFrame:
    return boxes([(*r, None) if len(r) == 6 else r for r in rows], score=True)


def results(expert_rows: list[tuple], pre_rows: list[tuple], *, iou_threshold: float = 0.5) -> list[dict]:
    return detection_results(
        expert=boxes(expert_rows), pre=pre_boxes(pre_rows), images=IMAGES, iou_threshold=iou_threshold
    ).to_dicts()


def pairs(rows: list[tuple[int, int, float]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"e": pl.Int64, "p": pl.Int64, "iou": pl.Float64}, orient="row")


def matched(frame: pl.DataFrame) -> set[tuple[int, int]]:
    return set(frame.select("e", "p").iter_rows())


# ---- IoU -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ([0, 0, 10, 10], [0, 0, 10, 10], 1.0),  # identical
        ([0, 0, 10, 10], [5, 0, 10, 10], 50 / 150),  # half of each overlaps: 50 / (100 + 100 - 50)
        ([0, 0, 10, 10], [0, 5, 10, 10], 50 / 150),  # the same, vertically
        ([0, 0, 10, 10], [20, 20, 5, 5], 0.0),  # disjoint
        ([0, 0, 10, 10], [10, 0, 10, 10], 0.0),  # touching edges share no area
        ([0, 0, 10, 10], [0, 0, 20, 20], 100 / 400),  # contained, at a corner
        ([5, 5, 10, 10], [0, 0, 20, 20], 100 / 400),  # contained, in the middle
        ([0, 0, 4, 4], [2, 2, 4, 4], 4 / 28),  # corner overlap: 2x2 of 16 + 16 - 4
        ([0, 0, 20, 10], [0, 0, 10, 10], 0.5),
        ([1.5, 2.5, 3.0, 2.0], [2.5, 2.5, 3.0, 2.0], 4.0 / 8.0),  # fractional px: 2x2 of 6 + 6 - 4
    ],
)
def test_iou_of_hand_computed_cases(a, b, expected):
    assert iou(a, b) == pytest.approx(expected, abs=1e-12)
    assert iou(b, a) == pytest.approx(expected, abs=1e-12)


# ---- change kinds and metrics ----------------------------------------------------------------------------------


def test_unchanged_box_same_class_same_geometry():
    [r] = results([(1, 1, 10, 10, 20, 20)], [(1, 1, 10, 10, 20, 20, 0.9)])
    assert r["change_kind"] == "unchanged"
    assert r["class_changed"] is False
    assert r["iou"] == 1.0
    assert r["area_px"] == 400.0
    assert r["area_fraction"] == pytest.approx(400 / 5000)
    assert r["adjustment_factor"] == 1.0
    assert r["pre_confidence"] == 0.9
    assert (r["expert_category_id"], r["pre_category_id"]) == (1, 1)
    assert (r["pre_x"], r["pre_y"], r["pre_w"], r["pre_h"]) == (10.0, 10.0, 20.0, 20.0)


def test_expert_box_twice_the_pre_area_has_factor_two():
    [r] = results([(1, 1, 0, 30, 20, 10)], [(1, 1, 0, 30, 10, 10)])
    assert r["change_kind"] == "adjusted"
    assert r["class_changed"] is False
    assert r["iou"] == 0.5
    assert r["area_px"] == 200.0
    assert r["area_fraction"] == pytest.approx(200 / 5000)
    assert r["adjustment_factor"] == 2.0


def test_expert_box_half_the_pre_area_has_factor_one_half():
    [r] = results([(2, 2, 0, 20, 10, 10)], [(2, 2, 0, 20, 10, 20)])
    assert r["change_kind"] == "adjusted"
    assert r["adjustment_factor"] == 0.5
    assert r["area_px"] == 100.0
    assert r["area_fraction"] == pytest.approx(100 / 1600)


def test_moved_not_resized_box_is_adjusted_with_factor_one():
    [r] = results([(1, 1, 10, 10, 20, 20)], [(1, 1, 12, 10, 20, 20)])
    assert r["change_kind"] == "adjusted"
    assert r["adjustment_factor"] == 1.0
    assert r["iou"] == pytest.approx(360 / 440)  # 18x20 overlap of 400 + 400 - 360


def test_the_smallest_change_of_geometry_is_adjusted_not_unchanged():
    [r] = results([(1, 1, 0, 0, 100, 40)], [(1, 1, 0, 0, 100, 40.01)])
    assert r["iou"] == pytest.approx(4000 / 4001) and r["iou"] < 1.0
    assert r["change_kind"] == "adjusted"
    assert r["class_changed"] is False


def test_relabeled_wins_over_adjusted():
    [r] = results([(1, 2, 10, 10, 20, 20)], [(1, 1, 12, 10, 20, 20)])
    assert r["change_kind"] == "relabeled"
    assert r["class_changed"] is True
    assert r["adjustment_factor"] == 1.0
    assert r["iou"] == pytest.approx(360 / 440)


def test_added_box_has_area_but_no_factor_and_no_pre():
    [r] = results([(2, 3, 0, 0, 10, 10)], [])
    assert r["change_kind"] == "added"
    assert r["class_changed"] is True
    assert r["pre_category_id"] is None
    assert r["iou"] is None and r["adjustment_factor"] is None
    assert r["area_px"] == 100.0
    assert r["area_fraction"] == pytest.approx(100 / 1600)


def test_removed_box_has_no_expert_class_area_or_factor():
    [r] = results([], [(2, 2, 20, 20, 10, 10, 0.6)])
    assert r["change_kind"] == "removed"
    assert r["class_changed"] is True
    assert r["image_id"] == 2
    assert r["expert_category_id"] is None
    assert r["area_px"] is None and r["area_fraction"] is None and r["adjustment_factor"] is None
    assert r["iou"] is None
    assert r["pre_category_id"] == 2 and r["pre_confidence"] == 0.6
    assert (r["pre_x"], r["pre_y"], r["pre_w"], r["pre_h"]) == (20.0, 20.0, 10.0, 10.0)


def test_the_standard_mix_of_change_kinds():
    out = results(
        [
            (1, 1, 10, 10, 20, 20),
            (1, 2, 50, 10, 20, 20),
            (1, 1, 0, 30, 20, 10),
            (2, 3, 0, 0, 10, 10),
            (2, 2, 0, 20, 10, 10),
        ],
        [
            (1, 1, 10, 10, 20, 20),
            (1, 1, 50, 10, 20, 20),
            (1, 1, 0, 30, 10, 10),
            (2, 2, 20, 20, 10, 10),
            (2, 2, 0, 20, 10, 20),
        ],
    )
    assert list(out[0]) == list(RESULT_METRIC_COLUMNS)
    assert [(r["image_id"], r["change_kind"], r["class_changed"]) for r in out] == [
        (1, "unchanged", False),
        (1, "relabeled", True),
        (1, "adjusted", False),
        (2, "added", True),
        (2, "adjusted", False),
        (2, "removed", True),
    ]
    assert [r["adjustment_factor"] for r in out] == [1.0, 1.0, 2.0, None, 0.5, None]


def test_boxes_in_different_images_never_match():
    out = results([(1, 1, 0, 0, 10, 10)], [(2, 1, 0, 0, 10, 10)])
    assert sorted(r["change_kind"] for r in out) == ["added", "removed"]


# ---- matching --------------------------------------------------------------------------------------------------


def test_highest_iou_first_regardless_of_class():
    # The expert cat overlaps a pre dog at IoU 0.9 and a pre cat at IoU 0.6: the dog wins, the cat is removed.
    out = results([(1, 1, 0, 0, 10, 10)], [(1, 1, 0, 0, 10, 6), (1, 2, 0, 0, 10, 9)])
    kinds = {r["change_kind"]: r for r in out}
    assert set(kinds) == {"relabeled", "removed"}
    assert kinds["relabeled"]["pre_category_id"] == 2
    assert kinds["relabeled"]["iou"] == pytest.approx(0.9)
    assert kinds["removed"]["pre_category_id"] == 1


def test_matching_is_one_to_one():
    # Two expert boxes both overlap one pre box: the better one gets it, the other is added.
    out = results([(1, 1, 0, 0, 10, 10), (1, 1, 0, 0, 10, 8)], [(1, 1, 0, 0, 10, 9)])
    assert [(r["expert_h"], r["change_kind"]) for r in out] == [(10.0, "adjusted"), (8.0, "added")]
    assert out[0]["iou"] == pytest.approx(0.9)


def test_greedy_is_not_best_per_expert_box():
    # e1's best is p0 (0.85), but e0 took p0 first (0.9); e1 falls back to p1 (0.7) though e0 rated p1 higher (0.8).
    got = greedy_match(pairs([(0, 0, 0.9), (0, 1, 0.8), (1, 0, 0.85), (1, 1, 0.7)]))
    assert matched(got) == {(0, 0), (1, 1)}


def test_greedy_follows_a_chain_of_blocked_pairs():
    got = greedy_match(pairs([(0, 0, 0.9), (0, 1, 0.8), (1, 1, 0.7), (1, 2, 0.6), (2, 2, 0.55)]))
    assert matched(got) == {(0, 0), (1, 1), (2, 2)}
    assert sorted(got["iou"].to_list()) == [0.55, 0.7, 0.9]


def test_greedy_leaves_a_box_unmatched_when_its_only_partner_is_taken():
    got = greedy_match(pairs([(0, 0, 0.9), (1, 0, 0.8), (0, 1, 0.6)]))
    assert matched(got) == {(0, 0)}


def test_ties_go_to_the_lower_expert_then_lower_pre_row():
    got = greedy_match(pairs([(1, 1, 0.7), (1, 0, 0.7), (0, 1, 0.7), (0, 0, 0.7)]))
    assert matched(got) == {(0, 0), (1, 1)}
    got = greedy_match(pairs([(1, 0, 0.7), (0, 0, 0.7)]))
    assert matched(got) == {(0, 0)}
    got = greedy_match(pairs([(0, 1, 0.7), (0, 0, 0.7)]))
    assert matched(got) == {(0, 0)}


def test_tie_order_is_deterministic_across_input_orders():
    rows = [(e, p, 0.6) for e in range(4) for p in range(3)]
    expected = matched(greedy_match(pairs(rows)))
    assert expected == {(0, 0), (1, 1), (2, 2)}
    rng = random.Random(5)
    for _ in range(20):
        rng.shuffle(rows)
        assert matched(greedy_match(pairs(rows))) == expected


def test_tied_boxes_in_an_image_match_in_file_order():
    # Two identical expert boxes over two identical pre boxes: expert row 0 with pre row 0, 1 with 1.
    got = match_boxes(
        boxes([(1, 1, 0, 0, 10, 10), (1, 1, 0, 0, 10, 10)]),
        pre_boxes([(1, 2, 0, 0, 10, 10), (1, 3, 0, 0, 10, 10)]),
        iou_threshold=0.5,
    )
    assert matched(got) == {(0, 0), (1, 1)}


def test_empty_pairs_match_nothing():
    assert greedy_match(pairs([])).height == 0
    assert match_boxes(boxes([]), pre_boxes([]), iou_threshold=0.5).height == 0


def test_pair_exactly_at_the_threshold_matches():
    out = results([(1, 1, 0, 0, 20, 10)], [(1, 1, 0, 0, 10, 10)])  # IoU exactly 0.5
    assert [r["change_kind"] for r in out] == ["adjusted"]
    assert out[0]["iou"] == 0.5


def test_pair_just_below_the_threshold_does_not_match():
    out = results([(1, 1, 0, 0, 20.001, 10)], [(1, 1, 0, 0, 10, 10)])  # IoU 100 / 200.01
    assert sorted(r["change_kind"] for r in out) == ["added", "removed"]


def test_threshold_set_at_import_is_respected():
    expert, pre = [(1, 1, 10, 10, 20, 20)], [(1, 1, 12, 10, 20, 20)]  # IoU 360 / 440 = 0.818...
    assert [r["change_kind"] for r in results(expert, pre, iou_threshold=0.8)] == ["adjusted"]
    assert sorted(r["change_kind"] for r in results(expert, pre, iou_threshold=0.85)) == ["added", "removed"]
    assert [r["change_kind"] for r in results(expert, expert, iou_threshold=1.0)] == ["unchanged"]


def test_match_boxes_only_pairs_at_or_above_threshold_within_an_image():
    expert = boxes([(1, 1, 0, 0, 10, 10), (1, 1, 50, 0, 10, 10), (2, 1, 0, 0, 10, 10)])
    pre = pre_boxes([(1, 1, 51, 0, 10, 10), (1, 1, 0, 0, 10, 10), (2, 1, 30, 30, 5, 5)])
    got = match_boxes(expert, pre, iou_threshold=0.5)
    assert sorted(got.iter_rows()) == [(0, 1, 1.0), (1, 0, pytest.approx(90 / 110))]


def _naive_greedy(rows: list[tuple[int, int, float]]) -> set[tuple[int, int]]:
    taken_e: set[int] = set()
    taken_p: set[int] = set()
    out = set()
    for e, p, _ in sorted(rows, key=lambda r: (-r[2], r[0], r[1])):
        if e not in taken_e and p not in taken_p:
            taken_e.add(e)
            taken_p.add(p)
            out.add((e, p))
    return out


@pytest.mark.parametrize("value_kind", ["continuous", "coarse"])
def test_greedy_match_equals_a_naive_greedy_on_random_pairs(value_kind):
    rng = random.Random(20250307 if value_kind == "continuous" else 11)
    for _ in range(300):
        n_e, n_p = rng.randint(0, 9), rng.randint(0, 9)
        density = rng.random()
        rows = [
            (e, p, rng.random() if value_kind == "continuous" else rng.choice([0.5, 0.6, 0.75, 1.0]))
            for e in range(n_e)
            for p in range(n_p)
            if rng.random() < density
        ]
        rng.shuffle(rows)
        got = greedy_match(pairs(rows))
        assert matched(got) == _naive_greedy(rows), rows
        iou_of = {(e, p): v for e, p, v in rows}
        assert all(iou_of[(e, p)] == v for e, p, v in got.iter_rows())


# ---- classification --------------------------------------------------------------------------------------------


def test_classification_results_are_relabeled_or_unchanged():
    labels = pl.DataFrame(
        {
            "image_id": [1, 2, 3],
            "expert_category_id": [1, 2, 2],
            "pre_category_id": [1, 1, 2],
            "pre_confidence": [0.9, None, 0.3],
        },
        schema={
            "image_id": pl.Int64,
            "expert_category_id": pl.Int64,
            "pre_category_id": pl.Int64,
            "pre_confidence": pl.Float64,
        },
    )
    out = classification_results(labels)
    assert out.columns == list(RESULT_METRIC_COLUMNS)
    assert out.select("image_id", "change_kind", "class_changed", "pre_confidence").rows() == [
        (1, "unchanged", False, 0.9),
        (2, "relabeled", True, None),
        (3, "unchanged", False, 0.3),
    ]
    for column in ("area_px", "area_fraction", "adjustment_factor", "iou", "expert_x", "pre_h"):
        assert out[column].null_count() == 3, column


def test_a_box_equal_but_for_float_noise_is_unchanged_not_adjusted():
    """13.32 stored as 13.319999999999993 (a clip's x1 - x0) is the same box."""
    images = pl.DataFrame({"image_id": [1], "width": [640], "height": [480]})
    expert = pl.DataFrame(
        {"image_id": [1], "category_id": [1], "x": [192.47], "y": [226.23], "w": [13.32], "h": [40.69]}
    )
    pre = pl.DataFrame(
        {
            "image_id": [1],
            "category_id": [1],
            "x": [192.47],
            "y": [226.23],
            "w": [13.319999999999993],
            "h": [40.68999999999997],
            "score": [0.9],
        }
    )
    result = detection_results(expert=expert, pre=pre, images=images, iou_threshold=0.5).row(0, named=True)
    assert result["iou"] < 1.0
    assert result["change_kind"] == "unchanged"
    assert result["class_changed"] is False
    nudged = pre.with_columns(pl.col("x") + 0.01)
    assert detection_results(expert=expert, pre=nudged, images=images, iou_threshold=0.5)["change_kind"].to_list() == [
        "adjusted"
    ]
