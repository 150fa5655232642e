"""Helpers of the export tests (tests/store/test_exports*.py): a ResultSet made from accepted results, the boxes
an export should hold, a download's bytes, a zip unpacked, and a supervision dataset read back as file → boxes."""

from __future__ import annotations

import io
import warnings
import zipfile
from pathlib import Path

from core.exports import build_download
from core.review.resultsets import create_resultset
from tests.builders import ADMIN, as_admin
from tests.resultset_builders import FINAL_LABELS, accept

with warnings.catch_warnings():  # it falls back to NumPy without opencv-python; its readers need neither
    warnings.filterwarnings("ignore", message="OpenCV", category=UserWarning)
    import supervision as sv


def make_resultset(engine, job, accepted, name="rs"):
    accept(engine, accepted)
    return create_resultset(engine=engine, job_id=job.id, name=name, actor=as_admin("lead"))


def expected_boxes(ids, accepted) -> dict[str, list[tuple[str, tuple]]]:
    """file → [(class, (x, y, w, h))] of the accepted results that have a box, in result order."""
    out: dict[str, list] = {}
    for rid, (file, class_name, box) in zip(ids, FINAL_LABELS):
        if rid in accepted and class_name is not None:
            out.setdefault(file, []).append((class_name, box))
    return out


def download(engine, resultset, fmt, *, include_partial=False) -> bytes:
    return build_download(
        actor=ADMIN, engine=engine, resultset_id=resultset.id, format=fmt, include_partial=include_partial
    ).data


def unzip(data: bytes, into: Path) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extractall(into)
        return {name: archive.read(name).decode() for name in archive.namelist()}


def read_back(dataset: sv.DetectionDataset, classes: list[str]) -> dict[str, list[tuple[str, tuple]]]:
    """file → [(class, (x, y, w, h))] from a supervision dataset (xyxy in px)."""
    out = {}
    for path, detections in dataset.annotations.items():
        if len(detections):
            out[Path(path).name] = [
                (classes[c], (x0, y0, x1 - x0, y1 - y0))
                for (x0, y0, x1, y1), c in zip(detections.xyxy.tolist(), detections.class_id.tolist())
            ]
    return out
