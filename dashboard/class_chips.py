"""Class names as coloured chips (the spec page, the detail panel's legend). Names and display names come from
label files and users: escaped, so a class called <img onerror=...> or ![x](http://…) is shown, never run or
fetched."""

from __future__ import annotations

import re

from dashboard.text import html_text

_COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")
FALLBACK_COLOR = "#888888"


def class_chips_html(chips: list[tuple[str, str]]) -> str:
    """(label, #RRGGBB) pairs as inline-bordered spans, on one line in a <div>: st.markdown takes that line as an
    HTML block and reads no Markdown in it (a span alone would sit in a paragraph, whose Markdown links and images
    are rendered). A colour that is not #RRGGBB falls back to grey."""
    return (
        "<div>"
        + " ".join(
            f'<span style="border:2px solid {color if _COLOR.match(color or "") else FALLBACK_COLOR};'
            f'border-radius:4px;padding:0 6px">{html_text(label)}</span>'
            for label, color in chips
        )
        + "</div>"
    )
