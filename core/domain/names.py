"""What a name may hold: the names of classes (and their display names), label jobs, label specs and ResultSets,
from label files, the command line and the pages alike (user names: core/auth/access.py, stricter still).

Refused, by Unicode category:

- Cc, control characters: tab, line feed, carriage return, ESC and the rest of C0, DEL, and C1 (U+0085 NEXT LINE,
  U+009B CSI). A line break in a class name gives YOLO's classes.txt more lines than `nc` and shifts every class
  index after it; ESC and CSI sequences drive a terminal that prints the name; a tab or CR starts a formula in a
  spreadsheet. A tab has no use in a name either, so no exception for it.
- Zl, Zp: U+2028 LINE SEPARATOR and U+2029 PARAGRAPH SEPARATOR, line breaks to str.splitlines and JavaScript.
- Cf, format characters: invisible. The bidirectional overrides, embeddings and isolates (U+202A-U+202E,
  U+2066-U+2069) make a name display backwards, so "gpj.exe" can read as "exe.jpg"; zero-width spaces, joiners,
  marks and U+FEFF make two names that look the same differ. Kept: U+200C ZERO WIDTH NON-JOINER and U+200D ZERO
  WIDTH JOINER, which Persian, Arabic and Indic words and emoji sequences need to be spelled right at all.
- Cs, lone surrogates (a JSON "\\ud800" escape): no UTF-8 text, so no database column, holds one.

Everything else is allowed: letters of every script, spaces (stripped at the ends), punctuation, emoji.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import TYPE_CHECKING

from core.domain.errors import BadInput

if TYPE_CHECKING:  # polars only for label files' frames: the CLI escapes names without paying for its import
    import polars as pl

REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})
KEPT_FORMAT_CHARACTERS = frozenset({"\u200c", "\u200d"})
_KINDS = {
    "Cc": "a control character",
    "Cf": "an invisible format character",
    "Zl": "a line separator",
    "Zp": "a paragraph separator",
    "Cs": "a lone surrogate",
}


def refused(ch: str) -> bool:
    return unicodedata.category(ch) in REFUSED_CATEGORIES and ch not in KEPT_FORMAT_CHARACTERS


def name_problem(name: str) -> str | None:
    """Why `name` may not be a name ("holds U+000A, a control character: ..."), or None."""
    if name.isprintable():  # the common case, in C: printable text holds none of the refused characters
        return None
    ch = next((c for c in name if refused(c)), None)
    if ch is None:
        return None
    return (
        f"holds U+{ord(ch):04X}, {_KINDS[unicodedata.category(ch)]}: names may not hold control, invisible "
        "format or line-break characters"
    )


def refuse_unsafe_name(name: str, *, what: str) -> None:
    """BadInput "{what} {name!r}: holds ..." when the name holds a refused character."""
    if problems := unsafe_name_problems([name], what=what):
        raise BadInput(problems)


def unsafe_name_problems(names: Iterable[str], *, what: str) -> list[str]:
    """One problem per name of `names` that holds a refused character."""
    return [f"{what} {n!r}: {p}" for n in names if (p := name_problem(n))]


def frame_name_problems(frame: pl.DataFrame, *, column: str, where: pl.Expr, what: str) -> list[str]:
    """One problem per row of `frame` whose `column` holds a refused character, "{where}: {what} {name!r}: holds
    ...". Each distinct name is looked at once: a label file repeats a few class names many times."""
    import polars as pl

    bad = [n for n in frame[column].drop_nulls().unique() if name_problem(n)]
    if not bad:
        return []
    rows = frame.filter(pl.col(column).is_in(pl.Series(bad, dtype=pl.String).implode()))
    return [f"{w}: {what} {n!r}: {name_problem(n)}" for w, n in rows.select(where.alias("where"), column).iter_rows()]


def escaped(text: str, *, keep: str = "") -> str:
    """`text` with each refused character but those in `keep` written as its Python escape (\\x1b, \\u202e): shown,
    never acted on, by a terminal, a line-based file or a reader."""
    if text.isprintable():
        return text
    return "".join(repr(c)[1:-1] if refused(c) and c not in keep else c for c in text)
