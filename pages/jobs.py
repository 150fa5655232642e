"""Labeling Jobs: every label job as a card, filtered by name, status and tag."""

import streamlit as st

from core.auth.access import Permission
from core.jobs.summaries import list_jobs
from dashboard.job_card import job_card
from dashboard.job_filters import job_filters_ui
from dashboard.navigation import IMPORT_JOB_PAGE, NEW_JOB_PAGE, SPECS_PAGE
from dashboard.signed_in import signed_in_user
from dashboard.store import engine

user = signed_in_user()

CARDS_PER_ROW = 3

title, actions = st.columns([2, 3], vertical_alignment="center")
title.title("Labeling Jobs")
with actions.container(horizontal=True, horizontal_alignment="right"):
    st.page_link(SPECS_PAGE, label="Label specs", icon=":material/label:")
    if user.can(Permission.MANAGE):
        if st.button("Import finished job", icon=":material/upload_file:", key="import_job"):
            st.switch_page(IMPORT_JOB_PAGE)
        if st.button("New manual label job", icon=":material/add:", type="primary", key="new_job"):
            st.switch_page(NEW_JOB_PAGE)
filters = job_filters_ui()
jobs = list_jobs(engine=engine(), **filters)

if not jobs and not any(filters.values()):
    st.info(
        "No label jobs yet. Seed the demo jobs with `python -m core demo`, or import a finished job with "
        "`python -m core import --task detection --name NAME --images DIR --pre PRE.json --expert EXPERT.json` "
        "(see docs/cli.md).",
        icon=":material/inventory_2:",
    )
elif not jobs:
    st.info("No jobs match these filters.", icon=":material/filter_alt_off:")

for start in range(0, len(jobs), CARDS_PER_ROW):
    for column, job in zip(st.columns(CARDS_PER_ROW), jobs[start : start + CARDS_PER_ROW]):
        with column:
            job_card(job, user=user)
