"""Page chrome that Streamlit's options do not reach: the band above the first line and the side margins, trimmed
so that a reviewer's workspace starts in view at 1440x900, and the sidebar's Filters start at its top."""

from __future__ import annotations

import streamlit as st

CSS = """<style>
[data-testid="stMainBlockContainer"] { padding-top: 4.2rem; padding-left: 2rem; padding-right: 2rem;
                                        padding-bottom: 3rem; }
[data-testid="stSidebarUserContent"] { padding-top: 0.5rem; }
[data-testid="stMainBlockContainer"] h1 { font-size: 1.9rem; padding: 0.25rem 0; }
[data-testid="stMainBlockContainer"] h3 { font-size: 1.3rem; }
/* The Class Changed table is a summary of a few rows: its hover toolbar (search, download, full screen) would float
   over the section's image icon just above it. */
[class*="st-key-class_changed_"] [data-testid="stElementToolbar"] { display: none; }
</style>"""


def trim_page_margins() -> None:
    st.html(CSS)
