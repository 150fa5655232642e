"""Numbers and texts from XML label files, with the element named when one is missing or is not a number."""

from __future__ import annotations

import math

from core.domain.errors import BadInput


def child_text(element, tag: str, where: str, *, required: bool = True) -> str | None:
    child = element.find(tag)
    text = child.text.strip() if child is not None and child.text else ""
    if not text:
        if required:
            raise BadInput(f"{where}: missing <{tag}>")
        return None
    return text


def number(text: str | None, what: str, where: str) -> float:
    try:
        value = float(text) if text is not None else math.nan
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise BadInput(f"{where}: {what} must be a finite number, got {text!r}")
    return value


def whole(text: str | None, what: str, where: str) -> int:
    value = number(text, what, where)
    if value != int(value):
        raise BadInput(f"{where}: {what} must be a whole number, got {text!r}")
    return int(value)


def attribute(element, name: str, where: str) -> str:
    value = element.get(name)
    if value is None or not value.strip():
        raise BadInput(f"{where}: missing attribute {name!r}")
    return value.strip()
