"""Which label format a path holds, from the files themselves; or a check that it holds the one named."""

from __future__ import annotations

import re
from pathlib import Path

from core.domain.errors import BadInput
from core.files.paths import regular_file
from core.labels.formats import voc, yolo

FORMATS = ("coco", "yolo", "voc", "cvat", "label_studio")
FORMAT_NAMES = {
    "coco": "COCO",
    "yolo": "YOLO",
    "voc": "Pascal VOC",
    "cvat": "CVAT for images 1.1",
    "label_studio": "Label Studio JSON",
}
_PEEK_BYTES = 1 << 16
_FIRST_KEY = re.compile(rb"\"(image_id|data)\"\s*:")
_ROOT_TAG = re.compile(rb"<([A-Za-z_][\w.-]*)[\s/>]")


def detect_format(path: Path) -> str:
    """coco (a JSON object, or a list of detections with image_id), label_studio (a JSON list of tasks with data),
    cvat (an XML file with an <annotations> root), voc (a folder of XML files with an <annotation> root) or yolo (a
    folder of .txt label files with data.yaml or classes.txt near it). A file that is none of these is read as COCO,
    whose reader names what is wrong with it."""
    if path.is_dir():
        if yolo.class_file(path) is not None and yolo.label_files(yolo.labels_folder(path)):
            return "yolo"
        xml = voc.xml_files(path)
        if xml and _root_tag(xml[0]) == "annotation":
            return "voc"
        raise BadInput(
            f"{path}: cannot tell the label format of this folder (neither YOLO: .txt files with "
            "data.yaml or classes.txt, nor Pascal VOC: .xml files with <annotation>); name it with --format"
        )
    if path.name in yolo.CLASS_FILES:
        return "yolo"
    head = _head(path)
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"{"):
        return "coco"
    if text.startswith(b"["):
        first = _FIRST_KEY.search(text)
        return "label_studio" if first and first.group(1) == b"data" else "coco"
    if text.startswith(b"<"):
        if _root_tag(path) == "annotations":
            return "cvat"
        raise BadInput(
            f"{path}: an XML file but not CVAT for images (its root is not <annotations>); a Pascal VOC "
            "import takes the folder of its XML files"
        )
    # Neither JSON nor XML: read as COCO, the format before there were others, whose reader says what is wrong.
    return "coco"


def _head(path: Path) -> bytes:
    try:
        with regular_file(path).open("rb") as f:
            return f.read(_PEEK_BYTES)
    except FileNotFoundError:
        raise BadInput(f"{path}: file not found") from None
    except IsADirectoryError:
        raise BadInput(f"{path}: a folder, not a label file") from None
    except ValueError as exc:
        raise BadInput(f"{path}: cannot be read: {exc}") from None
    except OSError as exc:
        raise BadInput(f"{path}: cannot be read ({exc.strerror})") from None


def _root_tag(path: Path) -> str | None:
    """The first element's tag, past the XML declaration, comments and any DOCTYPE."""
    head = re.sub(rb"<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>", b"", _head(path), flags=re.S)
    match = _ROOT_TAG.search(head)
    return match.group(1).decode("ascii", "replace") if match else None
