"""LabelDeck's entrypoint: the navigation over pages/ (hidden until someone is signed in), and a clear message
instead of a traceback when the store is busy or unreachable."""

import streamlit as st

from core.ops.logs import configure_logging
from dashboard.look import trim_page_margins
from dashboard.navigation import PAGE_CONFIG, app_pages, navigation_position
from dashboard.signed_in import signed_in_role
from dashboard.store import store_problems_reported

configure_logging()
st.set_page_config(**PAGE_CONFIG)
trim_page_margins()
with store_problems_reported():
    role = signed_in_role()  # None: nobody signed in yet, the navigation hidden
    st.navigation(app_pages(role), position=navigation_position(role)).run()
