"""Text that users and label files supply (job, class and file names, reasons, notes), made safe to put inside the
Markdown that Streamlit renders: shown as written, never read as formatting, links, images or HTML."""

from __future__ import annotations

import html
import re

# Every ASCII punctuation mark may be backslash-escaped in CommonMark; Streamlit's own directives (:red[...],
# :material/icon:) start with a colon, which is escaped too.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]()#+\-.!|<>~$:&])")


def md(text: object) -> str:
    """`text` for Markdown: every formatting character escaped, line breaks as spaces."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def html_text(text: object) -> str:
    """`text` for HTML (unsafe_allow_html): entities escaped, so a name like <img onerror=...> is shown."""
    return html.escape(str(text), quote=True)
