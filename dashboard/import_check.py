"""Check: the import drafted from the form's inputs (every label read, every image file checked, boxes matched),
nothing written; then a report of what the import would make, or of every problem found. The check is kept for the
session with the inputs it checked: Import acts on it while the inputs stay the same."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from core.auth.access import Actor
from core.domain.errors import BadInput, NotFound
from core.domain.plural import plural
from core.files.import_sources import data_path, extracted_label_zip, label_uploads, shown_names
from core.jobs import ingest
from core.jobs.draft import JobDraft
from core.jobs.saving import stored_image_root
from core.jobs.summaries import JobSummary, list_jobs
from core.labels.import_report import DraftReport, draft_report
from core.storage import StorageError
from dashboard.image_source import image_root
from dashboard.import_form import CLASSIFICATION, ImportInputs, LabelSource
from dashboard.store import engine
from dashboard.text import md
from dashboard.uploads import saved_upload

CHECKED = "import_checked"
MAX_PROBLEMS_SHOWN = 1_000

Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class Checked:
    inputs: ImportInputs
    draft: JobDraft | None = None
    report: DraftReport | None = None
    problems: tuple[str, ...] = ()
    existing: JobSummary | None = None  # a job of that name, replaced by the import when the user confirms


def checked_import(inputs: ImportInputs) -> Checked | None:
    """The session's last check, when it checked these inputs."""
    checked: Checked | None = st.session_state.get(CHECKED)
    return checked if checked is not None and checked.inputs == inputs else None


def check_ui(inputs: ImportInputs, user: Actor) -> Checked | None:
    """The Check button and the report of the last check of these inputs; returns that check."""
    st.caption("Check reads every label, checks every image file and matches the boxes; nothing is written.")
    if st.button("Check", key="import_check_button", icon=":material/fact_check:"):
        bar = st.progress(0.0, text="Checking…")
        st.session_state[CHECKED] = run_check(
            inputs,
            user,
            progress=lambda stage, fraction: bar.progress(min(fraction / 0.45, 1.0), text=md(stage.capitalize())),
        )
        bar.empty()
    checked = checked_import(inputs)
    if checked is None:
        if st.session_state.get(CHECKED) is not None:
            st.caption(":material/edit: The inputs changed since the last check: check again before importing.")
        return None
    report_ui(checked)
    return checked


def run_check(inputs: ImportInputs, user: Actor, *, progress: Progress) -> Checked:
    names: dict[Path, str] = {}
    with label_uploads() as made:
        try:
            if not inputs.name:
                raise BadInput("job name: a job needs a name")
            progress("finding the images", 0.0)
            images_dir = image_root(inputs.images)
            label = lambda source: _label_path(source, made, names, progress)  # noqa: E731
            common = dict(
                engine=engine(),
                name=inputs.name,
                images_dir=images_dir,
                replace=True,
                actor=user,
                progress=progress,
                classes=list(inputs.classes) or None,
            )
            if inputs.task == CLASSIFICATION and inputs.csv is not None:
                draft = ingest.draft_classification(**common, csv_path=label(inputs.csv))
            elif inputs.task == CLASSIFICATION:
                draft = ingest.draft_classification(
                    **common,
                    expert_path=label(inputs.expert),
                    pre_path=label(inputs.pre),
                    expert_format=inputs.expert.fmt,
                    pre_format=inputs.pre.fmt,
                )
            else:
                draft = ingest.draft_detection(
                    **common,
                    expert_path=label(inputs.expert),
                    pre_path=label(inputs.pre),
                    iou_threshold=inputs.iou,
                    expert_format=inputs.expert.fmt,
                    pre_format=inputs.pre.fmt,
                )
        except (BadInput, NotFound, StorageError) as problem:
            found = problem.problems if isinstance(problem, BadInput) else [str(problem)]
            return Checked(inputs=inputs, problems=tuple(shown_names(found, names)))
    pre = inputs.csv or inputs.pre
    if pre.upload is not None:  # the name uploaded, not the one it was saved under
        draft = dataclasses.replace(draft, pre_label_source=f"import: {pre.upload.name}")
    return Checked(inputs=inputs, draft=draft, report=draft_report(draft), existing=_job_named(inputs.name))


def _label_path(source: LabelSource, made: list[Path], names: dict[Path, str], progress: Progress) -> Path:
    if source.upload is None and not source.path:
        raise BadInput(f"{source.what.lower()}: upload a file or name a path under the data root")
    if source.upload is None:
        return data_path(source.path, what=source.what.lower())
    if source.upload.name.lower().endswith(".zip"):
        progress(f"extracting {source.upload.name}", 0.0)
        path = extracted_label_zip(source.upload, label=source.upload.name)
    else:
        path = saved_upload(source.upload)
    made.append(path)
    names[path] = source.upload.name
    return path


def _job_named(name: str) -> JobSummary | None:
    return next((j for j in list_jobs(engine=engine(), name_contains=name) if j.name == name), None)


def report_ui(checked: Checked) -> None:
    if checked.problems:
        count = len(checked.problems)
        st.error(
            f"Check failed: {count:,} problem{'s' if count != 1 else ''} found. Nothing was written; fix the "
            "files and check again.",
            icon=":material/error:",
        )
        shown = checked.problems[:MAX_PROBLEMS_SHOWN]
        more = count - len(shown)
        st.code(
            "\n".join(shown) + (f"\n… and {more:,} more" if more > 0 else ""),
            language=None,
            height=min(40 + 22 * len(shown), 400),
            wrap_lines=True,
        )
        return
    report = checked.report
    st.success(
        f"Check passed: {md(checked.inputs.name)} would have {plural(report.images, 'image')}, {report.results:,} "
        f"results and {plural(len(report.classes), 'class')}. Nothing is written until you import.",
        icon=":material/check_circle:",
    )
    kinds = " · ".join(f"{kind} {n:,}" for kind, n in report.change_kinds.items())
    st.markdown(
        f"**Class Changed** {report.class_changed:,} of {plural(report.results, 'result')} "
        f"({report.class_changed_share:.1%}) · {kinds}"
    )
    draft = checked.draft
    st.caption(
        f"Classes: {md(', '.join(report.classes))} · images from "
        f"{md(stored_image_root(draft.images_dir))} · pre-labels: {md(draft.pre_label_source)}"
    )
    st.dataframe(
        report.class_changed_by_class,
        hide_index=True,
        key="import_class_changed",
        width="content",
        column_config={"class": "Expert Review Class"},
    )
