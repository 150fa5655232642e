"""The partial-image case of issue 12, as a detection job whose images are complete or partial for different reasons:

    scene.png 200x100   9 boxes (dog, then 8 cats): the dog accepted, the 8 cats pending   → partial, pending
    full.png  50x50     2 boxes, both accepted                                             → complete
    bad.png   50x50     2 boxes: one accepted, one rejected                                → partial, rejected
    mixed.png 50x50     3 boxes: one accepted, one rejected, one pending                   → partial, rejected (once)
    empty.png 30x20     no boxes: no results                                               → complete

The expert boxes equal the pre boxes (every result `unchanged`). `saved_resultset` sets those states and saves the
ResultSet "partial"."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, text

from core.jobs import ingest
from core.review.resultsets import create_resultset
from core.store import models
from tests.builders import ADMIN, as_admin, write_detection_job
from tests.resultset_builders import set_state

_IMAGES = [
    {"id": 1, "file_name": "scene.png", "width": 200, "height": 100},
    {"id": 2, "file_name": "full.png", "width": 50, "height": 50},
    {"id": 3, "file_name": "bad.png", "width": 50, "height": 50},
    {"id": 4, "file_name": "mixed.png", "width": 50, "height": 50},
    {"id": 5, "file_name": "empty.png", "width": 30, "height": 20},
]
_CATEGORIES = [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}]
# (image id, category id, box): boxes of one image far apart, so each expert box pairs with its own pre box
_BOXES = [
    (1, 2, [2, 10, 15, 15]),
    *[(1, 1, [2 + 22 * i, 50, 15, 15]) for i in range(1, 9)],
    (2, 1, [2, 2, 10, 10]),
    (2, 2, [25, 25, 10, 10]),
    (3, 1, [2, 2, 10, 10]),
    (3, 2, [25, 25, 10, 10]),
    (4, 1, [2, 2, 10, 10]),
    (4, 2, [25, 25, 10, 10]),
    (4, 1, [2, 30, 10, 10]),
]


@dataclass(frozen=True)
class PartialJob:
    job: models.LabelJob
    results: dict[str, list[int]]  # file → its result ids, in order


def import_partial_job(engine: Engine, root: Path, *, name: str = "scenes") -> PartialJob:
    files = write_detection_job(
        root,
        images=_IMAGES,
        categories=_CATEGORIES,
        expert_annotations=[
            {"id": i, "image_id": img, "category_id": c, "bbox": b} for i, (img, c, b) in enumerate(_BOXES, 1)
        ],
        pre=[{"image_id": img, "category_id": c, "bbox": b, "score": 0.9} for img, c, b in _BOXES],
    )
    job = ingest.import_detection(
        actor=ADMIN,
        engine=engine,
        name=name,
        images_dir=files.images_dir,
        pre_path=files.pre_path,
        expert_path=files.expert_path,
    )
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT s.file_path, r.id FROM result r JOIN sample s ON s.id = r.sample_id "
                "WHERE r.job_id = :j ORDER BY r.id"
            ),
            {"j": job.id},
        ).all()
    results: dict[str, list[int]] = {}
    for file, rid in rows:
        results.setdefault(file, []).append(rid)
    return PartialJob(job=job, results=results)


def saved_resultset(engine: Engine, partial: PartialJob) -> models.ResultSet:
    r = partial.results
    set_state(engine, [r["scene.png"][0], *r["full.png"], r["bad.png"][0], r["mixed.png"][0]], "accepted")
    set_state(engine, [r["bad.png"][1], r["mixed.png"][1]], "rejected")
    return create_resultset(engine=engine, job_id=partial.job.id, name="partial", actor=as_admin("lead"))
