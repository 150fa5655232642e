"""The app's pages, in one place for the entrypoint and for the pages' own guard.

Streamlit treats an app with a `pages/` folder beside its entrypoint as a legacy multipage app until the
entrypoint has called st.navigation once in this process. When the very first request after a start is a deep
link (/visualize?job=3), the page runs without the entrypoint: the sidebar would list raw file names and the
layout would be narrow. Each page calls ensure_navigation() first, which then declares the app's navigation and
page config itself and reruns once, through the entrypoint. Only a session's first run can be such a deep link,
and it carries no widget action; AppTest, which runs later pages the legacy way on purpose, is left alone after
its first run.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

PAGE_CONFIG = dict(page_title="LabelDeck", page_icon=":material/fact_check:", layout="wide")


def app_pages() -> list:
    return [
        st.Page("pages/jobs.py", title="Labeling Jobs", icon=":material/work:", default=True),
        st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:"),
        st.Page("pages/new_job.py", title="New manual label job", icon=":material/add_circle:"),
        st.Page("pages/annotate.py", title="Annotate", icon=":material/edit:"),
        st.Page("pages/specs.py", title="Label specs", icon=":material/label:"),
        st.Page("pages/visualize.py", title="Visualize", icon=":material/insights:"),
        st.Page("pages/catalog.py", title="Catalog", icon=":material/folder_open:"),
        st.Page("pages/resultsets.py", title="ResultSets", icon=":material/inventory:"),
        st.Page("pages/activity.py", title="Activity", icon=":material/history:"),
    ]


def navigation_position() -> str:
    from dashboard.signed_in import awaiting_sign_in  # the sign-in building block imports the store

    return "hidden" if awaiting_sign_in() else "sidebar"


# The pages about one job, linked from each other's header with the same ?job=.
JOB_PAGES = (
    ("pages/visualize.py", "Visualize", ":material/insights:"),
    ("pages/catalog.py", "Catalog", ":material/folder_open:"),
    ("pages/resultsets.py", "ResultSets", ":material/inventory:"),
    ("pages/activity.py", "Activity", ":material/history:"),
)


def ensure_navigation() -> None:
    first_run = not st.session_state.get("_navigation_checked")
    st.session_state["_navigation_checked"] = True
    if first_run and PagesManager.uses_pages_directory:
        st.set_page_config(**PAGE_CONFIG)
        st.navigation(app_pages(), position=navigation_position())
        # The legacy run gave this page's widgets other ids than every later run will: run once more now, through
        # the entrypoint, so the reviewer's first input is not lost. Nothing is swallowed: this is the page load.
        st.rerun()
