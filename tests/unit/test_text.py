"""dashboard/text.py: what users and label files name things, made safe for Markdown, HTML and Plotly's texts."""

from __future__ import annotations

from dashboard.text import WORD_JOINER, html_text, md, plotly_text


def test_md_escapes_links_images_and_tags():
    assert md("![x](http://evil.example/p.png) <img src=x>") == (
        rf"\!\[x\]\({WORD_JOINER}http\://evil\.example/p\.png\) \<img src=x\>"
    )


def test_md_keeps_a_bare_web_address_from_becoming_a_link():
    # GFM links a bare address even once the escapes are read, when nothing, a space or a punctuation mark
    # stands before it: a word joiner is none of these.
    assert md("see https://evil.example and WWW.evil.example") == (
        f"see {WORD_JOINER}https\\://evil\\.example and {WORD_JOINER}WWW\\.evil\\.example"
    )


def test_html_text_is_one_line_of_escaped_text():
    # A blank line would end the <div> line that st.markdown leaves alone; what follows would be Markdown.
    assert html_text('a\n\n[x](http://evil.example) <a href="y">') == (
        "a [x](http://evil.example) &lt;a href=&quot;y&quot;&gt;"
    )


def test_plotly_text_escapes_tags_and_keeps_quotes():
    # Plotly decodes &lt; &gt; &amp; for display, not &quot;.
    assert plotly_text('<a href="http://evil.example">x</a> & "y"') == (
        '&lt;a href="http://evil.example"&gt;x&lt;/a&gt; &amp; "y"'
    )
