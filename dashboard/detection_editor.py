"""streamlit-image-annotation's box editor, called with the label spec's own class colours (the package picks
colours from a matplotlib colormap, which drew Car red and Person yellow while every other view uses the spec's,
and red means "removed" there) and with the image as a JPEG drawn once and served by a signed URL (the package
encodes a PNG on every run, several times slower to make and to send), turned as displayed: the orientation the
boxes refer to (core/images/orientation.py). Same component, same arguments otherwise; see the package's
Detection/__init__.py."""

from __future__ import annotations

from pathlib import Path

from streamlit_image_annotation.Detection import _component_func

from core.images.editor_image import editor_image
from dashboard.media import file_url


def detection_editor(
    *,
    image_path: Path,
    label_list: list[str],
    colors: list[str],
    bboxes: list[list[float]],
    labels: list[int],
    width: int,
    height: int,
    line_width: float,
    key: str,
) -> list[dict] | None:
    """The boxes the expert completed ([{"bbox": [x, y, w, h] in image px, "label_id", "label"}]), or None until
    Complete is pressed. colors: one per entry of label_list."""
    image = editor_image(image_path, fit=(width, height))
    scale = image.scale
    bbox_info = [
        {"bbox": [v / scale for v in box], "label_id": label, "label": label_list[label]}
        for box, label in zip(bboxes, labels)
    ]
    value = _component_func(
        image_url="/" + file_url(image.path),  # the component drops the first character, taking it for a "/"
        image_size=image.size,
        label_list=label_list,
        bbox_info=bbox_info,
        color_map=dict(zip(label_list, colors)),
        line_width=line_width,
        use_space=False,
        key=key,
    )
    if value is None:
        return None
    return [
        {"bbox": [v * scale for v in item["bbox"]], "label_id": item["label_id"], "label": item["label"]}
        for item in value
    ]
