"""Hypothesis inputs for the importer fuzz tests (tests/unit/test_import_fuzz.py,
tests/store/test_import_fuzz_store.py): the bounded, repeatable settings FUZZ, and strategies that mutate the
standard valid files of tests/malformed_corpus.py (a COCO file, a classification CSV): drop keys, swap types,
corrupt numbers, shuffle ids, insert path escapes, truncate bytes."""

from __future__ import annotations

import copy
import csv
import io
import json
import math
from collections.abc import Iterator
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from tests.malformed_corpus import CSV_HEADER, CSV_ROWS

# Bounded and repeatable: the same examples on every run, nothing kept between runs, no deadline on a slow CI.
FUZZ = settings(
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=False,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


# ---- mutations of a COCO file ----------------------------------------------------------------------------------

BAD_NUMBERS = (
    -1,
    0,
    -0.0,
    0.5,
    3.0,
    1e-320,
    2**31,
    2**53 + 1,
    2**63 - 2,
    2**63 - 1,
    2**63,
    -(2**63) - 1,
    2**64,
    10**30,
    1e308,
    -1e308,
    math.nan,
    math.inf,
    -math.inf,
)

JUNK_VALUES = (
    "7",
    "",
    " ",
    None,
    [],
    {},
    True,
    False,
    [1, 2, 3],
    [1, 2, 3, 4, 5],
    {"id": 1},
    "a.png",
    "\ud800",
    "c\x00t",
)

PATH_ESCAPES = (
    "../a.png",
    "../../etc/passwd",
    "/etc/passwd",
    "/tmp",
    "C:\\a.png",
    "C:a.png",
    "\\\\server\\share\\a.png",
    "sub/../../a.png",
    "sub\\..\\..\\a.png",
    "..",
    ".",
    "./a.png",
    "a.png\x00",
    "",
    "   ",
    "a.png/",
    "~/a.png",
    "%2e%2e/a.png",
    "a.png\n",
    "b.png",
    "c.png",
)
ID_KEYS = ("id", "image_id", "category_id")


def _paths(node: Any, at: tuple = ()) -> Iterator[tuple]:
    """Every position in a JSON document below the root, parents before children."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in items:
        yield (*at, key)
        yield from _paths(child, (*at, key))


def _get(doc: Any, path: tuple) -> Any:
    for key in path:
        doc = doc[key]
    return doc


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@st.composite
def mutated_json(draw: st.DrawFn, base: Any) -> bytes:
    """`base` (a COCO dataset or a list of results) after one to three mutations, as the bytes of a file."""
    doc = copy.deepcopy(base)
    junk, escapes = JUNK_VALUES, PATH_ESCAPES
    for _ in range(draw(st.integers(1, 3))):
        paths = list(_paths(doc))
        op = draw(
            st.sampled_from(["drop", "swap type", "corrupt number", "shuffle id", "path escape", "duplicate", "wrap"])
        )
        if not paths or op == "wrap":
            doc = draw(st.sampled_from([[doc], {"data": doc}, {}, [], None, "COCO"]))
            continue
        if op == "drop":
            path = draw(st.sampled_from(paths))
            del _get(doc, path[:-1])[path[-1]]
        elif op == "swap type":
            path = draw(st.sampled_from(paths))
            _get(doc, path[:-1])[path[-1]] = copy.deepcopy(draw(st.sampled_from(junk)))
        elif op == "corrupt number":
            numeric = [p for p in paths if _is_number(_get(doc, p))] or paths
            path = draw(st.sampled_from(numeric))
            _get(doc, path[:-1])[path[-1]] = draw(st.sampled_from(BAD_NUMBERS))
        elif op == "shuffle id":
            ids = [p for p in paths if p[-1] in ID_KEYS]
            if not ids:
                continue
            path = draw(st.sampled_from(ids))
            existing = sorted({_get(doc, p) for p in ids if p[-1] == path[-1] and isinstance(_get(doc, p), int)})
            _get(doc, path[:-1])[path[-1]] = draw(st.sampled_from(existing + [99, -1, 0]))
        elif op == "path escape":
            names = [p for p in paths if p[-1] == "file_name"] or paths
            path = draw(st.sampled_from(names))
            _get(doc, path[:-1])[path[-1]] = draw(st.sampled_from(escapes))
        elif op == "duplicate":
            in_lists = [p for p in paths if isinstance(_get(doc, p[:-1]), list)]
            if not in_lists:
                continue
            path = draw(st.sampled_from(in_lists))
            _get(doc, path[:-1]).append(copy.deepcopy(_get(doc, path)))
    return _as_bytes(draw, json.dumps(doc, ensure_ascii=draw(st.booleans())))


def _as_bytes(draw: st.DrawFn, text: str) -> bytes:
    """The text as a file: now and then with a BOM, CRLF line ends, in Latin-1 or UTF-16, or cut short."""
    data = text.encode("utf-8", "surrogatepass")
    form = draw(st.sampled_from(["utf-8"] * 6 + ["bom", "crlf", "latin-1", "utf-16", "truncated", "truncated"]))
    if form == "bom":
        return b"\xef\xbb\xbf" + data
    if form == "crlf":
        return data.replace(b"\n", b"\r\n")
    if form == "latin-1":
        return text.encode("latin-1", "replace")
    if form == "utf-16":
        return text.encode("utf-16", "surrogatepass")
    if form == "truncated":
        return data[: draw(st.integers(0, max(len(data) - 1, 0)))]
    return data


# ---- mutations of a classification CSV -------------------------------------------------------------------------

CSV_CELLS = (
    "",
    " ",
    "cow",
    "apple",
    "pear",
    "plum",
    "APPLE",
    " pear ",
    "nan",
    "NaN",
    "-0.1",
    "1.5",
    "0",
    "1",
    "inf",
    "1e-400",
    "0x1",
    "=1+1",
    '=HYPERLINK("http://evil.example/","x")',
    "@SUM(A1)",
    "+1",
    "-1",
    "=cmd|' /C calc'!A0",
    "../c1.png",
    "/etc/passwd",
    "C:\\c1.png",
    "c1.png",
    "c2.png",
    "c9.png",
    "./c1.png",
    "c1.png/",
    "x" * 5000,
    '"',
    "a,b",
    "a\nb",
    "p\u00eache",
    "\t",
    "\x00",
    "pe\x00ar",
)
CSV_HEADER_CELLS = ("", "File Path", "x", "label", "confidence", "pre label", "expert")


@st.composite
def mutated_csv(draw: st.DrawFn) -> bytes:
    """The standard classification CSV after one to three mutations, as the bytes of a file."""
    header = list(CSV_HEADER)
    rows = [list(r) for r in CSV_ROWS]
    cells = CSV_CELLS
    delimiter = ","
    for _ in range(draw(st.integers(1, 3))):
        op = draw(
            st.sampled_from(
                [
                    "drop column",
                    "swap columns",
                    "rename column",
                    "case header",
                    "set cell",
                    "add row",
                    "delete row",
                    "ragged row",
                    "delimiter",
                ]
            )
        )
        width = len(header)
        if op == "drop column" and width:
            j = draw(st.integers(0, width - 1))
            header.pop(j)
            for r in rows:
                if j < len(r):
                    r.pop(j)
        elif op == "swap columns" and width > 1:
            i, j = draw(st.integers(0, width - 1)), draw(st.integers(0, width - 1))
            header[i], header[j] = header[j], header[i]
            for r in rows:
                if max(i, j) < len(r):
                    r[i], r[j] = r[j], r[i]
        elif op == "rename column" and width:
            j = draw(st.integers(0, width - 1))
            header[j] = draw(st.sampled_from(CSV_HEADER_CELLS))  # may fold to another column's name: refused
        elif op == "case header":
            style = draw(st.sampled_from([str.upper, str.title, lambda s: f"  {s} "]))
            header = [style(h) for h in header]
        elif op == "set cell" and rows:
            r = draw(st.sampled_from(rows))
            if r:
                r[draw(st.integers(0, len(r) - 1))] = draw(st.sampled_from(cells))
        elif op == "add row":
            rows.insert(
                draw(st.integers(0, len(rows))),
                list(draw(st.sampled_from(rows)))
                if rows and draw(st.booleans())
                else [draw(st.sampled_from(cells)) for _ in range(width)],
            )
        elif op == "delete row" and rows:
            rows.pop(draw(st.integers(0, len(rows) - 1)))
        elif op == "ragged row" and rows:
            r = draw(st.sampled_from(rows))
            if r and draw(st.booleans()):
                r.pop()
            else:
                r.append(draw(st.sampled_from(cells)))
        elif op == "delimiter":
            delimiter = draw(st.sampled_from([";", "\t", "|", " "]))
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    text = out.getvalue() + draw(st.sampled_from(["", "", "", "\n"]))
    return _as_bytes(draw, text)
