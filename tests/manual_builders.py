"""Manual label jobs made in LabelDeck for the tests: a spec, the standard images with a pre-label source, and the
expert labelling the images exactly as the standard expert file of tests/builders.py says."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, text

from core.jobs.expert_labels import list_samples, save_expert_label
from core.jobs.specs import ClassInput, create_spec
from tests.builders import ADMIN, CATEGORIES, CLASSIFICATION_ROWS, EXPERT_ANNOTATIONS, IMAGES, as_reviewer, write_csv

ANIMALS = [c["name"] for c in CATEGORIES]  # cat, dog, bird: category ids 1, 2, 3 are their positions + 1
FRUIT = ["apple", "pear", "plum"]

RESULTS_QUERY = text("""
    SELECT s.file_path, r.change_kind, ec.name, pc.name, r.class_changed, r.iou, r.area_px, r.area_fraction,
           r.adjustment_factor, r.pre_confidence, r.expert_x, r.expert_y, r.expert_w, r.expert_h,
           r.pre_x, r.pre_y, r.pre_w, r.pre_h, COALESCE(st.state, 'pending')
    FROM result r JOIN sample s ON s.id = r.sample_id LEFT JOIN reviewstate st ON st.result_id = r.id
    LEFT JOIN labelclass ec ON ec.id = r.expert_class_id LEFT JOIN labelclass pc ON pc.id = r.pre_class_id
    WHERE r.job_id = :job_id
""")


def results_of(engine: Engine, job_id: int) -> list[tuple]:
    """Every result of the job, as file and class names (no ids), sorted: comparable across jobs."""
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(RESULTS_QUERY, {"job_id": job_id})]
    return sorted(rows, key=repr)


def animals_spec(engine: Engine, name: str = "animals"):
    return create_spec(
        actor=ADMIN, engine=engine, name=name, task="detection", classes=[ClassInput(n) for n in ANIMALS]
    )


def fruit_spec(engine: Engine, name: str = "fruit"):
    return create_spec(
        actor=ADMIN, engine=engine, name=name, task="classification", classes=[ClassInput(n) for n in FRUIT]
    )


def sample_ids(engine: Engine, job_id: int) -> dict[str, int]:
    return dict(list_samples(engine=engine, job_id=job_id).select("file_path", "sample_id").iter_rows())


def expert_boxes(file_name: str) -> list[dict]:
    """The standard expert file's boxes of one image, in file order, as the editor returns them."""
    image_id = next(i["id"] for i in IMAGES if i["file_name"] == file_name)
    return [
        {"bbox": a["bbox"], "label_id": a["category_id"] - 1, "label": ANIMALS[a["category_id"] - 1]}
        for a in EXPERT_ANNOTATIONS
        if a["image_id"] == image_id
    ]


def label_like_the_expert_file(engine: Engine, job_id: int, *, by: str = "ada", files: list[str] | None = None) -> None:
    for file_name, sample_id in sample_ids(engine, job_id).items():
        if files is None or file_name in files:
            save_expert_label(
                engine=engine, job_id=job_id, sample_id=sample_id, actor=as_reviewer(by), boxes=expert_boxes(file_name)
            )


def label_like_the_fruit_csv(engine: Engine, job_id: int, *, by: str = "ada") -> None:
    ids = sample_ids(engine, job_id)
    for file_path, _pre, expert, _confidence in CLASSIFICATION_ROWS:
        save_expert_label(
            engine=engine, job_id=job_id, sample_id=ids[file_path], actor=as_reviewer(by), class_name=expert
        )


def fruit_pre_csv(path: Path) -> Path:
    """The standard fruit CSV's pre-labels as a pre-label CSV: file_path,label,confidence."""
    return write_csv(
        path,
        [(f, pre, conf) for f, pre, _expert, conf in CLASSIFICATION_ROWS],
        header=("file_path", "label", "confidence"),
    )
