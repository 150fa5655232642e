"""LabelDeck's entrypoint: the navigation over pages/ (hidden until someone is signed in), and a clear message
instead of a traceback when the store is busy or unreachable."""

import streamlit as st

from core.logs import configure_logging
from dashboard.navigation import PAGE_CONFIG, app_pages, navigation_position
from dashboard.store import store_problems_reported

configure_logging()
st.set_page_config(**PAGE_CONFIG)
page = st.navigation(app_pages(), position=navigation_position())
with store_problems_reported():
    page.run()
