"""The limits of core/domain/limits.py: past one, a label file, a folder, a spec or a saved label is refused naming the file
(an image with too many box pairs to match: the image) and the limit, before the work it would cost, and the store is
unchanged. The limits are lowered here so small
files meet them; the values themselves are checked against docs/formats.md. SQLite and PostgreSQL."""

from __future__ import annotations

import re

from core.domain import limits
from core.jobs import ingest
from core.jobs.expert_labels import save_expert_label
from core.jobs.manual import create_manual_job
from core.jobs.specs import ClassInput, create_spec
from core.jobs.submit import submit_job
from core.settings import PROJECT_ROOT
from tests.builders import (
    ADMIN,
    CATEGORIES,
    CLASSIFICATION_ROWS,
    EXPERT_ANNOTATIONS,
    IMAGES,
    as_admin,
    as_reviewer,
    coco_dataset,
    table_counts,
    write_classification_job,
    write_csv,
    write_detection_job,
    write_json,
)
from tests.manual_builders import animals_spec, expert_boxes, label_like_the_expert_file, sample_ids
from tests.store.test_name_characters import import_detection, refused
from tests.unit.test_cli import import_detection_args, run
from tests.unit.test_matching_scale import ADDRESS_SPACE_LIMIT


def test_the_limits_are_the_documented_ones():
    formats = (PROJECT_ROOT / "docs" / "formats.md").read_text(encoding="utf-8")
    rows = dict(
        re.findall(r"^\| (classes of|images of|boxes on|box pairs)[^|]*\| ([\d,]+) \|", formats, flags=re.MULTILINE)
    )
    assert rows == {
        "classes of": f"{limits.MAX_CLASSES:,}",
        "images of": f"{limits.MAX_IMAGES_PER_JOB:,}",
        "boxes on": f"{limits.MAX_BOXES_PER_IMAGE:,}",
        "box pairs": f"{limits.MAX_PAIRS_PER_IMAGE:,}",
    }
    # the 1M-result benchmark job (100,000 images x 10 boxes) and the matcher's 16,000-box image stay inside them
    assert limits.MAX_IMAGES_PER_JOB >= 100_000 and limits.MAX_BOXES_PER_IMAGE >= 16_000


def test_a_coco_file_past_the_class_or_image_limit_is_refused_before_its_records_are_read(
    engine, tmp_path, monkeypatch
):
    monkeypatch.setattr(limits, "MAX_CLASSES", 2)
    files = write_detection_job(tmp_path / "in")
    # Annotations that are not records at all: refused for the limit, so before anything of them was read.
    write_json(files.expert_path, {**coco_dataset(IMAGES, [], CATEGORIES), "annotations": "not a list"})
    [problem] = refused(engine, import_detection(engine, files))
    assert problem == f"{files.expert_path}: 'categories': 3 categories; at most 2 (core/domain/limits.py)"

    monkeypatch.setattr(limits, "MAX_CLASSES", 3)
    monkeypatch.setattr(limits, "MAX_IMAGES_PER_JOB", 1)
    [problem] = refused(engine, import_detection(engine, files))
    assert problem == f"{files.expert_path}: 'images': 2 images; at most 1 (core/domain/limits.py)"


def test_too_many_boxes_on_one_image_are_refused_naming_the_image(engine, tmp_path, monkeypatch):
    files = write_detection_job(tmp_path / "in")
    monkeypatch.setattr(limits, "MAX_BOXES_PER_IMAGE", 2)  # a.png has 3 expert and 3 pre boxes
    [problem] = refused(engine, import_detection(engine, files))
    assert problem == f"{files.expert_path}: image 1: 3 boxes on one image; at most 2 (core/domain/limits.py)"

    monkeypatch.setattr(limits, "MAX_BOXES_PER_IMAGE", 3)
    crowded = write_detection_job(tmp_path / "crowded", pre=[*map(dict, EXPERT_ANNOTATIONS), EXPERT_ANNOTATIONS[0]])
    [problem] = refused(engine, import_detection(engine, crowded))
    assert problem == f"{crowded.pre_path}: image 1: 4 boxes on one image; at most 3 (core/domain/limits.py)"

    spec = animals_spec(engine)
    pre = write_csv(
        tmp_path / "pre.csv",
        [("a.png", "cat", "1", "1", "5", "5")] * 4,
        header=("file_path", "label", "x", "y", "w", "h"),
    )
    [problem] = refused(
        engine,
        lambda: create_manual_job(
            actor=ADMIN,
            engine=engine,
            name="labelling",
            spec_id=spec.id,
            images_dir=files.images_dir,
            pre_labels=("csv", pre),
        ),
    )
    assert problem == f"{pre}: line 2: image 'a.png': 4 labels on one image; at most 3 (core/domain/limits.py)"

    job = create_manual_job(actor=ADMIN, engine=engine, name="labelling", spec_id=spec.id, images_dir=files.images_dir)
    [problem] = refused(
        engine,
        lambda: save_expert_label(
            engine=engine,
            job_id=job.id,
            sample_id=sample_ids(engine, job.id)["a.png"],
            actor=as_reviewer("ada"),
            boxes=expert_boxes("a.png") * 2,
        ),
    )
    assert problem == "'a.png': 6 boxes on one image; at most 3 (core/domain/limits.py)"


