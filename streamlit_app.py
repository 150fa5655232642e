"""LabelDeck's entrypoint: the navigation over pages/ (hidden until someone is signed in), nothing else."""

import streamlit as st

from dashboard.navigation import PAGE_CONFIG, app_pages, navigation_position

st.set_page_config(**PAGE_CONFIG)
st.navigation(app_pages(), position=navigation_position()).run()
