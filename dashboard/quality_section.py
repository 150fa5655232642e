"""The Visualize page's Pre-label quality section (issue 16): how good the job's pre-labels were, the expert labels
taken as the truth. Headline figures, a row per class whose counts link to their results, the expert's edits by
confidence threshold with the best one marked, the precision-recall curve, and a classification job's confusion
matrix.

An expander bound to the URL (?quality=true: the Overview links to it), drawn only while open; its figures are
computed once per revision of the job's results (a file beside the results frame, core.analysis.quality) and kept
here per process, so the page's other reruns never touch them. The open section is a fragment: its confidence
input reruns the section alone. A click on a count opens its results below: the filter in the URL, the section
closed so the grid is in view."""

from __future__ import annotations

import polars as pl
import streamlit as st

from core.analysis.filters import GROUP_BYS
from core.analysis.quality import job_quality
from core.analysis.quality.figures import JobQuality
from core.analysis.quality.slices import class_slices, slice_filter
from core.domain.vocabulary import Task
from dashboard.job_data import JobData
from dashboard.overview import visualize_url
from dashboard.quality_charts import best_words, confusion_figure, effort_figure, precision_recall_figure
from dashboard.quality_table import quality_rows, quality_table_ui
from dashboard.review_stats import BOX
from dashboard.sidebar_filters import apply_filter
from dashboard.store import engine
from dashboard.text import md

SECTION_KEY = "quality"  # the expander's key and its URL parameter
CONFIDENCE_KEY = "quality_confidence"
_NAVIGATE = "quality_navigate"  # a count was clicked: the page reruns with its results


def quality_section_ui(data: JobData, *, state: str) -> None:
    """state: the page's tab, which a count's link keeps."""
    section = st.expander("Pre-label quality", key=SECTION_KEY, bind="query-params", icon=":material/insights:")
    if section.open:
        with section:
            _section_ui(data, state=state)


@st.cache_resource(max_entries=8, show_spinner=False)
def _quality(store: str, job_id: int, data_revision: int) -> JobQuality:
    return job_quality(engine=engine(), job_id=job_id)


@st.cache_resource(max_entries=8, show_spinner=False)
def _counts(store: str, job_id: int, data_revision: int, min_confidence: float, *, _data: JobData) -> pl.DataFrame:
    classes = [c for c in _data.class_rows if c in _data.overlay.colors]  # the spec's, without (removed)
    return class_slices(_data.results, classes, min_confidence=min_confidence)


@st.fragment
def _section_ui(data: JobData, *, state: str) -> None:
    if st.session_state.pop(_NAVIGATE, False):
        st.rerun()  # the page, with the count's results (a click in this fragment reran it alone)
    job = data.job
    with st.spinner("Computing the pre-label quality (once per revision of the job's labels)…"):
        quality = _quality(data.store, job.id, job.data_revision)
    headline_ui(quality)
    for note in quality.notes:
        st.caption(md(note))
    min_confidence = _confidence_ui(quality)
    counts = _counts(data.store, job.id, job.data_revision, min_confidence, _data=data)

    def on_open(class_name: str, count: str) -> None:
        apply_filter(slice_filter(count, class_name, min_confidence=min_confidence), GROUP_BYS[0])
        st.session_state[SECTION_KEY] = False
        st.session_state[_NAVIGATE] = True

    rows = quality_rows(
        quality,
        counts,
        display=data.display,
        url=lambda f: visualize_url(job.id, tab=state, result_filter=f),
        min_confidence=min_confidence,
    )
    quality_table_ui(rows, is_detection=data.is_detection, min_confidence=min_confidence, on_open=on_open)
    st.caption(
        "Each count opens its results (every review state; the tabs split them). False positives: pre-labels of "
        "the class the expert removed or relabelled; missed: expert labels of the class without a pre-label of "
        "it. They follow the job's own pairing of boxes, as the edits do"
        + ("; precision and recall pair boxes per class, as COCO does." if data.is_detection else ".")
    )
    if min_confidence > 0 and quality.unscored:
        st.caption(
            f"{quality.unscored:,} pre-labels without a confidence are left out of the false positives above 0, "
            "as the confidence filter leaves them out; the edits keep them at every threshold."
        )
    effort, precision_recall = st.columns(2)
    with effort:
        st.plotly_chart(
            effort_figure(quality.curve, best=quality.best, marked=min_confidence),
            key="quality_effort",
            config={"displaylogo": False},
        )
    with precision_recall:
        if quality.confusion is not None:
            st.plotly_chart(
                confusion_figure(quality.confusion, display=data.display),
                key="quality_confusion",
                config={"displaylogo": False},
            )
        else:
            st.plotly_chart(precision_recall_figure(quality.curve), key="quality_pr", config={"displaylogo": False})


def headline_figures(quality: JobQuality) -> list[tuple[str, str, str]]:
    """(label, value, note) of each headline figure."""

    def number(value: float | None) -> str:
        return "–" if value is None else f"{value:.3f}"

    figures = []
    if quality.task == Task.DETECTION:
        figures += [("AP", number(quality.ap), "@[.5:.95]"), ("AP50", number(quality.ap50), "")]
    else:
        figures.append(("Accuracy", number(quality.accuracy), ""))
    iou = f"at IoU {quality.iou_threshold:g}" if quality.task == Task.DETECTION else ""
    figures += [
        ("Precision", number(quality.precision), iou),
        ("Recall", number(quality.recall), iou),
        ("F1", number(quality.f1), ""),
        ("Edits", f"{quality.as_labelled.edits:,}", "every pre-label kept"),
    ]
    if quality.best is not None:
        figures.append(("Best threshold", f"{quality.best.threshold:.3g}", f"{quality.best.edits:,} edits"))
    return figures


def headline_ui(quality: JobQuality) -> None:
    # Fixed words and numbers only: nothing a user or a label file supplied goes into this HTML.
    st.html(
        "".join(
            f'<div style="{BOX}" data-quality="{label}" data-value="{value}"><div style="font-size:0.8rem;'
            f'opacity:0.75">{label}</div><div style="font-size:1.45rem;line-height:1.3">{value}<span '
            f'style="font-size:0.8rem;opacity:0.7;margin-left:0.4rem">{note}</span></div></div>'
            for label, value, note in headline_figures(quality)
        )
    )


def _confidence_ui(quality: JobQuality) -> float:
    """The pre-label confidence the false positives are counted at."""
    best = quality.best_threshold

    def use_best() -> None:
        st.session_state[CONFIDENCE_KEY] = best

    with st.container(horizontal=True, vertical_alignment="bottom", key="quality_confidence_row"):
        value = st.number_input(
            "False positives at a pre-label confidence of at least",
            min_value=0.0,
            max_value=1.0,
            value=0.0,
            step=0.05,
            format="%g",
            key=CONFIDENCE_KEY,
            width=320,
            help="0 counts every pre-label; above 0, the pre-labels the expert would still have had to fix had "
            "those below been dropped",
        )
        if best is not None:
            st.button(
                f"Use the {best_words(quality.best)}" if quality.best else "",
                type="tertiary",
                on_click=use_best,
                key="quality_use_best",
            )
    return float(value or 0.0)