PAIRS_PAST = (
    "expert x pre box pairs to compare; at most {limit:,} (core/domain/limits.py): is one box written many times over?"
)


def test_an_image_with_too_many_box_pairs_is_refused_by_import_and_submit_naming_it(engine, tmp_path, monkeypatch):
    files = write_detection_job(tmp_path / "in")  # a.png: 3 expert and 3 pre boxes, 9 pairs; b.png 2 and 2
    monkeypatch.setattr(limits, "MAX_PAIRS_PER_IMAGE", 8)
    [problem] = refused(engine, import_detection(engine, files))
    assert problem == f"image 1 'a.png': 9 {PAIRS_PAST.format(limit=8)}"

    job = create_manual_job(
        engine=engine,
        name="street",
        spec_id=animals_spec(engine).id,
        images_dir=files.images_dir,
        pre_labels=("coco", files.pre_path),
        actor=as_admin("lead"),
    )
    label_like_the_expert_file(engine, job.id)
    [problem] = refused(engine, lambda: submit_job(engine=engine, job_id=job.id, actor=as_reviewer("ada")))
    assert problem == f"image {sample_ids(engine, job.id)['a.png']} 'a.png': 9 {PAIRS_PAST.format(limit=8)}"

    monkeypatch.setattr(limits, "MAX_PAIRS_PER_IMAGE", 9)
    assert submit_job(engine=engine, job_id=job.id, actor=as_reviewer("ada")).status == "READY"


def test_copies_of_one_box_past_the_pairs_limit_exit_2_from_the_command_line(engine, store_url, tmp_path):
    # A broken exporter wrote one box 20,000 times (MAX_BOXES_PER_IMAGE) on each side: 4 x 10^8 pairs, tens of GB.
    copies = limits.MAX_BOXES_PER_IMAGE
    expert = [{"id": i, "image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 20]} for i in range(1, copies + 1)]
    pre = [{"image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 20], "score": 0.9}] * copies
    before = table_counts(engine)
    done = run(
        *import_detection_args(tmp_path / "in", expert_annotations=expert, pre=pre),
        "--db",
        store_url,
        check_rc=2,
        address_space=ADDRESS_SPACE_LIMIT,
    )
    assert done.stderr == (
        f"error: image 1 'a.png': {copies**2:,} {PAIRS_PAST.format(limit=limits.MAX_PAIRS_PER_IMAGE)}\n"
    )
    assert table_counts(engine) == before


def test_too_many_classes_or_images_from_a_csv_a_folder_a_class_list_or_a_spec_are_refused(
    engine, tmp_path, monkeypatch
):
    monkeypatch.setattr(limits, "MAX_CLASSES", 2)
    files = write_classification_job(tmp_path / "csv")  # apple and pear by line 3, plum on line 5
    [problem] = refused(
        engine,
        lambda: ingest.import_classification(
            actor=ADMIN, engine=engine, name="fruit", images_dir=files.images_dir, csv_path=files.csv_path
        ),
    )
    assert problem == f"{files.csv_path}: line 5: 3 distinct classes; at most 2 (core/domain/limits.py)"
    [problem] = refused(
        engine,
        lambda: ingest.import_classification(
            actor=ADMIN,
            engine=engine,
            name="fruit",
            images_dir=files.images_dir,
            csv_path=files.csv_path,
            classes=["apple", "pear", "plum"],
        ),
    )
    assert problem == "the given classes: 3 classes; at most 2 (core/domain/limits.py)"
    [problem] = refused(
        engine,
        lambda: create_spec(
            actor=ADMIN,
            engine=engine,
            name="animals",
            task="detection",
            classes=[ClassInput(c["name"]) for c in CATEGORIES],
        ),
    )
    assert problem == "a label spec: 3 classes; at most 2 (core/domain/limits.py)"

    monkeypatch.setattr(limits, "MAX_CLASSES", 3)
    monkeypatch.setattr(limits, "MAX_IMAGES_PER_JOB", len(CLASSIFICATION_ROWS) - 1)
    [problem] = refused(
        engine,
        lambda: ingest.import_classification(
            actor=ADMIN, engine=engine, name="fruit", images_dir=files.images_dir, csv_path=files.csv_path
        ),
    )
    assert problem == f"{files.csv_path}: 4 rows (images); at most 3 (core/domain/limits.py)"
    spec = create_spec(
        actor=ADMIN,
        engine=engine,
        name="fruit",
        task="classification",
        classes=[ClassInput(n) for n in ("apple", "pear", "plum")],
    )
    [problem] = refused(
        engine,
        lambda: create_manual_job(
            actor=ADMIN, engine=engine, name="labelling", spec_id=spec.id, images_dir=files.images_dir
        ),
    )
    assert problem == f"{files.images_dir}: 4 image files; at most 3 (core/domain/limits.py)"
