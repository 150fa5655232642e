"""What a name may hold and how one that holds a refused character anyway is shown (core/domain/names.py), and the CSV
export's formula guard (core/exports/csv_file.py)."""

from __future__ import annotations

import csv
import io
from types import SimpleNamespace

import polars as pl
import pytest

from core.domain.errors import BadInput
from core.domain.names import escaped, frame_name_problems, name_problem, refuse_unsafe_name
from core.exports.completeness import PartialImages
from core.exports.csv_file import csv_bytes
from core.review.resultsets import FRAME_SCHEMA

REFUSED = {
    "tab": ("a\tb", "U+0009, a control character"),
    "line feed": ("a\nb", "U+000A, a control character"),
    "carriage return": ("a\rb", "U+000D, a control character"),
    "escape sequence": ("\x1b[31mred", "U+001B, a control character"),
    "delete": ("a\x7fb", "U+007F, a control character"),
    "C1 next line": ("a\x85b", "U+0085, a control character"),
    "C1 CSI": ("a\x9b2J", "U+009B, a control character"),
    "line separator": ("a\u2028b", "U+2028, a line separator"),
    "paragraph separator": ("a\u2029b", "U+2029, a paragraph separator"),
    "right-to-left override": ("car\u202egnp.exe", "U+202E, an invisible format character"),
    "right-to-left isolate": ("a\u2067b", "U+2067, an invisible format character"),
    "zero width space": ("car\u200b", "U+200B, an invisible format character"),
    "byte order mark": ("\ufeffcar", "U+FEFF, an invisible format character"),
    "lone surrogate": ("a\ud800", "U+D800, a lone surrogate"),
}
ALLOWED = [
    "car",
    "traffic light",
    "café",
    "Straßenbahn",
    "自転車",
    "كتاب",
    "کتاب\u200cها",  # ZWNJ in Persian
    "\U0001f468\u200d\U0001f469\u200d\U0001f467",
    "a\u00a0b",
    "-1",
    "=x",
]


@pytest.mark.parametrize("name, problem", REFUSED.values(), ids=REFUSED.keys())
def test_control_format_and_line_break_characters_are_refused_and_named(name, problem):
    assert problem in name_problem(name)
    with pytest.raises(BadInput) as refused:
        refuse_unsafe_name(name, what="class name")
    assert refused.value.message.startswith(f"class name {name!r}: holds {problem}")
    assert escaped(refused.value.message) == refused.value.message  # the name shows as its escape, never raw
    # every script, spaces and the joiners that words and emoji need stay allowed
    assert [n for n in ALLOWED if name_problem(n)] == []


def test_a_frame_of_names_is_checked_once_per_distinct_name_and_every_row_is_named():
    frame = pl.DataFrame({"line": [2, 3, 4, 5], "label": ["cat", "d\nog", "cat", "d\nog"]})
    problems = frame_name_problems(
        frame, column="label", where=pl.format("labels.csv: line {}", "line"), what="expert_label"
    )
    assert problems == [
        f"labels.csv: line {n}: expert_label 'd\\nog': {name_problem('d' + chr(10) + 'og')}" for n in (3, 5)
    ]


def test_escaped_shows_each_refused_character_as_its_escape_and_keeps_what_it_is_told():
    assert escaped("\x1b[2Jcar\u202e\ttruck\n") == "\\x1b[2Jcar\\u202e\\ttruck\\n"
    assert escaped("one\ntwo\x1b[0m\n", keep="\n") == "one\ntwo\\x1b[0m\n"
    assert escaped("کتاب\u200cها café") == "کتاب\u200cها café"


def items(**columns) -> pl.DataFrame:
    """ResultSet items (core.review.resultsets.FRAME_SCHEMA), one row per value, the other columns empty."""
    height = len(next(iter(columns.values())))
    return pl.DataFrame({name: columns.get(name, [None] * height) for name in FRAME_SCHEMA}, schema=FRAME_SCHEMA)


def test_the_csv_export_guards_text_cells_a_spreadsheet_would_run_and_leaves_numbers_alone():
    names = [
        '=HYPERLINK("http://evil.example")',
        "+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(A1)",
        "\tx",
        "\rx",
        "-1",
        "+0.5",
        "-1e-3",
        "cat",
        "a=b",
        None,
    ]
    frame = items(
        result_id=list(range(1, 13)),
        class_name=names,
        file_path=[f"={i}.png" for i in range(12)],
        x=[-0.5] * 12,
        iou=[-1.0] * 12,
        change_kind=["added"] * 12,
        class_changed=[True] * 12,
    )
    rows = list(
        csv.DictReader(
            io.StringIO(csv_bytes(SimpleNamespace(items=frame, partial_images=PartialImages(), splits=None)).decode())
        )
    )
    assert [r["class_name"] for r in rows] == [
        '\'=HYPERLINK("http://evil.example")',
        "'+cmd|' /C calc'!A0",
        "'-2+3",
        "'@SUM(A1)",
        "'\tx",
        "'\rx",
        "-1",
        "+0.5",
        "-1e-3",
        "cat",
        "a=b",
        "",
    ]
    assert {r["file_path"] for r in rows} == {f"'={i}.png" for i in range(12)}
    assert {(r["x"], r["iou"]) for r in rows} == {("-0.5", "-1.0")}  # number columns are never touched
