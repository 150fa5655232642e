"""Images complete / partial / untouched for the grid grouped by image (issue 12): each image of the shown results
judged on all its results in the job."""

from __future__ import annotations

import polars as pl

from core.analysis.queries import image_review_counts

# image 1: all accepted; 2: one accepted, one pending; 3: all pending; 4: one rejected, one pending; 5: all rejected
JOB = pl.DataFrame(
    {
        "result_id": range(1, 11),
        "sample_id": [1, 1, 2, 2, 3, 3, 4, 4, 5, 5],
        "class_row": ["dog", "cat"] * 5,
        "review_state": [
            "accepted",
            "accepted",
            "accepted",
            "pending",
            "pending",
            "pending",
            "rejected",
            "pending",
            "rejected",
            "rejected",
        ],
    }
)


def test_every_result_accepted_is_complete_every_one_pending_untouched_anything_else_partial():
    assert image_review_counts(JOB, JOB) == {"complete": 1, "partial": 3, "untouched": 1}


def test_an_image_is_judged_on_all_its_results_not_the_shown_ones():
    dogs_pending = JOB.filter((pl.col("class_row") == "cat") & (pl.col("review_state") == "pending"))
    # image 2's pending cat shown with its accepted dog hidden: partial, not untouched
    assert dogs_pending["sample_id"].to_list() == [2, 3, 4]
    assert image_review_counts(JOB, dogs_pending) == {"complete": 0, "partial": 2, "untouched": 1}


def test_nothing_shown_counts_no_image():
    assert image_review_counts(JOB, JOB.clear()) == {"complete": 0, "partial": 0, "untouched": 0}
