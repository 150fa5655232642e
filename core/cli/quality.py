"""`quality JOB_ID`: how good a READY manual label job's pre-labels were (core.analysis.quality). Figures computed
before are read from their cache file through the store's own driver, without SQLAlchemy or polars
(tests/unit/test_quality_service.py); the first time, the job's results are read and the figures computed."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from typing import Any

from core.cli.common import Parents, escaped
from core.domain.plural import plural

CLASS_COLUMNS = {"ap": "AP", "ap50": "AP50", "precision": "precision", "recall": "recall", "f1": "F1"}
EFFORT_PARTS = ("deletions", "additions", "relabels")


def register(sub, parents: Parents) -> None:
    quality = sub.add_parser(
        "quality",
        parents=[parents.store, parents.json],
        help="how good the pre-labels were: AP, precision, recall, the confidence threshold with the fewest edits",
    )
    quality.add_argument("job_id", type=int)
    quality.set_defaults(func=cmd_quality)


def cmd_quality(args: argparse.Namespace) -> int:
    from core.analysis.quality.service import cached_job_quality

    figures = cached_job_quality(url=args.db, job_id=args.job_id)
    if figures is None:  # not computed yet, a store to create or upgrade, or a URL only SQLAlchemy reads
        from core.analysis.quality.service import job_quality
        from core.store.db import get_engine

        figures = job_quality(engine=get_engine(args.db), job_id=args.job_id).to_json()
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    for line in quality_lines(figures):
        print(line)
    return 0


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _effort(effort: dict[str, Any]) -> str:
    parts = ", ".join(plural(effort[part], part[:-1]) for part in EFFORT_PARTS)
    return f"{plural(effort['edits'], 'edit')} ({parts}), {plural(effort['kept'], 'pre-label')} kept"


def quality_lines(figures: dict[str, Any]) -> Iterator[str]:
    """`figures` (JobQuality.to_json()) as a readable table."""
    detection = figures["task"] == "detection"
    # AP is COCO's, for boxes; a classification job's pre-label is right or wrong whatever the IoU
    columns = {k: v for k, v in CLASS_COLUMNS.items() if detection or k not in ("ap", "ap50")}
    measured = f"{figures['task']}, IoU {figures['iou_threshold']:g}" if detection else figures["task"]
    yield f"job {figures['job_id']} ({measured}): " + " · ".join(
        f"{label} {_share(figures[name])}" for name, label in columns.items()
    )
    yield (
        f"  {plural(figures['expert_labels'], 'expert label')}, {plural(figures['pre_labels'], 'pre-label')}, "
        f"{figures['true_positives']:,} of these matched to an expert label of their class"
    )
    if figures["accuracy"] is not None:
        yield f"  accuracy {_share(figures['accuracy'])}"
    width = max([len("class"), *(len(escaped(name)) for name in figures["per_class"])])
    yield (
        "  " + "class".ljust(width) + "".join(f"{label:>10}" for label in columns.values()) + f"{'expert':>9}{'pre':>9}"
    )
    for name, row in figures["per_class"].items():
        shares = "".join(f"{_share(row[column]):>10}" for column in columns)
        yield f"  {escaped(name).ljust(width)}{shares}{row['expert_labels']:>9,}{row['pre_labels']:>9,}"
    yield f"  every pre-label kept: {_effort(figures['as_labelled'])}"
    best = figures["best"]
    if best is not None:
        yield f"  best confidence threshold {best['threshold']:g}: {_effort(best)}"
    if figures["confusion_matrix"] is not None:
        yield from _confusion_lines(figures["confusion_matrix"])
    for note in figures["notes"]:
        yield f"  note: {note}"


def _confusion_lines(confusion: dict[str, Any]) -> Iterator[str]:
    expert = [escaped(name) for name in confusion["expert"]]
    pre = [escaped(name) for name in confusion["pre"]]
    width = max([len("expert \\ pre"), *(len(name) for name in expert)])
    cell = max([7, *(len(name) + 1 for name in pre)])
    yield "  confusion matrix (rows: expert class, columns: pre-label class)"
    yield "  " + "expert \\ pre".ljust(width) + "".join(name.rjust(cell) for name in pre)
    for name, counts in zip(expert, confusion["counts"]):
        yield "  " + name.ljust(width) + "".join(f"{n:>{cell},}" for n in counts)
