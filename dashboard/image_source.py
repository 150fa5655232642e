"""Where a new job's images are, as the New manual label job and Import finished job pages ask it: a folder under the
data root, a bucket prefix (read with the server's own credentials), or an uploaded zip; and that choice made into an
image root."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import streamlit as st

from core.domain.errors import BadInput
from core.files.import_sources import bucket_prefix
from core.files.uploads import discard_upload, extract_image_zip
from core.jobs import manual as manual_jobs
from core.settings import get_settings
from core.storage import Root
from dashboard.text import md

LabelVisibility = Literal["visible", "hidden", "collapsed"]
FOLDER, BUCKET, ZIP = "A folder under the data root", "A bucket prefix", "Upload a zip"
# The zip extracted for this session (its upload's id, the folder): one extraction however often it is checked.
_EXTRACTED = "extracted_image_zip"


@dataclass(frozen=True)
class ImageSource:
    how: str
    text: str = ""  # the folder or the bucket prefix typed
    upload_id: str = ""
    upload: Any = field(default=None, compare=False, repr=False)


def image_source_ui(
    key: str, *, other_choices: tuple[str, ...] = (), label_visibility: LabelVisibility = "visible"
) -> ImageSource:
    """The choice of images, widget keys starting with `key`. `other_choices` come first, for the page to handle
    (ImageSource(how=that choice): image_root does not know them)."""
    how = st.radio(
        "Images",
        [*other_choices, FOLDER, BUCKET, ZIP],
        horizontal=True,
        key=f"{key}_images",
        label_visibility=label_visibility,
    )
    if how in other_choices:
        return ImageSource(how=how)
    if how == BUCKET:
        bucket = st.text_input(
            "Bucket prefix",
            key=f"{key}_bucket",
            placeholder="s3://bucket/prefix",
            help="Every image under this prefix, read with the server's own credentials "
            "(environment, profile or instance role); never put credentials in the URL",
        )
        return ImageSource(how=how, text=bucket.strip())
    if how == FOLDER:
        data_dir = get_settings().data_dir
        found = [str(f.relative_to(data_dir)) for f in manual_jobs.image_folders_in_data_dir()]
        folder = st.selectbox(
            "Folder",
            found,
            key=f"{key}_folder",
            accept_new_options=True,
            index=None,
            placeholder="Choose or type a folder",
            help=f"A folder of images under {md(data_dir)}; type another path relative to it",
        )
        return ImageSource(how=how, text=(folder or "").strip())
    upload = st.file_uploader("Images (zip)", type=["zip"], key=f"{key}_zip")
    return ImageSource(how=how, upload_id=upload.file_id if upload else "", upload=upload)


def image_root(source: ImageSource) -> Root:
    """The image root the source names; an uploaded zip extracted under data/uploads/ once (BadInput as the zip
    upload's rules say)."""
    if source.how == BUCKET:
        return bucket_prefix(source.text)
    if source.how == FOLDER:
        if not source.text:
            raise BadInput("images: choose a folder under the data root")
        return manual_jobs.data_folder(source.text)
    if source.how != ZIP:
        raise ValueError(f"images from {source.how!r}: not a choice of image_source_ui's own")
    if source.upload is None:
        raise BadInput("images: upload a zip of the images")
    extracted = st.session_state.get(_EXTRACTED)
    if extracted and extracted[0] == source.upload_id and extracted[1].is_dir():
        return extracted[1]
    forget_extracted_zip(discard=True)
    folder = extract_image_zip(source.upload, label=source.upload.name)
    st.session_state[_EXTRACTED] = (source.upload_id, folder)
    return folder


def forget_extracted_zip(*, discard: bool) -> None:
    """Forget the session's extracted zip: removed when no job was made of it (`discard`), kept when it is a job's
    image root now."""
    extracted: tuple[str, Path] | None = st.session_state.pop(_EXTRACTED, None)
    if extracted and discard:
        discard_upload(extracted[1])
