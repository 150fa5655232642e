"""The app's pages, declared in this one place: the entrypoint's navigation (dashboard/app.py) and every link or
switch between pages name them from here.

Page files are named by absolute path. Streamlit resolves a page path against the entrypoint's folder, and the
entrypoint sits in dashboard/ so that no `pages/` folder is beside it (one there would make Streamlit run the app
as a legacy multipage app until st.navigation has run once).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from core.auth.access import GRANTS, Permission, Role

PAGES_DIR = Path(__file__).resolve().parent.parent / "pages"

# A file of our own: a Material icon name makes every browser fetch the favicon from Google's font server, which
# an internal URL without internet cannot reach and should not tell about.
FAVICON = Path(__file__).parent / "assets" / "favicon.png"
PAGE_CONFIG = dict(page_title="LabelDeck", page_icon=str(FAVICON), layout="wide")


def page_file(name: str) -> str:
    """pages/<name>.py as st.Page, st.page_link and st.switch_page take it."""
    return str(PAGES_DIR / f"{name}.py")


JOBS_PAGE = page_file("jobs")
OVERVIEW_PAGE = page_file("overview")
VISUALIZE_PAGE = page_file("visualize")
CATALOG_PAGE = page_file("catalog")
RESULTSETS_PAGE = page_file("resultsets")
ACTIVITY_PAGE = page_file("activity")
ANNOTATE_PAGE = page_file("annotate")
NEW_JOB_PAGE = page_file("new_job")
IMPORT_JOB_PAGE = page_file("import_job")
SPECS_PAGE = page_file("specs")
USERS_PAGE = page_file("users")

# (section, file, title, icon, the permission a user needs to be offered the page). The navigation sits in the top
# bar, so the sidebar is the Filters' alone; a section is one menu there.
PAGES = (
    ("", JOBS_PAGE, "Labeling Jobs", ":material/work:", Permission.READ),
    ("", OVERVIEW_PAGE, "Overview", ":material/dashboard:", Permission.READ),
    ("Review", VISUALIZE_PAGE, "Visualize", ":material/insights:", Permission.READ),
    ("Review", CATALOG_PAGE, "Catalog", ":material/folder_open:", Permission.READ),
    ("Review", RESULTSETS_PAGE, "ResultSets", ":material/inventory:", Permission.READ),
    ("Review", ACTIVITY_PAGE, "Activity", ":material/history:", Permission.READ),
    ("Label", ANNOTATE_PAGE, "Annotate", ":material/edit:", Permission.LABEL),
    ("Label", NEW_JOB_PAGE, "New manual label job", ":material/add_circle:", Permission.MANAGE),
    ("Label", IMPORT_JOB_PAGE, "Import finished job", ":material/upload_file:", Permission.MANAGE),
    ("Label", SPECS_PAGE, "Label specs", ":material/label:", Permission.READ),
    ("Admin", USERS_PAGE, "Users", ":material/group:", Permission.MANAGE),
)


def app_pages(role: Role | None) -> dict[str, list]:
    """The pages the role may use, by section (all of them before sign-in: the navigation is hidden then, and
    whichever page a link names asks for the sign-in); a page left out is not reachable by its URL either."""
    sections: dict[str, list] = {}
    for section, file, title, icon, needs in PAGES:
        if role is None or needs in GRANTS[role]:
            sections.setdefault(section, []).append(st.Page(file, title=title, icon=icon, default=file == JOBS_PAGE))
    return sections


def navigation_position(role: Role | None) -> str:
    return "top" if role else "hidden"


# The pages about one job, linked from each other's header with the same ?job=.
JOB_PAGES = (
    (VISUALIZE_PAGE, "Visualize", ":material/insights:"),
    (CATALOG_PAGE, "Catalog", ":material/folder_open:"),
    (RESULTSETS_PAGE, "ResultSets", ":material/inventory:"),
    (ACTIVITY_PAGE, "Activity", ":material/history:"),
)
