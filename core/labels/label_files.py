"""Reading label files into typed polars frames, with a precise complaint for every malformed record.

The fast path builds columns with list comprehensions and strict Series; only when that fails do we walk the
records one by one to name each bad one, so a 1M-annotation file costs seconds, not minutes.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from numbers import Real
from pathlib import Path
from typing import Any

import polars as pl

from core.domain.errors import BadInput
from core.files.paths import regular_file


def read_text(path: Path) -> str:
    try:
        raw = regular_file(path).read_bytes()
    except ValueError as exc:
        raise BadInput(f"{path}: cannot be read: {exc}") from None
    except FileNotFoundError:
        raise BadInput(f"{path}: file not found") from None
    except OSError as exc:
        raise BadInput(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise BadInput(
            f"{path}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}, line {line})"
        ) from None


def read_csv(path: Path) -> pl.DataFrame:
    """Every cell as text, the header folded to lower case without spaces. Refused: an unreadable CSV, a header
    naming a column twice, a NUL byte in a cell (no database text column stores one)."""
    try:
        frame = pl.read_csv(io.StringIO(read_text(path)), infer_schema=False)
    except pl.exceptions.PolarsError as exc:
        raise BadInput(f"{path}: not a readable CSV ({str(exc).splitlines()[0]})") from None
    folded = [c.strip().lower() for c in frame.columns]
    twice = sorted({c for c in folded if folded.count(c) > 1})
    if twice:
        raise BadInput(
            f"{path}: line 1: the header names {', '.join(map(repr, twice))} more than once (case and spaces aside)"
        )
    frame = frame.rename(dict(zip(frame.columns, folded)))
    nul = frame.with_row_index("line", offset=2).filter(
        pl.any_horizontal(pl.col(c).str.contains("\x00", literal=True) for c in folded)
    )
    if not nul.is_empty():
        raise BadInput([f"{path}: line {n}: a cell holds a NUL byte" for n in nul["line"].head(BadInput.MAX_SHOWN)])
    return frame


def read_json(path: Path) -> Any:
    text = read_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInput(f"{path}: not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    except RecursionError:
        raise BadInput(f"{path}: not valid JSON for a label file: nested too deeply") from None
    except ValueError as exc:  # e.g. an integer of thousands of digits (Python's int-size guard)
        raise BadInput(f"{path}: not valid JSON for a label file: {exc}") from None


@dataclass(frozen=True)
class FieldSpec:
    key: str
    kind: str  # "int", "float", "str" or "bbox"
    required: bool = True


_DTYPES = {"int": pl.Int64, "float": pl.Float64, "str": pl.String}
BBOX_COLUMNS = ("x", "y", "w", "h")


def records_frame(records: Any, *, fields: Sequence[FieldSpec], where: Callable[[int, Any], str]) -> pl.DataFrame:
    """A frame with one column per field (a bbox becomes x, y, w, h); `where(i, record)` names a record in errors."""
    if not isinstance(records, list):
        raise BadInput(f"{where(-1, None)}: expected a list, got {type(records).__name__}")
    try:
        return _fast_frame(records, fields)
    except (KeyError, TypeError, IndexError, ValueError, AttributeError, pl.exceptions.PolarsError, OverflowError):
        pass
    problems = [
        f"{where(i, record)}: {problem}"
        for i, record in enumerate(records)
        for problem in _record_problems(record, fields)
    ]
    if not problems:  # the fast path failed on something the careful walk accepts; say so rather than guess
        raise BadInput(f"{where(-1, None)}: records could not be read")
    raise BadInput(problems)


def _fast_frame(records: list, fields: Sequence[FieldSpec]) -> pl.DataFrame:
    columns: dict[str, pl.Series] = {}
    for field in fields:
        values = [r[field.key] for r in records] if field.required else [r.get(field.key) for r in records]
        if field.kind == "bbox":
            if any(len(b) != 4 for b in values):
                raise ValueError("bbox length")
            for i, name in enumerate(BBOX_COLUMNS):
                coordinates = [b[i] for b in values]
                if any(type(v) is bool for v in coordinates):
                    raise TypeError("bool is not a coordinate")
                columns[name] = pl.Series(name, coordinates, dtype=pl.Float64, strict=True)
                if columns[name].null_count():
                    raise ValueError("null coordinate")
            continue
        # polars reads True as 1; a boolean is never an id, a score or a size
        if field.kind in ("int", "float") and any(type(v) is bool for v in values):
            raise TypeError("bool is not a number")
        series = pl.Series(field.key, values, dtype=_DTYPES[field.kind], strict=True)
        if field.required and series.null_count():
            raise ValueError("null")
        if field.kind == "str" and series.str.contains("\x00", literal=True).any():
            raise ValueError("NUL byte")  # no database text column stores one (PostgreSQL refuses it)
        columns[field.key] = series
    frame = pl.DataFrame(columns, height=len(records))
    if any(
        frame[c].is_nan().any() or frame[c].is_infinite().any() for c in frame.columns if frame[c].dtype == pl.Float64
    ):
        raise ValueError("not finite")
    return frame


def _is_number(value: Any) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool) and value == value and abs(value) != float("inf")


def _record_problems(record: Any, fields: Sequence[FieldSpec]) -> list[str]:
    if not isinstance(record, dict):
        return [f"expected an object, got {json.dumps(record)[:60]}"]
    problems = []
    for field in fields:
        if field.key not in record or record[field.key] is None:
            if field.required:
                problems.append(f"missing '{field.key}'")
            continue
        value = record[field.key]
        ok = {
            "int": lambda v: isinstance(v, int) and not isinstance(v, bool) and -(2**63) <= v < 2**63,
            "float": _is_number,
            "str": lambda v: isinstance(v, str) and "\x00" not in v,
            "bbox": lambda v: isinstance(v, list) and len(v) == 4 and all(_is_number(n) for n in v),
        }[field.kind](value)
        if not ok:
            expected = {
                "int": "a 64-bit integer",
                "float": "a finite number",
                "str": "a string without NUL bytes",
                "bbox": "a list of 4 numbers [x, y, width, height]",
            }[field.kind]
            problems.append(f"'{field.key}' must be {expected}, got {json.dumps(value)[:60]}")
    return problems


def duplicates(frame: pl.DataFrame, column: str) -> pl.Series:
    return frame.filter(pl.col(column).is_duplicated())[column].unique(maintain_order=True)
