"""Writers and checks the label format import tests share (tests/store/test_label_formats_*.py,
test_storage_imports.py, and the import page and e2e tests): the standard detection job (tests/builders.py) written
as YOLO and Pascal VOC by an independent tool (supervision's DetectionDataset), as CVAT for images 1.1 and Label
Studio JSON after the formats' documented samples (neither tool's own writer installs without a server or heavy
dependencies: datumaro pins an older Pillow and pulls OpenCV, pandas and pyarrow; label-studio-converter pulls pandas
and nltk), the `written` fixture holding the job in every format, and the import-and-compare of Expert Review Stats."""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import numpy as np
import pytest

from core.analysis.stats import job_stats
from core.jobs import ingest
from tests.builders import ADMIN, CATEGORIES, EXPERT_ANNOTATIONS, IMAGES, PRE_RESULTS, write_detection_job, write_json

CLASSES = [c["name"] for c in CATEGORIES]


def class_name(category_id: int) -> str:
    return next(c["name"] for c in CATEGORIES if c["id"] == category_id)


def boxes_of(annotations: list[dict[str, Any]], image_id: int) -> list[dict[str, Any]]:
    return [a for a in annotations if a["image_id"] == image_id]


def write_with_supervision(root: Path, images_dir: Path, annotations: list[dict[str, Any]]) -> None:
    """YOLO (root/yolo/labels + data.yaml) and Pascal VOC (root/voc) written by supervision."""
    # Imported here, not at the top: supervision brings SciPy, ~0.8 s that every worker's collection would pay.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # supervision says it runs without OpenCV
        import supervision as sv

    detections = {}
    for image in IMAGES:
        rows = boxes_of(annotations, image["id"])
        xyxy = np.array([[x, y, x + w, y + h] for x, y, w, h in (a["bbox"] for a in rows)], dtype=float)
        detections[str(images_dir / image["file_name"])] = sv.Detections(
            xyxy=xyxy.reshape(-1, 4), class_id=np.array([a["category_id"] - 1 for a in rows], dtype=int)
        )
    dataset = sv.DetectionDataset(classes=CLASSES, images=list(detections), annotations=detections)
    dataset.as_yolo(
        annotations_directory_path=str(root / "yolo" / "labels"), data_yaml_path=str(root / "yolo" / "data.yaml")
    )
    dataset.as_pascal_voc(annotations_directory_path=str(root / "voc"))


def write_cvat(
    path: Path,
    *,
    boxes: dict[str, list[tuple]] | None = None,
    tags: dict[str, list[tuple]] | None = None,
    classes: list[str] = CLASSES,
    images: list[dict[str, Any]] = IMAGES,
    extra: str = "",
) -> Path:
    """CVAT for images 1.1 as CVAT's own export writes it (cvat/apps/dataset_manager/formats/cvat.py): <version>,
    <meta><task> with its <labels>, one <image id name width height> per frame holding <box label occluded source
    xtl ytl xbr ybr z_order> with <attribute>s and <tag label source>; plus a polygon, which the reader ignores.
    boxes: file name -> (label, x, y, w, h[, score]); tags: file name -> (label[, score])."""
    labels = "".join(
        f"<label><name>{n}</name><color>#33ddff</color><type>any</type><attributes/></label>" for n in classes
    )
    body = []
    for k, image in enumerate(images):
        name = image["file_name"]
        inner = []
        for label, x, y, w, h, *score in (boxes or {}).get(name, []):
            attributes = '<attribute name="visibility">full</attribute>' + (
                f'<attribute name="score">{score[0]}</attribute>' if score else ""
            )
            inner.append(
                f'<box label="{label}" source="manual" occluded="0" xtl="{x:.2f}" ytl="{y:.2f}" '
                f'xbr="{x + w:.2f}" ybr="{y + h:.2f}" z_order="0">{attributes}</box>'
            )
        for label, *score in (tags or {}).get(name, []):
            attributes = f'<attribute name="score">{score[0]}</attribute>' if score else ""
            inner.append(f'<tag label="{label}" source="manual">{attributes}</tag>')
        inner.append(
            f'<polygon label="{classes[0]}" source="manual" occluded="0" points="1.0,1.0;3.0,1.0;2.0,3.0" z_order="0"/>'
        )
        body.append(
            f'<image id="{k}" name={quoteattr(name)} width="{image["width"]}" height="{image["height"]}">'
            + "".join(inner)
            + "</image>"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<annotations><version>1.1</version><meta><task><id>7</id>'
        f"<name>street</name><size>{len(images)}</size><mode>annotation</mode><labels>{labels}</labels></task>"
        "<dumped>2026-11-29 16:00:00.000000+00:00</dumped></meta>" + "".join(body) + extra + "</annotations>",
        encoding="utf-8",
    )
    return path


