"""The demo store: a few jobs over images drawn by Pillow, deterministic from fixed seeds, no downloads."""

from __future__ import annotations

from pathlib import Path
from typing import TypedDict

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from core.auth.access import DEMO_USER, Actor, operator
from core.demo import scenes as demo_scenes
from core.domain.progress import Progress, quiet
from core.domain.vocabulary import JobStatus
from core.jobs import expert_labels, ingest
from core.jobs import manual as manual_jobs
from core.jobs.summaries import delete_job
from core.settings import get_settings
from core.store import models

STREET_AUTO = "street-scenes-autolabel"
STREET = "street-scenes"
FRUIT = "fruit-stand"
STREET_NEXT = "street-scenes-v2-autolabel"
STREET_REFINE = "street-scenes-refine"
DEMO_JOBS = (STREET_AUTO, STREET, FRUIT, STREET_NEXT, STREET_REFINE)
REFINED_SHARE = 0.25  # of the refine job's images, labelled already: an expert's work half-way


class _ImportArgs(TypedDict):
    """What every demo import is given."""

    engine: Engine
    replace: bool
    actor: Actor


def seed_demo(
    *,
    engine: Engine,
    reset: bool = False,
    if_empty: bool = False,
    progress: Progress = quiet,
    demo_dir: Path | None = None,
    detection_images: int = 240,
    classification_images: int = 160,
) -> list[models.LabelJob]:
    """Create the demo jobs that are missing (all of them anew with `reset`); with `if_empty`, only into an empty
    store. Returns the jobs created."""
    with Session(engine) as session:
        existing = set(session.exec(select(models.LabelJob.name)).all())
    if if_empty and existing:
        return []
    wanted = set(DEMO_JOBS) if reset else set(DEMO_JOBS) - existing
    if not wanted:
        return []
    demo_dir = demo_dir or get_settings().demo_dir
    created: list[models.LabelJob] = []
    common: _ImportArgs = {"engine": engine, "replace": True, "actor": operator(DEMO_USER)}

    progress("drawing street scenes", 0.05)
    street = _street_files(demo_dir / "street", detection_images)
    auto = _existing(engine, STREET_AUTO)
    if STREET_AUTO in wanted:
        auto = ingest.import_auto_predictions(
            **common, name=STREET_AUTO, images_dir=street.images_dir, predictions_path=street.predictions
        )
        created.append(auto)
    if STREET_NEXT in wanted:
        created.append(
            ingest.import_auto_predictions(
                **common,
                name=STREET_NEXT,
                images_dir=street.images_dir,
                predictions_path=street.predictions,
                status=JobStatus.PROCESSING,
            )
        )
    if FRUIT in wanted:
        progress("drawing fruit-stand products", 0.6)
        fruit = _fruit_files(demo_dir / "fruit", classification_images)
        progress("importing fruit-stand (M-LA-CL)", 0.8)
        created.append(
            ingest.import_classification(
                **common,
                name=FRUIT,
                images_dir=fruit.images_dir,
                csv_path=fruit.csv,
                classes=list(demo_scenes.CLASSIFICATION_CLASSES),
            )
        )
    if STREET_REFINE in wanted:
        progress("starting street-scenes-refine (M-LA-OD, IN_PROGRESS)", 0.9)
        if auto is None:  # not there before: STREET_AUTO was wanted too, and imported above
            raise RuntimeError(f"{STREET_AUTO} is missing")
        created.append(_job_in_progress(engine, auto))
    # The flagship job last: the newest job is the first card on Labeling Jobs.
    if STREET in wanted:
        progress("importing street-scenes (M-LA-OD)", 0.95)
        created.append(
            ingest.import_detection(
                **common,
                name=STREET,
                images_dir=street.images_dir,
                pre_path=street.pre,
                expert_path=street.expert,
                source_job=auto,
            )
        )
    progress("demo ready", 1.0)
    return created


def _job_in_progress(engine: Engine, auto: models.LabelJob) -> models.LabelJob:
    """A manual job an expert is refining the auto label job's predictions in: the first quarter of its images
    labelled (the pre-labels kept as they are), the rest waiting in Annotate."""
    demo = operator(DEMO_USER)
    old = _existing(engine, STREET_REFINE)
    if old is not None:
        delete_job(engine=engine, job_id=models.stored_id(old), actor=demo)
    job = manual_jobs.create_manual_job(
        engine=engine, name=STREET_REFINE, pre_labels=("auto_job", models.stored_id(auto)), actor=demo
    )
    job_id = models.stored_id(job)
    samples = expert_labels.list_samples(engine=engine, job_id=job_id)["sample_id"]
    for sample_id in samples.head(max(1, int(samples.len() * REFINED_SHARE))):
        state = expert_labels.editor_state(engine=engine, job_id=job_id, sample_id=sample_id)
        boxes = [{"bbox": box, "label_id": label} for box, label in zip(state.bboxes or [], state.labels or [])]
        expert_labels.save_expert_label(engine=engine, job_id=job_id, sample_id=sample_id, boxes=boxes, actor=demo)
    return job


class _StreetFiles:
    def __init__(self, root: Path) -> None:
        self.images_dir = root / "images"
        self.expert = root / "expert.json"
        self.pre = root / "pre.json"
        self.predictions = root / "predictions.json"


class _FruitFiles:
    def __init__(self, root: Path) -> None:
        self.images_dir = root / "images"
        self.csv = root / "labels.csv"


def _street_files(root: Path, n_images: int) -> _StreetFiles:
    files = _StreetFiles(root)
    if not (files.expert.exists() and files.pre.exists() and files.predictions.exists()):
        scenes = demo_scenes.render_detection_scenes(out_dir=root, n_images=n_images)
        demo_scenes.write_json(scenes.expert, files.expert)
        demo_scenes.write_json(scenes.pre, files.pre)
        demo_scenes.write_json(_as_dataset(scenes.pre, scenes.expert), files.predictions)
    return files


def _fruit_files(root: Path, n_images: int) -> _FruitFiles:
    files = _FruitFiles(root)
    if not files.csv.exists():
        products = demo_scenes.render_classification_images(out_dir=root, n_images=n_images)
        demo_scenes.write_classification_csv(products.rows, files.csv)
    return files


def _as_dataset(results: list[dict], expert: dict) -> dict:
    """The auto label job's predictions as a COCO dataset (same images and classes as the expert file)."""
    annotations = [{"id": i, **r, "area": r["bbox"][2] * r["bbox"][3], "iscrowd": 0} for i, r in enumerate(results, 1)]
    return {"images": expert["images"], "categories": expert["categories"], "annotations": annotations}


def _existing(engine: Engine, name: str) -> models.LabelJob | None:
    with Session(engine) as session:
        return session.exec(select(models.LabelJob).where(col(models.LabelJob.name) == name)).first()
