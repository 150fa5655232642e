"""The annotation editor of one image (streamlit-image-annotation) with its navigation, and the job's Submit.

The component's quirks, handled here: it wants `[]`, not None, for an image without boxes; it keeps its own state
per key, so a fresh key per visit is what reloads the saved boxes (and keeps an old Complete from saving again);
it shrinks a PIL image passed to it in place, so it gets a fresh one on every run, turned as displayed like every
other view of the image (core/images/orientation.py).
"""

from __future__ import annotations

import streamlit as st
from streamlit_image_annotation import classification

from core.auth.access import Actor
from core.domain.errors import BadInput
from core.domain.plural import plural
from core.domain.vocabulary import Task
from core.images.orientation import open_upright
from core.jobs import expert_labels
from core.jobs.submit import submit_job
from core.store.models import LabelJob
from dashboard.detection_editor import detection_editor
from dashboard.navigation import VISUALIZE_PAGE
from dashboard.rework_notes import rework_notes_ui
from dashboard.signed_in import still_signed_in
from dashboard.store import engine
from dashboard.text import md

SHOWN_UNLABELLED = 12
EDITOR_WIDTH = 900
EDITOR_HEIGHT = 640


def _go_to(sample_id: int | None) -> None:
    if sample_id is None:
        st.query_params.pop("sample", None)
    else:
        st.query_params["sample"] = str(sample_id)
    st.session_state["annotate_visit"] = st.session_state.get("annotate_visit", 0) + 1


def _current_sample(job: LabelJob, order: list[int]) -> int | None:
    raw = st.query_params.get("sample")
    if raw and raw.isdigit() and int(raw) in order:
        return int(raw)
    if raw:
        st.warning(f"ignored sample={md(repr(raw))} (not an image of this job)", icon=":material/link_off:")
    return expert_labels.next_unlabelled(engine=engine(), job_id=job.id) or (order[0] if order else None)


def annotator_ui(*, job: LabelJob, expert: Actor) -> None:
    order = expert_labels.list_samples(engine=engine(), job_id=job.id)["sample_id"].to_list()
    sample_id = _current_sample(job, order)
    if sample_id is None:
        st.info("This job has no images.")
        return
    state = expert_labels.editor_state(engine=engine(), job_id=job.id, sample_id=sample_id)
    position = order.index(sample_id)
    _navigation(job, order, position, expert=expert)
    who = f" by {md(state.labelled_by)}" if state.labelled_by else ""
    st.caption(
        f"**{md(state.file_path)}** · image {position + 1:,} of {len(order):,} · {state.label_status}{who} · "
        f"showing the {'expert label' if state.source == 'expert' else 'pre-labels' if state.source == 'pre' else 'image without labels'}"
    )
    rework_notes_ui(job=job, sample_id=sample_id)
    key = f"annotate_{job.id}_{sample_id}_{st.session_state.get('annotate_visit', 0)}"
    if state.task == Task.DETECTION:
        boxes = detection_editor(
            image_path=state.image_path,
            label_list=state.label_list,
            colors=state.colors,
            bboxes=state.bboxes or [],
            labels=state.labels or [],
            width=EDITOR_WIDTH,
            height=EDITOR_HEIGHT,
            line_width=2,
            key=key,
        )
        if boxes is not None:
            _save(job, sample_id, order, expert=expert, boxes=boxes)
    else:
        image, _ = open_upright(state.image_path, fit=(EDITOR_WIDTH, EDITOR_HEIGHT))
        picked = classification(
            image_path=image,
            label_list=state.label_list,
            default_label_index=state.class_index,
            width=EDITOR_WIDTH,
            height=EDITOR_HEIGHT,
            key=key,
        )
        # The component reports a choice as it is made; Complete is ours.
        chosen = (
            picked["label"]
            if picked
            else (state.label_list[state.class_index] if state.class_index is not None else None)
        )
        if st.button("Complete", key="complete_class", type="primary", disabled=chosen is None, shortcut="Enter"):
            _save(job, sample_id, order, expert=expert, class_name=state.class_names[state.label_list.index(chosen)])


