"""Uploaded label files, kept under the data folder so core services can read them as paths."""

from __future__ import annotations

import uuid
from pathlib import Path

from core.settings import get_settings


def saved_upload(upload) -> Path:
    """An st.file_uploader file written to data/uploads/<uuid>/<its name> (its name made safe)."""
    folder = get_settings().data_dir / "uploads" / uuid.uuid4().hex
    folder.mkdir(parents=True)
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in Path(upload.name).name).strip(".") or "upload"
    path = folder / safe
    path.write_bytes(upload.getvalue())
    return path
