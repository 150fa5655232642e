"""What a validated import would write, counted before anything is: the Import finished job page's report."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from core.domain.vocabulary import CHANGE_KINDS, CLASSIFICATION_KINDS, REMOVED_ROW, ChangeKind, Task
from core.jobs.draft import JobDraft

DETECTION_KINDS = CHANGE_KINDS


@dataclass(frozen=True)
class DraftReport:
    task: str
    images: int
    results: int
    classes: list[str]
    class_changed: int
    change_kinds: dict[str, int]
    class_changed_by_class: pl.DataFrame  # class, True, False, Total: expert class, (removed) in its own row

    @property
    def class_changed_share(self) -> float:
        return self.class_changed / self.results if self.results else 0.0


def draft_report(draft: JobDraft) -> DraftReport:
    results = (
        draft.results
        if draft.results is not None
        else pl.DataFrame(
            schema={"expert_category_id": pl.Int64, "class_changed": pl.Boolean, "change_kind": pl.String}
        )
    )
    kinds = dict(results.group_by("change_kind").len().iter_rows())
    # A classification result is `added` only without a pre-label: shown when there are such.
    added = [ChangeKind.ADDED.value] if ChangeKind.ADDED in kinds else []
    shown = DETECTION_KINDS if draft.task == Task.DETECTION else (*CLASSIFICATION_KINDS, *added)
    names = draft.classes.select(pl.col("category_id").alias("expert_category_id"), pl.col("name").alias("class"))
    by_class = (
        results.join(names, on="expert_category_id", how="left")
        .with_columns(pl.col("class").fill_null(REMOVED_ROW))
        .group_by("class")
        .agg(
            pl.col("class_changed").sum().alias("True"),
            (~pl.col("class_changed")).sum().alias("False"),
            pl.len().alias("Total"),
        )
        .with_columns(pl.col("True", "False", "Total").cast(pl.Int64))
        .sort(["Total", "class"], descending=[True, False])
    )
    return DraftReport(
        task=draft.task,
        images=draft.images.height,
        results=results.height,
        classes=draft.classes["name"].to_list(),
        class_changed=int(results["class_changed"].sum() or 0),
        change_kinds={k: kinds.get(k, 0) for k in shown},
        class_changed_by_class=by_class,
    )