def _save(job: LabelJob, sample_id: int, order: list[int], *, expert: Actor, **label) -> None:
    try:
        saved = expert_labels.save_expert_label(
            engine=engine(), job_id=job.id, sample_id=sample_id, actor=expert, **label
        )
    except BadInput as problem:
        st.error(md(problem))
        return
    note = f" (boxes {', '.join(map(str, saved.clipped))} clipped to the image)" if saved.clipped else ""
    st.session_state["annotate_toast"] = ("Saved" if saved.changed else "Unchanged, already saved") + note
    _go_to(expert_labels.next_unlabelled(engine=engine(), job_id=job.id, after_sample_id=sample_id))
    st.rerun()


def _navigation(job: LabelJob, order: list[int], position: int, *, expert: Actor) -> None:
    message = st.session_state.pop("annotate_toast", None)
    if message:
        st.toast(message, icon=":material/save:")
    sample_id = order[position]
    with st.container(horizontal=True, vertical_alignment="center", key="annotate_nav"):
        if st.button(
            "Previous", key="annotate_previous", icon=":material/chevron_left:", shortcut="Left", disabled=position == 0
        ):
            _go_to(order[position - 1])
            st.rerun()
        if st.button(
            "Next",
            key="annotate_next",
            icon=":material/chevron_right:",
            shortcut="Right",
            disabled=position == len(order) - 1,
        ):
            _go_to(order[position + 1])
            st.rerun()
        if st.button("Next unlabelled", key="annotate_next_unlabelled", icon=":material/skip_next:"):
            _go_to(expert_labels.next_unlabelled(engine=engine(), job_id=job.id, after_sample_id=sample_id))
            st.rerun()
        if st.button(
            "Skip",
            key="annotate_skip",
            icon=":material/block:",
            help="No expert label for this image: it will contribute no results",
        ):
            expert_labels.skip_sample(engine=engine(), job_id=job.id, sample_id=sample_id, actor=expert)
            _go_to(expert_labels.next_unlabelled(engine=engine(), job_id=job.id, after_sample_id=sample_id))
            st.rerun()
        if st.button(
            "Reset",
            key="annotate_reset",
            icon=":material/restart_alt:",
            type="tertiary",
            help="Drop this image's expert label and show its pre-labels again",
        ):
            expert_labels.reset_sample(engine=engine(), job_id=job.id, sample_id=sample_id, actor=expert)
            _go_to(sample_id)
            st.rerun()


def submit_ui(*, job: LabelJob, expert: Actor, unlabelled: int) -> None:
    st.divider()
    label = "Submit job" if not unlabelled else f"Submit job ({plural(unlabelled, 'image')} unlabelled)"
    if st.button(label, key="submit_job", type="primary", icon=":material/send:"):
        if unlabelled:
            _confirm_submit(job, expert)
        else:
            _submit(job, expert, allow_unlabelled=False)


@st.dialog("Submit with unlabelled images?")
def _confirm_submit(job: LabelJob, expert: Actor) -> None:
    expert = still_signed_in(expert)
    waiting = expert_labels.list_samples(engine=engine(), job_id=job.id, status="unlabelled")
    st.write(
        f"{plural(waiting.height, 'image')} have no expert label. Submitting marks them skipped: they contribute no "
        "results."
    )
    # A few names as text, not a data grid: the dialog opens at once (the grid's canvas took ~300 ms to appear).
    names = waiting["file_path"].head(SHOWN_UNLABELLED).to_list()
    more = waiting.height - len(names)
    st.caption(" · ".join(md(name) for name in names) + (f" · and {more:,} more" if more > 0 else ""))
    if st.button("Submit anyway", type="primary", key="submit_anyway"):
        _submit(job, expert, allow_unlabelled=True)


def _submit(job: LabelJob, expert: Actor, *, allow_unlabelled: bool) -> None:
    try:
        with st.spinner(
            "Submitting: matching the expert boxes to the pre-labels and writing the results…", show_time=True
        ):
            submit_job(engine=engine(), job_id=job.id, actor=expert, allow_unlabelled=allow_unlabelled)
    except BadInput as problem:
        st.error(md(problem))
        return
    st.switch_page(VISUALIZE_PAGE, query_params={"job": str(job.id)})
