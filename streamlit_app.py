"""LabelDeck's entrypoint: the navigation over pages/, nothing else."""

import streamlit as st

from dashboard.navigation import PAGE_CONFIG, app_pages

st.set_page_config(**PAGE_CONFIG)
st.navigation(app_pages()).run()
