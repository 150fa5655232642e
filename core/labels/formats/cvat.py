"""CVAT for images 1.1: one XML file, <annotations> with an <image name= width= height=> per image holding
<box label= xtl= ytl= xbr= ybr=> (px, top-left and bottom-right corners) and <tag label=> (a class of the whole
image). The class list is <meta>'s labels when it has them. An <attribute name="score"> (or "confidence") on a box
or tag is its confidence. Ignored: <polygon>, <polyline>, <points>, <mask>, <ellipse>, <cuboid>, <skeleton>,
<track>s (video), other attributes, occluded and z_order. A rotated box (rotation other than 0) is refused: its
corners are not the box's."""

from __future__ import annotations

from pathlib import Path

from core.domain.errors import BadInput
from core.labels.formats.common import boxes_frame, images_frame, parse_xml, read_each, tags_frame
from core.labels.formats.parsed import Parsed
from core.labels.formats.xml_values import attribute, number, whole

SCORE_ATTRIBUTES = ("score", "confidence")


def read(*, path: Path) -> Parsed:
    if not path.is_file():
        raise BadInput(f"{path}: not a CVAT for images XML file")
    root = parse_xml(path)
    if root.tag != "annotations":
        raise BadInput(f"{path}: root element <{root.tag}>, expected <annotations> (CVAT for images 1.1)")
    labels = [n.text.strip() for n in root.iterfind("meta/*/labels/label/name") if n.text and n.text.strip()]
    images: list[tuple] = []
    boxes: list[tuple] = []
    tags: list[tuple] = []
    read_each(enumerate(root.iterfind("image"), start=1), lambda k, image: _image(path, k, image, images, boxes, tags))
    return Parsed(
        images=images_frame(images),
        boxes=boxes_frame(boxes),
        tags=tags_frame(tags),
        classes=list(dict.fromkeys(labels)) or None,
        class_source=f"{path.name} <meta> labels",
    )


def _image(path: Path, k: int, image, images: list, boxes: list, tags: list) -> None:
    ident = image.get("id")
    where = f"{path}: <image> {k}" + (f" (id {ident})" if ident is not None else "")
    name = attribute(image, "name", where)
    where = f"{where} {name!r}"
    width = whole(attribute(image, "width", where), "width", where)
    height = whole(attribute(image, "height", where), "height", where)
    images.append((where, name, width, height))
    for j, box in enumerate(image.iterfind("box"), start=1):
        at = f"{where} <box> {j}"
        label = attribute(box, "label", at)
        at = f"{at} ({label!r})"
        if number(box.get("rotation", "0"), "rotation", at) != 0:
            raise BadInput(f"{at}: rotation {box.get('rotation')}: rotated boxes are not supported")
        xtl, ytl, xbr, ybr = (number(attribute(box, a, at), a, at) for a in ("xtl", "ytl", "xbr", "ybr"))
        boxes.append((at, name, label, xtl, ytl, xbr - xtl, ybr - ytl, _score(box, at)))
    for j, tag in enumerate(image.iterfind("tag"), start=1):
        at = f"{where} <tag> {j}"
        tags.append((at, name, attribute(tag, "label", at), _score(tag, at)))


def _score(element, where: str) -> float | None:
    for attribute_element in element.iterfind("attribute"):
        if attribute_element.get("name", "").strip().lower() in SCORE_ATTRIBUTES:
            return number(attribute_element.text, f"attribute {attribute_element.get('name')!r}", where)
    return None
