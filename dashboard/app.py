"""LabelDeck's entrypoint (served by dashboard/server.py; AppTest runs it as it is): the navigation over pages/
(hidden until someone is signed in), and a clear message instead of a traceback when the store is busy or
unreachable."""

import sys
from pathlib import Path

# Streamlit puts the entrypoint's folder on the import path, not the project's; `python -m streamlit` adds the
# working directory, which is the project only when started from it.
PROJECT = str(Path(__file__).resolve().parent.parent)
if PROJECT not in sys.path:
    sys.path.insert(0, PROJECT)

import streamlit as st  # noqa: E402

from core.ops.logs import configure_logging  # noqa: E402
from core.settings import SettingsError, get_settings  # noqa: E402
from dashboard.look import trim_page_margins  # noqa: E402
from dashboard.navigation import PAGE_CONFIG, app_pages, navigation_position  # noqa: E402
from dashboard.signed_in import signed_in_role  # noqa: E402
from dashboard.store import store_problems_reported  # noqa: E402

st.set_page_config(**PAGE_CONFIG)
try:
    get_settings()
except SettingsError as problem:
    st.error(str(problem), icon=":material/settings:")
    st.stop()
configure_logging()
trim_page_margins()
with store_problems_reported():
    role = signed_in_role()  # None: nobody signed in yet, the navigation hidden
    st.navigation(app_pages(role), position=navigation_position(role)).run()
