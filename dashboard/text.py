"""Text that users and label files supply (job, class and file names, reasons, notes, user names, the values of a
link's query params), made safe to show: in the Markdown that Streamlit renders (st.markdown, captions, alerts,
toasts, titles and widget labels all read Markdown, links and images included), in HTML, and in Plotly's texts.
Shown as written, never read as formatting, a link, an image or a tag."""

from __future__ import annotations

import html
import re

# Every ASCII punctuation mark may be backslash-escaped in CommonMark; Streamlit's own directives (:red[...],
# :material/icon:) start with a colon, which is escaped too.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]()#+\-.!|<>~$:&])")
# Once the escapes are read, GFM still makes a link of a bare http://…, https://… or www.… that starts the text or
# follows a space or a punctuation mark; a word joiner (invisible, no line break) before it is neither. A bare e-mail
# address stays a mailto: link: its text is the address itself, and it fetches nothing and opens no page.
_BARE_WEB_ADDRESS = re.compile(r"(?i)(?=https?://|www\.)")
WORD_JOINER = "\u2060"


def md(text: object) -> str:
    """`text` for Markdown: every formatting character escaped, no web address made a link, line breaks as
    spaces."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", _BARE_WEB_ADDRESS.sub(WORD_JOINER, " ".join(str(text).split())))


def html_text(text: object) -> str:
    """`text` for HTML (unsafe_allow_html): entities escaped, so a name like <img onerror=...> is shown. Line breaks
    as spaces: st.markdown leaves a one-line `<div …>…</div>` alone as an HTML block, but a blank line would end
    that block and what follows would be read as Markdown (a link, an image)."""
    return html.escape(" ".join(str(text).split()), quote=True)


def plotly_text(text: object) -> str:
    """`text` for a Plotly figure (axis categories, legend names, annotations, hover texts): Plotly reads a few HTML
    tags there, <a href> among them, and decodes &amp; &lt; &gt; back for display. Quotes stay as they are: Plotly
    does not decode &quot;, and without a `<` there is no tag for a quote to end."""
    return html.escape(str(text), quote=False)
