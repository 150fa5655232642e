"""The standard detection job (tests/builders.py) written in each label format (tests/store/label_format_helpers.py)
imports to the same Expert Review Stats as its COCO import, formats mixed between expert and pre-labels too; pre-label
confidences come from YOLO's sixth column and the CVAT and Label Studio scores; YOLO reads Ultralytics' layout and,
without the image check, the image sizes from the image headers."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from core.jobs import ingest
from core.labels.formats import detect_format
from tests.builders import ADMIN, IMAGES, PRE_RESULTS
from tests.store.label_format_helpers import _close, boxes_of, imported_stats, written  # noqa: F401  (the fixture)


@pytest.mark.parametrize("fmt", ["yolo", "voc", "cvat", "label_studio"])
def test_each_format_imports_to_the_stats_of_its_coco_import(engine, written, fmt):
    paths, images_dir = written
    expected = imported_stats(engine, name="coco", images_dir=images_dir, expert=paths["coco"][0], pre=paths["coco"][1])
    expert, pre = paths[fmt]
    assert detect_format(expert) == fmt and detect_format(pre) == fmt
    _close(imported_stats(engine, name=fmt, images_dir=images_dir, expert=expert, pre=pre), expected)
    named = imported_stats(
        engine, name=f"{fmt} named", images_dir=images_dir, expert=expert, pre=pre, expert_format=fmt, pre_format=fmt
    )
    _close(named, expected)


def test_formats_mix_cvat_expert_labels_with_yolo_pre_labels(engine, written):
    paths, images_dir = written
    expected = imported_stats(engine, name="coco", images_dir=images_dir, expert=paths["coco"][0], pre=paths["coco"][1])
    _close(
        imported_stats(engine, name="mixed", images_dir=images_dir, expert=paths["cvat"][0], pre=paths["yolo"][1]),
        expected,
    )
    _close(
        imported_stats(
            engine, name="mixed too", images_dir=images_dir, expert=paths["label_studio"][0], pre=paths["voc"][1]
        ),
        expected,
    )


def pre_confidences(engine, job_id: int) -> list[float | None]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                text("SELECT pre_confidence FROM result WHERE job_id = :j ORDER BY id"), {"j": job_id}
            ).scalars()
        )


def test_pre_label_confidences_come_from_yolo_s_sixth_column_cvat_and_label_studio_scores(engine, written, tmp_path):
    paths, images_dir = written
    coco = ingest.import_detection(
        engine=engine,
        name="coco",
        images_dir=images_dir,
        expert_path=paths["coco"][0],
        pre_path=paths["coco"][1],
        actor=ADMIN,
    )
    expected = pre_confidences(engine, coco.id)
    assert expected == pytest.approx([0.9, 0.8, 0.7, None, 0.5, 0.6])
    labels = tmp_path / "pre" / "yolo" / "labels"
    for image in IMAGES:  # supervision writes no confidence: append each pre box's score as Ultralytics does
        lines = (labels / f"{Path(image['file_name']).stem}.txt").read_text().splitlines()
        scores = [a["score"] for a in boxes_of(PRE_RESULTS, image["id"])]
        (labels / f"{Path(image['file_name']).stem}.txt").write_text(
            "".join(f"{line} {s}\n" for line, s in zip(lines, scores))
        )
    for fmt in ("yolo", "cvat", "label_studio"):
        job = ingest.import_detection(
            engine=engine,
            name=fmt,
            images_dir=images_dir,
            expert_path=paths["coco"][0],
            pre_path=paths[fmt][1],
            actor=ADMIN,
        )
        assert pre_confidences(engine, job.id) == pytest.approx(expected), fmt


def test_yolo_reads_ultralytics_layout_classes_txt_and_skips_polygons(engine, written, tmp_path):
    """labels/ beside data.yaml, class names from classes.txt, a segmentation polygon line (ignored) and a label
    file in a subfolder matched to the image of the same relative path."""
    paths, images_dir = written
    expected = imported_stats(engine, name="coco", images_dir=images_dir, expert=paths["coco"][0], pre=paths["coco"][1])
    pre = paths["yolo"][1]
    (pre / "data.yaml").unlink()
    (pre / "classes.txt").write_text("cat\ndog\nbird\n")
    with (pre / "labels" / "a.txt").open("a") as f:
        f.write("1 0.1 0.1 0.2 0.1 0.2 0.2 0.1 0.2\n")
    _close(imported_stats(engine, name="yolo", images_dir=images_dir, expert=paths["coco"][0], pre=pre), expected)


def test_yolo_without_the_image_check_reads_the_sizes_from_the_image_headers(engine, written):
    paths, images_dir = written
    expected = imported_stats(engine, name="coco", images_dir=images_dir, expert=paths["coco"][0], pre=paths["coco"][1])
    _close(
        imported_stats(
            engine,
            name="yolo",
            images_dir=images_dir,
            expert=paths["yolo"][0],
            pre=paths["yolo"][1],
            check_image_files=False,
        ),
        expected,
    )
