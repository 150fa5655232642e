"""Class names as coloured chips (the spec page, the detail panel's legend). Names and display names come from
label files and users: escaped, so a class called <img onerror=...> is shown, never run."""

from __future__ import annotations

import html
import re

_COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")
FALLBACK_COLOR = "#888888"


def class_chips_html(chips: list[tuple[str, str]]) -> str:
    """(label, #RRGGBB) pairs as inline-bordered spans; a colour that is not #RRGGBB falls back to grey."""
    return " ".join(
        f'<span style="border:2px solid {color if _COLOR.match(color or "") else FALLBACK_COLOR};'
        f'border-radius:4px;padding:0 6px">{html.escape(label)}</span>'
        for label, color in chips
    )
