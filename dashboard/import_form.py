"""The Import finished job page's form: the task, the job name, the image root, the expert labels and pre-labels (or
a classification CSV), the classes and the IoU threshold. It only collects the choices (ImportInputs, comparable, so
a check stays valid only for the inputs it checked); dashboard/import_check.py reads them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from core.domain.vocabulary import Task
from core.labels.formats import FORMAT_NAMES
from dashboard.image_source import ImageSource, image_source_ui

DETECTION, CLASSIFICATION = Task.DETECTION.value, Task.CLASSIFICATION.value
UPLOAD, SERVER = "Upload", "A path under the data root"
FROM_CSV, FROM_LABEL_FILES = "A CSV", "Expert labels and pre-labels (CVAT tags or Label Studio choices)"
AUTO = "auto"
CLASSIFICATION_FORMATS = (AUTO, "cvat", "label_studio")


@dataclass(frozen=True)
class LabelSource:
    """Label files as chosen: uploaded (`upload`, compared by its id) or a path under the data root (`path`), and
    their format (None: told from the files)."""

    what: str
    path: str = ""
    upload_id: str = ""
    fmt: str | None = None
    upload: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class ImportInputs:
    task: str
    name: str
    images: ImageSource
    expert: LabelSource | None = None
    pre: LabelSource | None = None
    csv: LabelSource | None = None
    classes: tuple[str, ...] = ()
    iou: float = 0.5


def import_form_ui() -> ImportInputs:
    task = st.segmented_control(
        "Task",
        [DETECTION, CLASSIFICATION],
        default=DETECTION,
        key="import_task",
        format_func=str.capitalize,
        required=True,
    )
    name = st.text_input(
        "Job name",
        key="import_name",
        placeholder="e.g. street-scenes-v3",
        help="A job of this name already there can be replaced, after a confirmation",
    )
    st.subheader("Images", anchor=False)
    images = image_source_ui("import", label_visibility="collapsed")  # under the Images heading
    st.subheader("Labels", anchor=False)
    expert = pre = csv = None
    if (
        task == CLASSIFICATION
        and st.radio("Labels from", [FROM_CSV, FROM_LABEL_FILES], horizontal=True, key="import_labels_from") == FROM_CSV
    ):
        csv = label_source_ui(
            "Labels CSV",
            key="import_csv",
            types=["csv"],
            formats=None,
            help="file_path,pre_label,expert_label[,confidence]; paths relative to the images",
        )
    else:
        formats = (AUTO, *FORMAT_NAMES) if task == DETECTION else CLASSIFICATION_FORMATS
        expert_column, pre_column = st.columns(2, gap="large")
        with expert_column:
            expert = label_source_ui(
                "Expert labels", key="import_expert", types=["json", "xml", "zip"], formats=formats
            )
        with pre_column:
            pre = label_source_ui("Pre-labels", key="import_pre", types=["json", "xml", "zip"], formats=formats)
    classes = st.text_input(
        "Classes (optional)",
        key="import_classes",
        placeholder="cat, dog, bird",
        help="The label spec's classes, comma-separated: needed by formats that do not list their own (Pascal VOC, "
        "Label Studio, CVAT without labels in <meta>); a label outside the list is an error",
    )
    iou = 0.5
    if task == DETECTION:
        iou = st.number_input("IoU threshold for matching expert and pre boxes", 0.05, 1.0, 0.5, 0.05, key="import_iou")
    return ImportInputs(
        task=task,
        name=name.strip(),
        images=images,
        expert=expert,
        pre=pre,
        csv=csv,
        classes=tuple(dict.fromkeys(c.strip() for c in classes.split(",") if c.strip())),
        iou=float(iou),
    )


def label_source_ui(
    what: str, *, key: str, types: list[str], formats: tuple[str, ...] | None, help: str | None = None
) -> LabelSource:
    """One set of label files: an upload (YOLO and Pascal VOC folders as a zip) or a path under the data root, and
    its format."""
    st.markdown(f"**{what}**")
    how = st.radio(what, [UPLOAD, SERVER], horizontal=True, key=f"{key}_how", label_visibility="collapsed")
    if how == SERVER:
        path = st.text_input(
            f"{what}: path",
            key=f"{key}_path",
            help=help or ("A file, or a folder (YOLO, Pascal VOC), relative to the data folder"),
            placeholder="labels/expert.json",
        )
        source = LabelSource(what=what, path=path.strip())
    else:
        upload = st.file_uploader(
            what,
            type=types,
            key=f"{key}_file",
            label_visibility="collapsed",
            help=help or "A YOLO or Pascal VOC folder goes in as a zip of the folder",
        )
        source = LabelSource(what=what, upload_id=upload.file_id if upload else "", upload=upload)
    if formats is None:
        return source
    fmt = st.selectbox(
        f"{what}: format",
        formats,
        key=f"{key}_format",
        format_func=lambda f: "Auto (told from the files)" if f == AUTO else FORMAT_NAMES[f],
    )
    return LabelSource(
        what=source.what,
        path=source.path,
        upload_id=source.upload_id,
        upload=source.upload,
        fmt=None if fmt == AUTO else fmt,
    )
