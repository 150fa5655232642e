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

from pathlib import Path

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from core.auth.access import GRANTS, Permission, Role
from dashboard.signed_in import signed_in_role

# A file of our own: a Material icon name makes every browser fetch the favicon from Google's font server, which
# an internal URL without internet cannot reach and should not tell about.
FAVICON = Path(__file__).parent / "assets" / "favicon.png"
PAGE_CONFIG = dict(page_title="LabelDeck", page_icon=str(FAVICON), layout="wide")


# (section, file, title, icon, the permission a user needs to be offered the page). The navigation sits in the top
# bar, so the sidebar is the Filters' alone; a section is one menu there.
PAGES = (
    ("", "pages/jobs.py", "Labeling Jobs", ":material/work:", Permission.READ),
    ("", "pages/overview.py", "Overview", ":material/dashboard:", Permission.READ),
    ("Review", "pages/visualize.py", "Visualize", ":material/insights:", Permission.READ),
    ("Review", "pages/catalog.py", "Catalog", ":material/folder_open:", Permission.READ),
    ("Review", "pages/resultsets.py", "ResultSets", ":material/inventory:", Permission.READ),
    ("Review", "pages/activity.py", "Activity", ":material/history:", Permission.READ),
    ("Label", "pages/annotate.py", "Annotate", ":material/edit:", Permission.LABEL),
    ("Label", "pages/new_job.py", "New manual label job", ":material/add_circle:", Permission.MANAGE),
    ("Label", "pages/import_job.py", "Import finished job", ":material/upload_file:", Permission.MANAGE),
    ("Label", "pages/specs.py", "Label specs", ":material/label:", Permission.READ),
    ("Admin", "pages/users.py", "Users", ":material/group:", Permission.MANAGE),
)


def app_pages(role: Role | None) -> dict[str, list]:
    """The pages the role may use, by section (all of them before sign-in: the navigation is hidden then, and
    whichever page a link names asks for the sign-in); a page left out is not reachable by its URL either."""
    sections: dict[str, list] = {}
    for section, file, title, icon, needs in PAGES:
        if role is None or needs in GRANTS[role]:
            sections.setdefault(section, []).append(
                st.Page(file, title=title, icon=icon, default=file == "pages/jobs.py"))
    return sections


def navigation_position(role: Role | None) -> str:
    return "top" if role else "hidden"


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
        role = signed_in_role()
        st.navigation(app_pages(role), position=navigation_position(role))
        # The legacy run gave this page's widgets other ids than every later run will: run once more now, through
        # the entrypoint, so the reviewer's first input is not lost. Nothing is swallowed: this is the page load.
        st.rerun()
