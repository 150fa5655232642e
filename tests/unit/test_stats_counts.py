"""core.analysis.stats counts the Class Changed table itself (core.analysis.queries imports SQLModel, which the CLI's `stats` skips)
and takes the three quartiles from one selection: both must give what the Visualize page's table and polars'
median and quantiles give, ties, nulls and empty frames included."""

from __future__ import annotations

from types import SimpleNamespace

import polars as pl
import pytest

from core.analysis.queries import class_changed_table
from core.analysis.stats import stats_of

JOB = SimpleNamespace(id=1, name="j", tag="M-LA-OD", status="READY", task="detection", image_count=3)
FLOATS = ("area_px", "area_fraction", "adjustment_factor", "iou")


def frame(classes: list[str], changed: list[bool], values: list[float | None]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "class_row": classes,
            "class_changed": changed,
            "change_kind": ["adjusted"] * len(classes),
            **{column: pl.Series(values, dtype=pl.Float64) for column in FLOATS},
        },
        schema_overrides={"class_row": pl.String, "class_changed": pl.Boolean, "change_kind": pl.String},
    )


CASES = {
    "ties": frame(
        ["b", "a", "c", "c", "a", "b", "d"],
        [True, False, True, True, False, False, True],
        [3.0, 1.0, None, 2.0, 7.5, 2.0, 4.0],
    ),
    "one": frame(["a"], [False], [1.0]),
    "nulls": frame(["a", "b"], [True, False], [None, None]),
    "empty": frame([], [], []),
}


@pytest.mark.parametrize("case", list(CASES))
def test_class_changed_and_summaries_are_the_tables_and_polars_own(case):
    results = CASES[case]
    stats = stats_of(JOB, results.lazy(), {"pending": 0, "accepted": 0, "rejected": 0})
    table = class_changed_table(results, "class_row")
    expected = {group: {"true": t, "false": f} for group, t, f, _ in table.iter_rows()}
    expected.setdefault("(removed)", {"true": 0, "false": 0})
    assert list(stats["class_changed"].items()) == list(expected.items())
    for column, summary in (("area_px", stats["expert_review_area"]["px"]), ("iou", stats["iou"])):
        c = pl.col(column)
        row = results.select(
            c.count().alias("count"),
            c.min().alias("min"),
            c.quantile(0.25, "linear").alias("p25"),
            c.median().alias("median"),
            c.quantile(0.75, "linear").alias("p75"),
            c.max().alias("max"),
            c.mean().alias("mean"),
        ).row(0, named=True)
        assert list(summary.items()) == list(row.items())
    assert stats["results"] == results.height
