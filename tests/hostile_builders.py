"""A store in which every text a user or a label file supplies is hostile: job, class, spec, ResultSet and file
names, a note, a reject reason, a failure reason and user names that, read as Markdown or HTML, would show an
outside image, put a sign-in link inside the app's own words, or run a script (issue 11). The page tests and the
e2e test open every page over it and check that each of these texts is shown as text."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, text

from core.auth import users
from core.auth.access import Actor, Role, operator
from core.jobs import expert_labels, ingest
from core.jobs import manual as manual_jobs
from core.jobs.specs import ClassInput, create_spec
from core.review import decisions as review
from core.review import resultsets
from tests.builders import CATEGORIES, EXPERT_ANNOTATIONS, IMAGES, coco_dataset, write_detection_job, write_json

EVIL_HOST = "evil.example"


def hostile(tag: str) -> str:
    """`tag`, then a Markdown image and a Markdown link to the outside and an <img> that runs script: at most 100
    characters (tags of 4), as a class, spec or ResultSet name may have."""
    return f"{tag} ![x](http://{EVIL_HOST}/i) [**sign in**](http://{EVIL_HOST}) <img src=x onerror=alert(1)>"


def hostile_html(tag: str) -> str:
    """`tag`, then an HTML link, which Plotly draws as a link in a figure's texts, and a Markdown one: for the names
    the Overview's and Visualize's charts show (classes, reviewers, reasons)."""
    return f'{tag} <a href="http://{EVIL_HOST}">sign in</a> [**sign in**](http://{EVIL_HOST})'


# A file name holds no slash: its image and link point at the app's own host, where a request is no proof; an <img>
# or <a> naming evil.example is.
HOSTILE_FILE = f"![f]({EVIL_HOST}.png) [f]({EVIL_HOST}) a.png"
ADMIN = Actor(name=hostile("adm"), role=Role.ADMIN)
REVIEWER = Actor(name=hostile_html("rev"), role=Role.REVIEWER)
EXPERT = Actor(name=hostile("exp"), role=Role.REVIEWER)
REASON = hostile_html("why")
CAT, DOG = hostile("cat"), hostile_html("dog")
JOB, AUTO_JOB, FAILED_JOB, MANUAL_JOB = hostile("job"), hostile("auto"), hostile("fail"), hostile("new")
RESULTSET, NOTE, FAILURE, ACCOUNT = hostile("rs"), hostile("note"), hostile("err"), hostile("usr")
SPEC, SPEC_CLASS, SPEC_DISPLAY = hostile("spec"), hostile("cls"), hostile("dsp")


@dataclass(frozen=True)
class HostileStore:
    job: int  # READY manual (M-LA-OD): reviewed by REVIEWER, some rejected for REASON; a ResultSet of its accepted
    auto_job: int  # READY auto (LA-OD), its predictions file hostile-named too
    manual_job: int  # IN_PROGRESS manual, of the hostile spec
    labelled_sample: int  # of manual_job, labelled by EXPERT
    rejected_result: int  # of job
    resultset: int


def seed_hostile(engine: Engine, root: Path) -> HostileStore:
    """The hostile store's jobs and more, with files under `root`; besides whatever the store holds already."""
    images = [{**IMAGES[0], "file_name": HOSTILE_FILE}, IMAGES[1]]
    categories = [{**CATEGORIES[0], "name": CAT}, {**CATEGORIES[1], "name": DOG}, CATEGORIES[2]]
    files = write_detection_job(root / "detection", images=images, categories=categories)
    job = ingest.import_detection(
        engine=engine,
        name=JOB,
        images_dir=files.images_dir,
        pre_path=files.pre_path,
        expert_path=files.expert_path,
        actor=ADMIN,
    )
    with engine.connect() as conn:
        ids = conn.execute(text("SELECT id FROM result WHERE job_id = :j ORDER BY id"), {"j": job.id}).scalars().all()
    review.move(
        engine=engine, job_id=job.id, result_ids=ids[:2], from_state="pending", to_state="accepted", actor=REVIEWER
    )
    review.move(
        engine=engine,
        job_id=job.id,
        result_ids=ids[2:4],
        from_state="pending",
        to_state="rejected",
        actor=REVIEWER,
        reason=REASON,
    )
    resultset = resultsets.create_resultset(engine=engine, job_id=job.id, name=RESULTSET, note=NOTE, actor=REVIEWER)

    predictions = write_json(
        root / f"[p]({EVIL_HOST}) predictions.json", coco_dataset(images, EXPERT_ANNOTATIONS, categories)
    )
    auto = ingest.import_auto_predictions(
        engine=engine, name=AUTO_JOB, images_dir=files.images_dir, predictions_path=predictions, actor=ADMIN
    )
    failed = ingest.import_auto_predictions(
        engine=engine,
        name=FAILED_JOB,
        images_dir=files.images_dir,
        predictions_path=predictions,
        status="PROCESSING",
        actor=ADMIN,
    )
    with engine.begin() as conn:  # as a model run that failed leaves it
        conn.execute(
            text("UPDATE labeljob SET status = 'FAILED', failure_reason = :why WHERE id = :j"),
            {"why": FAILURE, "j": failed.id},
        )

    spec = create_spec(
        engine=engine,
        name=SPEC,
        task="detection",
        actor=ADMIN,
        classes=[ClassInput(SPEC_CLASS, display_name=SPEC_DISPLAY), ClassInput("plain")],
    )
    manual = manual_jobs.create_manual_job(
        engine=engine, name=MANUAL_JOB, spec_id=spec.id, images_dir=files.images_dir, actor=ADMIN
    )
    first = int(expert_labels.list_samples(engine=engine, job_id=manual.id)["sample_id"][0])
    expert_labels.save_expert_label(
        engine=engine, job_id=manual.id, sample_id=first, actor=EXPERT, boxes=[{"bbox": [2, 2, 10, 10], "label_id": 0}]
    )

    users.add_user(engine=engine, name=ACCOUNT, role="viewer", password=None, actor=operator())
    return HostileStore(
        job=job.id,
        auto_job=auto.id,
        manual_job=manual.id,
        labelled_sample=first,
        rejected_result=ids[2],
        resultset=resultset.id,
    )
