"""Activity: the review events of a job, newest first: who did what, when, to how many results, and why.
?reviewer=NAME (repeatable) and ?day=YYYY-MM-DD (UTC) narrow it, as the Overview's links do."""

import polars as pl
import streamlit as st

from core.domain.plural import plural
from core.domain.vocabulary import REVIEW_STATE_LABELS
from core.review import decisions as review
from core.store.models import as_utc
from dashboard.job_context import job_from_query_params, job_header
from dashboard.navigation import ACTIVITY_PAGE
from dashboard.signed_in import signed_in_user
from dashboard.store import engine
from dashboard.url_state import describe_selection, url_day

signed_in_user()

job = job_from_query_params(page="Activity")
if job is None:
    st.stop()
job_header(job, page="Activity")

events = review.list_events(engine=engine(), job_id=job.id)
if not events:
    st.info("No review actions yet: every result is Pending Review as imported.", icon=":material/history:")
    st.stop()

reviewers = sorted({e.reviewer for e in events})
day = url_day()
if day is not None:
    st.caption(f"On {day:%d %b %Y} (UTC) only.")
    st.page_link(ACTIVITY_PAGE, label="Every day", icon=":material/calendar_month:", query_params={"job": str(job.id)})
    events = [e for e in events if as_utc(e.created_at).date() == day]
    if not events:
        st.info(f"No review actions on {day:%d %b %Y}.", icon=":material/event_busy:")
        st.stop()
who, to_state = st.columns(2)
chosen = who.multiselect(
    "Reviewer",
    reviewers,
    placeholder="Everyone",
    default=[r for r in st.query_params.get_all("reviewer") if r in reviewers],
)
target = to_state.multiselect(
    "Moved to", list(REVIEW_STATE_LABELS), format_func=REVIEW_STATE_LABELS.get, placeholder="Any state"
)
# An undo that sent its results back to several states has no single to_state; it reached each of its to_states.
shown = [
    e
    for e in events
    if (not chosen or e.reviewer in chosen)
    and (not target or e.to_state in target or any(s in target for s in e.to_states or {}))
]

st.dataframe(
    pl.DataFrame(
        {
            "when": [e.created_at for e in shown],
            "reviewer": [e.reviewer for e in shown],
            # An event whose results left (or reached) several states has no single from (to) state.
            "from": [REVIEW_STATE_LABELS.get(e.from_state, "several") for e in shown],
            "to": [REVIEW_STATE_LABELS.get(e.to_state, "several") for e in shown],
            "results": [e.result_count for e in shown],
            "reason": [e.reason or "" for e in shown],
            "undoes": [f"event {e.undoes_event_id}" if e.undoes_event_id else "" for e in shown],
            # The rework loop: results sent to a rework job, and its results brought back (core/jobs/rework.py).
            "rework": [f"job #{e.rework_job_id}" if e.rework_job_id else "" for e in shown],
            "selected by": [describe_selection(e.selection) for e in shown],
        },
        schema_overrides={"results": pl.Int64},
    ),
    hide_index=True,
    column_config={
        "when": st.column_config.DatetimeColumn("when", format="D MMM YYYY, HH:mm:ss"),
        "results": st.column_config.NumberColumn("results", format="localized"),
    },
)
st.caption(
    f"{len(shown):,} of {plural(len(events), 'event')} · {plural(sum(e.result_count for e in shown), 'decision')}"
)
