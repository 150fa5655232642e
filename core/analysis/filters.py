"""The Visualize page's filters as one value: polars expressions over the results frame, and a round trip
through the URL's query params so a link reproduces a view."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields

import polars as pl

from core.domain.vocabulary import ADDED_ROW, CHANGE_KINDS, REMOVED_ROW, REVIEW_STATES, ReviewState

GROUP_BYS = ("expert review class", "pre-label class", "image")
# Range filters: (attribute prefix, frame column). A result without the value (removed: no area) is outside any
# range the reviewer sets, since it has nothing to compare.
RANGES = {"area": "area_px", "factor": "adjustment_factor", "iou": "iou", "confidence": "pre_confidence"}


@dataclass(frozen=True)
class ResultFilter:
    classes: tuple[str, ...] = ()  # expert review classes: class_row, (removed) for a removed pre box
    pre_classes: tuple[str, ...] = ()  # pre-label classes: pre_class_row, (added) for an expert label without one
    class_changed: bool | None = None
    area_min: float | None = None
    area_max: float | None = None
    factor_min: float | None = None
    factor_max: float | None = None
    iou_min: float | None = None
    iou_max: float | None = None
    change_kinds: tuple[str, ...] = ()
    confidence_min: float | None = None
    confidence_max: float | None = None

    def expr(self) -> pl.Expr:
        conditions: list[pl.Expr] = []
        if self.classes:
            conditions.append(pl.col("class_row").is_in(list(self.classes)))
        if self.pre_classes:
            conditions.append(pl.col("pre_class_row").is_in(list(self.pre_classes)))
        if self.class_changed is not None:
            conditions.append(pl.col("class_changed") == self.class_changed)
        if self.change_kinds:
            conditions.append(pl.col("change_kind").is_in(list(self.change_kinds)))
        for name, column in RANGES.items():
            low, high = getattr(self, f"{name}_min"), getattr(self, f"{name}_max")
            if low is not None:
                conditions.append(pl.col(column) >= low)
            if high is not None:
                conditions.append(pl.col(column) <= high)
        return pl.all_horizontal(conditions) if conditions else pl.lit(True)

    @property
    def is_empty(self) -> bool:
        return self == ResultFilter()

    def describe(self, display=str) -> list[str]:
        """Words for the caption; `display` turns a class name into its display name."""
        parts = []
        if self.classes:
            parts.append(", ".join(display(c) for c in self.classes))
        if self.pre_classes:
            parts.append("pre-label " + ", ".join(display(c) for c in self.pre_classes))
        if self.class_changed is not None:
            parts.append(f"Class Changed = {self.class_changed}")
        if self.change_kinds:
            parts.append("change: " + ", ".join(self.change_kinds))
        labels = {"area": "Expert Review Area", "factor": "Adjustment Factor", "iou": "IoU", "confidence": "confidence"}
        for name, label in labels.items():
            low, high = getattr(self, f"{name}_min"), getattr(self, f"{name}_max")
            if low is not None or high is not None:
                parts.append(
                    f"{label} {_fmt(low) if low is not None else '…'}–{_fmt(high) if high is not None else '…'}"
                )
        return parts


SLICE_COLUMNS = ("class_row", "pre_class_row", "file_path", "class_changed")


@dataclass(frozen=True)
class Slice:
    """A cell of the Class Changed table (a group and Class Changed True/False) or of the confusion matrix
    (a pre-label class and an expert class): the results where every column has its value."""

    conditions: tuple[tuple[str, str | bool], ...]

    def expr(self) -> pl.Expr:
        return pl.all_horizontal([pl.col(column) == value for column, value in self.conditions])

    def value(self, column: str) -> str | bool | None:
        return next((v for c, v in self.conditions if c == column), None)

    def describe(self, display) -> str:
        parts = []
        for column, value in self.conditions:
            if column == "class_changed":
                parts.append(f"Class Changed = {value}")
            elif column == "pre_class_row":
                parts.append(f"pre-label {display(value)}")
            elif column == "class_row":
                parts.append(display(value))
            else:
                parts.append(str(value))
        return " · ".join(parts)

    def to_params(self) -> list[str]:
        return [
            f"{column}:{str(value).lower() if isinstance(value, bool) else value}" for column, value in self.conditions
        ]

    @classmethod
    def from_params(cls, values: Sequence[str]) -> tuple[Slice | None, list[str]]:
        conditions: list[tuple[str, str | bool]] = []
        notices = []
        for raw in values:
            column, sep, value = raw.partition(":")
            if not sep or column not in SLICE_COLUMNS or not value:
                notices.append(
                    f"ignored slice={raw!r} (expected column:value with a column of {', '.join(SLICE_COLUMNS)})"
                )
                continue
            if column == "class_changed":
                if value.lower() not in ("true", "false"):
                    notices.append(f"ignored slice={raw!r} (Class Changed is true or false)")
                    continue
                conditions.append((column, value.lower() == "true"))
            else:
                conditions.append((column, value))
        return (cls(tuple(conditions)) if conditions else None), notices


def _fmt(value: float) -> str:
    return f"{value:,.4g}"


# ---- URL round trip --------------------------------------------------------------------------------------------

_LIST_FIELDS = {"classes", "pre_classes", "change_kinds"}


def to_query_params(result_filter: ResultFilter) -> dict[str, str | list[str]]:
    params: dict[str, str | list[str]] = {}
    for f in fields(result_filter):
        value = getattr(result_filter, f.name)
        if value in (None, ()):
            continue
        if f.name in _LIST_FIELDS:
            params[f.name] = list(value)
        elif isinstance(value, bool):
            params[f.name] = "true" if value else "false"
        else:
            params[f.name] = repr(float(value))
    return params


def from_query_params(
    params: Mapping[str, Sequence[str]], *, known_classes: Sequence[str]
) -> tuple[ResultFilter, list[str]]:
    """A filter from query params (each a list of values) and a notice for every value that was ignored.
    known_classes: the expert review classes (the spec's, then (removed) for detection); the pre-label classes
    known are the spec's and (added)."""
    notices: list[str] = []
    values: dict[str, float] = {}  # the range bounds: area_min ... confidence_max
    chosen_classes = _known(params, "classes", known_classes, notices)
    known_pre_classes = [c for c in known_classes if c != REMOVED_ROW] + [ADDED_ROW]
    chosen_pre_classes = _known(params, "pre_classes", known_pre_classes, notices)
    kinds = [k for k in params.get("change_kinds", []) if k]
    bad_kinds = [k for k in kinds if k not in CHANGE_KINDS]
    if bad_kinds:
        notices.append(f"ignored unknown change kind(s): {', '.join(bad_kinds)}")
    change_kinds = tuple(k for k in kinds if k in CHANGE_KINDS)
    class_changed = None
    changed = _last(params, "class_changed")
    if changed is not None:
        if changed.lower() in ("true", "false"):
            class_changed = changed.lower() == "true"
        else:
            notices.append(f"ignored class_changed={changed!r} (expected true or false)")
    for name in RANGES:
        for end in ("min", "max"):
            key = f"{name}_{end}"
            raw = _last(params, key)
            if raw is None:
                continue
            try:
                number = float(raw)
            except ValueError:
                notices.append(f"ignored {key}={raw!r} (not a number)")
                continue
            if number != number or number in (float("inf"), float("-inf")):
                notices.append(f"ignored {key}={raw!r} (not a finite number)")
                continue
            if number < 0:
                # Areas, factors, IoU and confidences are never negative, and the sidebar's inputs (min 0) could
                # not show such a bound: it would filter invisibly.
                notices.append(f"ignored {key}={raw!r} (below 0)")
                continue
            values[key] = number
    for name in RANGES:
        low, high = values.get(f"{name}_min"), values.get(f"{name}_max")
        if low is not None and high is not None and low > high:
            notices.append(f"ignored {name}_min/{name}_max: the minimum {low:g} is above the maximum {high:g}")
            values.pop(f"{name}_min")
            values.pop(f"{name}_max")
    return ResultFilter(
        classes=chosen_classes,
        pre_classes=chosen_pre_classes,
        change_kinds=change_kinds,
        class_changed=class_changed,
        **values,
    ), notices


def _known(params: Mapping[str, Sequence[str]], key: str, known: Sequence[str], notices: list[str]) -> tuple[str, ...]:
    """The classes of ?key= that are `known`; a notice names the others."""
    classes = [c for c in params.get(key, []) if c]
    unknown = [c for c in classes if c not in known]
    if unknown:
        what = "class(es)" if key == "classes" else "pre-label class(es)"
        notices.append(f"ignored unknown {what} in the link: {', '.join(unknown)}")
    return tuple(c for c in classes if c in known)


def _last(params: Mapping[str, Sequence[str]], key: str) -> str | None:
    found = params.get(key)
    return found[-1] if found else None


def parse_state(raw: str | None) -> tuple[str, str | None]:
    if raw is None or raw in REVIEW_STATES:
        return raw or ReviewState.PENDING.value, None
    return ReviewState.PENDING.value, f"ignored tab={raw!r} (expected one of {', '.join(REVIEW_STATES)})"
