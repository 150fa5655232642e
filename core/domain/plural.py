"""A count and its noun, agreeing: "1 result", "2 results", "1,200 classes"."""

from __future__ import annotations


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """`count` with thousands separators, then `noun` for exactly one, else `nouns` (by default the noun with the
    English -s or -es: result/results, class/classes, box/boxes)."""
    if count == 1:
        return f"1 {noun}"
    many = nouns or (noun + "es" if noun.endswith(("s", "x", "ch", "sh")) else noun + "s")
    return f"{count:,} {many}"
