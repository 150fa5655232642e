"""Import: the checked draft written to the store in one transaction, with a progress bar, then the new job's
Visualize page. A job of the same name is replaced only once the user has confirmed it."""

from __future__ import annotations

import streamlit as st

from core.auth.access import Actor
from core.domain.errors import BadInput
from core.domain.plural import plural
from core.domain.vocabulary import ReviewState
from core.jobs import saving
from dashboard.image_source import forget_extracted_zip
from dashboard.import_check import CHECKED, Checked
from dashboard.navigation import VISUALIZE_PAGE
from dashboard.signed_in import still_signed_in
from dashboard.store import engine
from dashboard.text import md


def import_ui(checked: Checked | None, user: Actor) -> None:
    """The Import button: enabled by a passed check of the inputs as they are now (and, for a name taken, the
    confirmation that the job of that name is to be replaced)."""
    ready = checked is not None and checked.draft is not None
    existing = checked.existing if ready else None
    replace = False
    if existing is not None:
        st.warning(
            f"A job named **{md(existing.name)}** already exists: #{existing.id}, {existing.tag}, "
            f"{plural(existing.images, 'image')}, {plural(existing.results, 'result')}, {_reviewed(existing):,} reviewed.",
            icon=":material/warning:",
        )
        replace = st.checkbox(
            f"Replace it: delete job #{existing.id} with its results, reviews and ResultSets, and "
            "import this one in its place",
            key="import_replace",
        )
    label = "Replace job" if existing is not None else "Import"
    clicked = st.button(
        label,
        type="primary",
        key="import_button",
        icon=":material/upload:",
        disabled=not ready or (existing is not None and not replace),
        help=None if ready else "Check the inputs first: Import writes what a passed check read",
    )
    if not clicked:
        return
    user = still_signed_in(user)
    bar = st.progress(0.0, text="Importing…")
    try:
        job = saving.save_job(
            engine=engine(),
            draft=checked.draft,
            replace=replace,
            actor=user,
            progress=lambda stage, fraction: bar.progress(
                max(0.0, min((fraction - 0.7) / 0.3, 1.0)), text=md(stage.capitalize())
            ),
        )
    except BadInput as problem:  # a job of that name made meanwhile, say
        bar.empty()
        st.error(md(problem), icon=":material/error:")
        return
    st.session_state.pop(CHECKED, None)
    forget_extracted_zip(discard=False)  # the job's image root now
    st.switch_page(VISUALIZE_PAGE, query_params={"job": str(job.id)})


def _reviewed(job) -> int:
    return sum(n for state, n in job.by_state.items() if state != ReviewState.PENDING)