def ls_rectangle(
    label: str, x: float, y: float, w: float, h: float, width: int, height: int, score: float | None = None
) -> dict[str, Any]:
    """A rectanglelabels result as Label Studio exports it: x, y, width, height in percent of the image."""
    result = {
        "id": f"r{label}{x}{y}",
        "type": "rectanglelabels",
        "from_name": "label",
        "to_name": "image",
        "original_width": width,
        "original_height": height,
        "image_rotation": 0,
        "value": {
            "x": 100 * x / width,
            "y": 100 * y / height,
            "width": 100 * w / width,
            "height": 100 * h / height,
            "rotation": 0,
            "rectanglelabels": [label],
        },
    }
    if score is not None:
        result["score"] = score
    return result


def ls_choice(label: str, score: float | None = None) -> dict[str, Any]:
    result = {
        "id": f"c{label}",
        "type": "choices",
        "from_name": "choice",
        "to_name": "image",
        "value": {"choices": [label]},
    }
    if score is not None:
        result["score"] = score
    return result


def ls_task(index: int, image: str, annotation: list | None, prediction: list | None) -> dict[str, Any]:
    """A task of Label Studio's JSON export, image uploaded through the UI (the /data/upload/<project>/<8 hex>-
    prefix Label Studio puts on uploads)."""
    task: dict[str, Any] = {
        "id": 100 + index,
        "data": {"image": f"/data/upload/3/{index:08x}-{image}"},
        "annotations": [],
        "predictions": [],
        "meta": {},
        "project": 3,
        "created_at": "2026-11-29T16:00:00.000000Z",
    }
    if annotation is not None:
        task["annotations"] = [
            {"id": 1, "result": [], "was_cancelled": True, "ground_truth": False},  # a skipped attempt: not read
            {
                "id": 2,
                "completed_by": 1,
                "result": annotation,
                "was_cancelled": False,
                "ground_truth": False,
                "lead_time": 12.5,
            },
        ]
    if prediction is not None:
        task["predictions"] = [{"id": 9, "model_version": "yolo-v1", "score": 0.5, "result": prediction}]
    return task


def write_label_studio(path: Path, *, expert: list[dict], pre: list[dict]) -> Path:
    """Expert boxes as each task's annotation, pre-label boxes as its prediction: one file for both."""
    tasks = []
    for k, image in enumerate(IMAGES):
        size = (image["width"], image["height"])
        tasks.append(
            ls_task(
                k,
                image["file_name"],
                [ls_rectangle(class_name(a["category_id"]), *a["bbox"], *size) for a in boxes_of(expert, image["id"])],
                [
                    ls_rectangle(class_name(a["category_id"]), *a["bbox"], *size, score=a.get("score"))
                    for a in boxes_of(pre, image["id"])
                ],
            )
        )
    return write_json(path, tasks)


def by_file(annotations: list[dict[str, Any]]) -> dict[str, list[tuple]]:
    names = {im["id"]: im["file_name"] for im in IMAGES}
    out: dict[str, list[tuple]] = {}
    for a in annotations:
        out.setdefault(names[a["image_id"]], []).append(
            (class_name(a["category_id"]), *a["bbox"], *([a["score"]] if "score" in a else []))
        )
    return out


@pytest.fixture
def written(tmp_path):
    """The standard job in COCO and in every format; returns {format: (expert, pre)} and the images folder."""
    files = write_detection_job(tmp_path / "job")
    write_with_supervision(tmp_path / "expert", files.images_dir, EXPERT_ANNOTATIONS)
    write_with_supervision(tmp_path / "pre", files.images_dir, PRE_RESULTS)
    ls = write_label_studio(tmp_path / "label_studio.json", expert=EXPERT_ANNOTATIONS, pre=PRE_RESULTS)
    paths = {
        "coco": (files.expert_path, files.pre_path),
        "yolo": (tmp_path / "expert" / "yolo", tmp_path / "pre" / "yolo"),
        "voc": (tmp_path / "expert" / "voc", tmp_path / "pre" / "voc"),
        "cvat": (
            write_cvat(tmp_path / "expert.xml", boxes=by_file(EXPERT_ANNOTATIONS)),
            write_cvat(tmp_path / "pre.xml", boxes=by_file(PRE_RESULTS)),
        ),
        "label_studio": (ls, ls),
    }
    return paths, files.images_dir


def comparable(stats: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in stats.items() if k not in ("job_id", "name")}


def _close(got: Any, expected: Any) -> bool:
    if isinstance(expected, dict):
        assert isinstance(got, dict) and set(comparable(got)) == set(comparable(expected)), (got, expected)
        return all(_close(got[k], expected[k]) for k in comparable(expected))
    if isinstance(expected, float) and isinstance(got, (int, float)):
        assert math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-9), (got, expected)
        return True
    assert got == expected
    return True


def imported_stats(engine, *, name: str, images_dir: Path, expert: Path, pre: Path, **kwargs) -> dict[str, Any]:
    job = ingest.import_detection(
        engine=engine, name=name, images_dir=images_dir, expert_path=expert, pre_path=pre, actor=ADMIN, **kwargs
    )
    return job_stats(engine=engine, job_id=job.id)
