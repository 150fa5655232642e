"""Label Studio's JSON export: a list of tasks, each `{"data": {"image": ...}, "annotations": [...],
"predictions": [...]}` whose `result` lists hold `rectanglelabels` (x, y, width, height in percent of the image,
with original_width and original_height in px) and `choices` (a class of the whole image).

Expert labels are a task's annotation (the one marked ground_truth, else the last one not cancelled); pre-labels
its prediction (the last one), or, when no task of the file has a prediction, its annotation as for expert labels.
A result's `score`, else its prediction's, is the confidence. Ignored: every other result type (polygons,
keypoints, brushes, ellipses, text, relations). A rotated rectangle is refused: its corners are not the box's.

Image paths: Label Studio rewrites them, so `data.image` is taken apart: `/data/local-files/?d=PATH` gives PATH,
`/data/upload/N/NAME` gives NAME without the `1a2b3c4d-` prefix Label Studio adds to uploads (NAME as it is, too),
`s3://bucket/KEY`, `gs://bucket/KEY`, `azure-blob://container/KEY` and `http(s)://host/PATH` give KEY or PATH; any
other value is a path relative to the image root. Of such a path and its tails (a/b/c.jpg, b/c.jpg, c.jpg) the first that names an image under the image root (for
pre-labels: an expert image) is the image; if none does, the whole path is, and the image check says it is missing.
A plain or local-files path that is absolute or holds `..` is refused, as in COCO, not cut down to a tail.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from core.domain.errors import BadInput
from core.files.paths import unsafe_reason
from core.labels.formats.common import boxes_frame, images_frame, read_each, tags_frame
from core.labels.formats.parsed import ImageNames, Parsed
from core.labels.formats.xml_values import number
from core.labels.label_files import read_json

UPLOAD_PREFIX = re.compile(r"^[0-9a-f]{8}-(.+)$")
STORAGE_SCHEMES = ("s3", "gs", "gcs", "azure-blob", "http", "https")


def candidate_paths(value: str) -> list[str]:
    """What a Label Studio image reference may be named under the image root, most specific first."""
    parts = urlsplit(value)
    if parts.path.startswith("/data/local-files/"):
        paths = [parse_qs(parts.query).get("d", [""])[0]]
        if unsafe_reason(paths[0]):  # refused as it is (the image check names it), never cut down to a safe tail
            return paths
    elif parts.path.startswith("/data/upload/"):
        name = unquote(parts.path.removeprefix("/data/upload/").split("/", 1)[-1])
        stripped = UPLOAD_PREFIX.match(name.rsplit("/", 1)[-1])
        paths = ([name[: len(name) - len(stripped.group(0))] + stripped.group(1)] if stripped else []) + [name]
    elif parts.scheme in STORAGE_SCHEMES:
        paths = [unquote(parts.path).lstrip("/")]
    else:
        paths = [value]
        if unsafe_reason(value):
            return paths
    tails = []
    for path in paths:
        pieces = [p for p in path.replace("\\", "/").split("/") if p]
        tails += ["/".join(pieces[i:]) for i in range(len(pieces))]
    return list(dict.fromkeys(paths + tails)) or [value]


def read(*, path: Path, role: str, image_names: ImageNames) -> Parsed:
    tasks = read_json(path)
    if not isinstance(tasks, list):
        raise BadInput(f"{path}: expected a Label Studio JSON export (a list of tasks), got {type(tasks).__name__}")
    use_predictions = role == "pre" and any(isinstance(t, dict) and t.get("predictions") for t in tasks)
    images: list[tuple] = []
    boxes: list[tuple] = []
    tags: list[tuple] = []
    read_each(
        enumerate(tasks),
        lambda index, task: _task(path, index, task, use_predictions, image_names, images, boxes, tags),
    )
    return Parsed(images=images_frame(images), boxes=boxes_frame(boxes), tags=tags_frame(tags), normalized=True)


def _task(
    path: Path,
    index: int,
    task: Any,
    use_predictions: bool,
    image_names: ImageNames,
    images: list,
    boxes: list,
    tags: list,
) -> None:
    where = f"{path}: task {index}"
    if not isinstance(task, dict):
        raise BadInput(f"{where}: expected an object, got {type(task).__name__}")
    if task.get("id") is not None:
        where += f" (id {task['id']})"
    data = task.get("data")
    reference = data.get("image") if isinstance(data, dict) else None
    if not isinstance(reference, str) or not reference.strip():
        keys = ", ".join(map(str, data)) if isinstance(data, dict) else "none"
        raise BadInput(f"{where}: no image path in data.image (data keys: {keys})")
    candidates = candidate_paths(reference.strip())
    name = next((c for c in candidates if c in image_names.as_set), candidates[0])
    where += f" {name!r}"
    section, chosen = _chosen(task, use_predictions, where)
    sizes: set[tuple[int, int]] = set()
    results = chosen.get("result", []) if chosen is not None else []
    if not isinstance(results, list):
        raise BadInput(f"{where}: {section}.result: expected a list")
    for j, result in enumerate(results):
        at = f"{where} {section} result {j}"
        if not isinstance(result, dict):
            raise BadInput(f"{at}: expected an object")
        kind, value = result.get("type"), result.get("value")
        if kind not in ("rectanglelabels", "choices"):
            continue
        if not isinstance(value, dict):
            raise BadInput(f"{at}: missing 'value'")
        if result.get("original_width") is not None or result.get("original_height") is not None:
            sizes.add((_size(result, "original_width", at), _size(result, "original_height", at)))
        score = result.get("score", chosen.get("score") if chosen is not None else None)  # None: no results
        score = number(str(score), "score", at) if score is not None else None
        if kind == "choices":
            for label in _labels(value, "choices", at):
                tags.append((at, name, label, score))
            continue
        if number(str(value.get("rotation", 0)), "rotation", at) != 0:
            raise BadInput(f"{at}: rotation {value.get('rotation')}: rotated rectangles are not supported")
        labels = _labels(value, "rectanglelabels", at)
        if len(labels) != 1:
            raise BadInput(f"{at}: a rectangle needs exactly one label, got {len(labels)}")
        x, y, w, h = (
            number(None if value.get(k) is None else str(value[k]), k, at) / 100 for k in ("x", "y", "width", "height")
        )
        boxes.append((f"{at} ({labels[0]!r})", name, labels[0], x, y, w, h, score))
    if len(sizes) > 1:
        raise BadInput(
            f"{where}: its results give different image sizes: {', '.join(f'{w}x{h}' for w, h in sorted(sizes))}"
        )
    width, height = next(iter(sizes), (None, None))
    images.append((where, name, width, height))


def _chosen(task: dict, use_predictions: bool, where: str) -> tuple[str, dict | None]:
    section = "predictions" if use_predictions else "annotations"
    entries = task.get(section) or []
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise BadInput(f"{where}: '{section}' must be a list of objects")
    if use_predictions:
        return "prediction", entries[-1] if entries else None
    kept = [e for e in entries if not e.get("was_cancelled")]
    truth = [e for e in kept if e.get("ground_truth")]
    return "annotation", (truth or kept or [None])[-1]


def _labels(value: dict, key: str, where: str) -> list[str]:
    labels = value.get(key)
    if not isinstance(labels, list) or not all(isinstance(v, str) and v.strip() for v in labels):
        raise BadInput(f"{where}: '{key}' must be a list of class names")
    return [v.strip() for v in labels]


def _size(result: dict, key: str, where: str) -> int:
    value = result.get(key)
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value != int(value) or value <= 0:
        raise BadInput(f"{where}: {key} must be a positive whole number of px, got {value!r}")
    return int(value)
