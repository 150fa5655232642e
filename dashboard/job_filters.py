"""The filter row above the job cards: name search, status, tag."""

from __future__ import annotations

from typing import Any

import streamlit as st

from core.domain.vocabulary import JOB_STATUSES, TAGS


def job_filters_ui() -> dict[str, Any]:
    name, status, tag = st.columns([2, 1, 1], vertical_alignment="bottom")
    return {
        "name_contains": name.text_input("Search jobs", placeholder="Search by name", key="jobs_search"),
        "statuses": status.multiselect("Status", JOB_STATUSES, key="jobs_status", placeholder="Any status"),
        "tags": tag.multiselect("Tag", TAGS, key="jobs_tag", placeholder="Any tag"),
    }
