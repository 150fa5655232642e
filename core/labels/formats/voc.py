"""Pascal VOC: a folder of XML files, one <annotation> per image (<filename>, <size>, an <object> per box with
<name> and a 1-based inclusive <bndbox>). Read: the file name, the size, each object's name, box and an optional
<score> or <confidence>. Ignored: <difficult>, <truncated>, <pose>, <occluded>, <part>s, <segmented>, <path>."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from core.domain.errors import BadInput
from core.labels.formats.common import TAG_SCHEMA, boxes_frame, images_frame, parse_xml
from core.labels.formats.parsed import Parsed
from core.labels.formats.xml_values import child_text, number, whole


def xml_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.xml") if not any(s.startswith(".") for s in p.relative_to(folder).parts))


def read(*, path: Path) -> Parsed:
    if not path.is_dir():
        raise BadInput(f"{path}: not a Pascal VOC folder (expected a folder of .xml files, one per image)")
    files = xml_files(path)
    if not files:
        raise BadInput(f"{path}: not a Pascal VOC folder: no .xml files in it")
    images, boxes, problems = [], [], []
    for file in files:
        try:
            image, file_boxes = _annotation(file)
        except BadInput as exc:
            problems += exc.problems
            if len(problems) > BadInput.MAX_SHOWN * 5:
                break
            continue
        images.append(image)
        boxes += file_boxes
    if problems:
        raise BadInput(problems)
    return Parsed(images=images_frame(images), boxes=boxes_frame(boxes), tags=pl.DataFrame(schema=TAG_SCHEMA))


def _annotation(file: Path) -> tuple[tuple, list[tuple]]:
    root = parse_xml(file)
    if root.tag != "annotation":
        raise BadInput(f"{file}: root element <{root.tag}>, expected <annotation> (Pascal VOC)")
    where = f"{file}: <annotation>"
    name = child_text(root, "filename", where)
    size = root.find("size")
    if size is None:
        raise BadInput(f"{where}: missing <size>")
    width = whole(child_text(size, "width", f"{where} <size>"), "<width>", f"{where} <size>")
    height = whole(child_text(size, "height", f"{where} <size>"), "<height>", f"{where} <size>")
    boxes = []
    for k, obj in enumerate(root.findall("object"), start=1):
        at = f"{file}: <object> {k}"
        label = child_text(obj, "name", at)
        box = obj.find("bndbox")
        if box is None:
            raise BadInput(f"{at} ({label!r}): missing <bndbox>")
        edges = {
            t: number(child_text(box, t, f"{at} <bndbox>"), f"<{t}>", f"{at} ({label!r})")
            for t in ("xmin", "ymin", "xmax", "ymax")
        }
        score_text = child_text(obj, "score", at, required=False) or child_text(obj, "confidence", at, required=False)
        score = number(score_text, "<score>", at) if score_text is not None else None
        # 1-based and inclusive: pixel columns xmin..xmax cover [xmin - 1, xmax) in px (as LabelImg, the VOC devkit,
        # supervision and our own export read and write it).
        boxes.append(
            (
                f"{at} ({label!r})",
                name,
                label,
                edges["xmin"] - 1,
                edges["ymin"] - 1,
                edges["xmax"] - edges["xmin"] + 1,
                edges["ymax"] - edges["ymin"] + 1,
                score,
            )
        )
    return (f"{file}: <annotation> {name!r}", name, width, height), boxes
