"""Jobs with accepted results for the ResultSet, export, datalog and catalog tests.

The catalog job is the standard detection job of tests/builders.py plus two images:

    a.png 100x50   r1 cat unchanged [10,10,20,20]   r2 dog relabeled [50,10,20,20]   r3 cat adjusted [0,30,20,10]
    b.png 40x40    r4 bird added [0,0,10,10]        r5 dog adjusted [0,20,10,10]     r6 removed (pre dog)
    c.png 30x20    no boxes at all: no results
    d.png 60x40    r7 cat unchanged [5,5,10,10]

Results are accepted with one SQL UPDATE (the review service is not needed for a snapshot).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import DateTime, Engine, bindparam, text

from core.jobs import ingest
from core.store import models
from tests.builders import (
    ADMIN,
    CATEGORIES,
    EXPERT_ANNOTATIONS,
    IMAGES,
    PRE_RESULTS,
    write_classification_job,
    write_detection_job,
)

CATALOG_IMAGES = [
    *IMAGES,
    {"id": 3, "file_name": "c.png", "width": 30, "height": 20},
    {"id": 4, "file_name": "d.png", "width": 60, "height": 40},
]
CATALOG_EXPERT = [*EXPERT_ANNOTATIONS, {"id": 6, "image_id": 4, "category_id": 1, "bbox": [5, 5, 10, 10]}]
CATALOG_PRE = [*PRE_RESULTS, {"image_id": 4, "category_id": 1, "bbox": [5, 5, 10, 10], "score": 0.95}]

# The final label of each result in result order: (file, class name or None, box or None).
FINAL_LABELS = [
    ("a.png", "cat", (10.0, 10.0, 20.0, 20.0)),
    ("a.png", "dog", (50.0, 10.0, 20.0, 20.0)),
    ("a.png", "cat", (0.0, 30.0, 20.0, 10.0)),
    ("b.png", "bird", (0.0, 0.0, 10.0, 10.0)),
    ("b.png", "dog", (0.0, 20.0, 10.0, 10.0)),
    ("b.png", None, None),
    ("d.png", "cat", (5.0, 5.0, 10.0, 10.0)),
]
CLASS_NAMES = [c["name"] for c in CATEGORIES]


def import_catalog_job(engine: Engine, root: Path, *, name: str = "street", replace: bool = False) -> models.LabelJob:
    files = write_detection_job(root, images=CATALOG_IMAGES, expert_annotations=CATALOG_EXPERT, pre=CATALOG_PRE)
    return ingest.import_detection(
        actor=ADMIN,
        engine=engine,
        name=name,
        images_dir=files.images_dir,
        pre_path=files.pre_path,
        expert_path=files.expert_path,
        replace=replace,
    )


def import_fruit_job(engine: Engine, root: Path, *, name: str = "fruit") -> models.LabelJob:
    """tests/builders.py's CLASSIFICATION_ROWS: c1 apple, c2 pear, c3 pear, c4 apple (expert labels)."""
    files = write_classification_job(root)
    return ingest.import_classification(
        actor=ADMIN,
        engine=engine,
        name=name,
        images_dir=files.images_dir,
        csv_path=files.csv_path,
        classes=["apple", "pear", "plum"],
    )


# SQL for a result `r` and its review state: `SELECT r.id, {STATE_OF} FROM result r {WITH_STATE}`.
WITH_STATE = "LEFT JOIN reviewstate st ON st.result_id = r.id"
STATE_OF = "COALESCE(st.state, 'pending')"


def result_ids(engine: Engine, job_id: int) -> list[int]:
    with engine.connect() as conn:
        return list(conn.execute(text("SELECT id FROM result WHERE job_id = :j ORDER BY id"), {"j": job_id}).scalars())


def set_state(engine: Engine, ids: list[int], state: str, reviewer: str | None = "ann") -> None:
    """Move results to a review state as a review action would (without its event), straight in SQL: a pending
    result has no reviewstate row, any other state one (models.ReviewState)."""
    if not ids:
        return
    marks = ", ".join(f":r{i}" for i in range(len(ids)))
    params = {f"r{i}": rid for i, rid in enumerate(ids)}
    with engine.begin() as conn:
        conn.execute(text(f"DELETE FROM reviewstate WHERE result_id IN ({marks})"), params)
        if state != "pending":
            conn.execute(
                text(
                    f"INSERT INTO reviewstate (result_id, job_id, state, reviewed_by, reviewed_at) "
                    f"SELECT id, job_id, :state, :reviewer, :at FROM result WHERE id IN ({marks})"
                ).bindparams(bindparam("at", type_=DateTime(timezone=True))),
                {"state": state, "reviewer": reviewer, "at": models.utcnow(), **params},
            )


def stored_states(engine: Engine, job_id: int) -> dict[int, str]:
    """Each result of the job (reworked ones too) and its review state as the store holds it."""
    with engine.connect() as conn:
        return dict(
            conn.execute(
                text(f"SELECT r.id, {STATE_OF} FROM result r {WITH_STATE} WHERE r.job_id = :j"), {"j": job_id}
            ).all()
        )


def accept(engine: Engine, ids: list[int], reviewer: str = "ann") -> None:
    set_state(engine, ids, "accepted", reviewer)
