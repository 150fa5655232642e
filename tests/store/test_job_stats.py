"""A detection job's stats on SQLite and PostgreSQL equal hand counts, keep a removed row when nothing was removed,
and an unknown job is NotFound."""

from __future__ import annotations

import pytest

from core.analysis.stats import job_stats
from core.domain.errors import NotFound
from tests.store.import_store_helpers import import_standard, set_states

# ---- stats -----------------------------------------------------------------------------------------------------


def test_detection_stats_equal_hand_counts(engine, tmp_path):
    job = import_standard(engine, tmp_path / "in")
    set_states(engine, job.id, {"accepted": [0, 2, 4], "rejected": [5]})
    stats = job_stats(engine=engine, job_id=job.id)
    assert (stats["job_id"], stats["name"], stats["tag"], stats["status"]) == (job.id, "street", "M-LA-OD", "READY")
    assert (stats["images"], stats["results"]) == (2, 6)
    assert stats["by_state"] == {"pending": 2, "accepted": 3, "rejected": 1}
    assert stats["change_kinds"] == {"unchanged": 1, "adjusted": 2, "relabeled": 1, "added": 1, "removed": 1}
    assert stats["class_changed"] == {
        "cat": {"true": 0, "false": 2},
        "dog": {"true": 1, "false": 1},
        "bird": {"true": 1, "false": 0},
        "(removed)": {"true": 1, "false": 0},
    }
    assert stats["class_changed_share"] == 0.5
    area = stats["expert_review_area"]["px"]
    assert (area["count"], area["min"], area["median"], area["max"]) == (5, 100.0, 200.0, 400.0)
    assert area["mean"] == pytest.approx((400 + 400 + 200 + 100 + 100) / 5)
    fraction = stats["expert_review_area"]["fraction"]
    assert (fraction["count"], fraction["min"], fraction["max"]) == (5, pytest.approx(0.04), pytest.approx(0.08))
    factor = stats["adjustment_factor"]
    assert (factor["count"], factor["min"], factor["median"], factor["max"]) == (4, 0.5, 1.0, 2.0)
    assert factor["mean"] == pytest.approx((1 + 1 + 2 + 0.5) / 4)
    iou = stats["iou"]
    assert (iou["count"], iou["min"], iou["max"], iou["mean"]) == (4, 0.5, 1.0, pytest.approx(0.75))


def test_detection_stats_keep_a_removed_row_when_nothing_was_removed(engine, tmp_path):
    job = import_standard(
        engine,
        tmp_path / "in",
        pre=[r for r in [{"image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 20], "score": 0.9}]],
    )
    stats = job_stats(engine=engine, job_id=job.id)
    assert stats["class_changed"]["(removed)"] == {"true": 0, "false": 0}
    assert stats["change_kinds"] == {"unchanged": 1, "adjusted": 0, "relabeled": 0, "added": 4, "removed": 0}


def test_stats_of_an_unknown_job(engine):
    with pytest.raises(NotFound, match="job 999 not found"):
        job_stats(engine=engine, job_id=999)
