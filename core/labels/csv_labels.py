"""Classification labels from a CSV: file_path, pre_label, expert_label[, confidence]."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from core.domain import limits
from core.domain.errors import BadInput
from core.domain.names import frame_name_problems
from core.files.paths import unsafe_reason
from core.labels.label_files import read_csv

REQUIRED_COLUMNS = ("file_path", "pre_label", "expert_label")


def load_classification_csv(path: Path, *, classes: list[str] | None = None) -> pl.DataFrame:
    """Rows with line numbers: line, file_path, pre_label, expert_label, confidence.

    With `classes` given, any label outside them is an error; without, the classes are whatever the file uses.
    """
    frame = read_csv(path)
    if too_many := limits.too_many(frame.height, limits.MAX_IMAGES_PER_JOB, "rows (images)"):
        raise BadInput(f"{path}: {too_many}")
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise BadInput(
            f"{path}: missing column(s) {', '.join(missing)}; expected a header "
            "file_path,pre_label,expert_label[,confidence]"
        )
    if "confidence" not in frame.columns:
        frame = frame.with_columns(pl.lit(None, pl.String).alias("confidence"))
    frame = frame.select(
        (pl.int_range(pl.len(), dtype=pl.Int64) + 2).alias("line"),  # line 1 is the header
        *[pl.col(c).str.strip_chars() for c in REQUIRED_COLUMNS],
        pl.col("confidence").str.strip_chars().alias("confidence_text"),
    ).with_columns(pl.col("confidence_text").cast(pl.Float64, strict=False).alias("confidence"))

    def at(line: int) -> str:
        return f"{path}: line {line}"

    problems = []
    for column in REQUIRED_COLUMNS:
        problems += [f"{at(n)}: empty {column}" for n in frame.filter(pl.col(column).fill_null("") == "")["line"]]
    bad_conf = frame.filter(
        (pl.col("confidence_text").fill_null("") != "")
        & (pl.col("confidence").is_null() | (pl.col("confidence") < 0) | (pl.col("confidence") > 1))
    )
    problems += [
        f"{at(n)}: confidence {t!r} is not a number between 0 and 1"
        for n, t in bad_conf.select("line", "confidence_text").iter_rows()
    ]
    for line, name in frame.filter(pl.col("file_path").is_duplicated()).select("line", "file_path").iter_rows():
        problems.append(f"{at(line)}: file_path {name!r} appears more than once")
    for line, name in frame.select("line", "file_path").drop_nulls().iter_rows():
        reason = unsafe_reason(name)
        if reason:
            problems.append(f"{at(line)}: file_path {name!r}: {reason}")
    if classes is None:
        problems += _class_problems(path, frame)
    else:
        for column in ("pre_label", "expert_label"):
            unknown = frame.filter(pl.col(column).is_not_null() & ~pl.col(column).is_in(classes))
            problems += [
                f"{at(n)}: unknown class {v!r} in {column} (the label spec has: {', '.join(classes)})"
                for n, v in unknown.select("line", column).iter_rows()
            ]
    if frame.is_empty():
        problems.append(f"{path}: no rows")
    if problems:
        raise BadInput(problems)
    return frame.drop("confidence_text")


def _class_problems(path: Path, frame: pl.DataFrame) -> list[str]:
    """The file names the classes: at most MAX_CLASSES of them (refused at the line that names one too many), and
    each one a name (core/domain/names.py)."""
    labels = pl.concat([frame.select("line", pl.col(c).alias("label")) for c in ("pre_label", "expert_label")])
    labels = labels.drop_nulls().sort("line", maintain_order=True)
    over = labels.filter(pl.col("label").is_first_distinct().cum_sum() > limits.MAX_CLASSES).head(1)
    if over.height:
        count = labels["label"].n_unique()
        return [f"{path}: line {over['line'][0]}: {limits.too_many(count, limits.MAX_CLASSES, 'distinct classes')}"]
    where = pl.format("{}: line {}", pl.lit(str(path)), "line")
    return [
        problem
        for column in ("pre_label", "expert_label")
        for problem in frame_name_problems(frame, column=column, where=where, what=column)
    ]
