"""The catalog: one row per sample with its expert classes and review states, searchable and paged; an auto label
job's predictions and a manual job's pre-labels as boxes for a page of tiles. SQLite and PostgreSQL."""

from __future__ import annotations

import json

import polars as pl
import pytest
from sqlalchemy import text

from core.analysis.catalog import CATALOG_SCHEMA, catalog_samples
from core.domain.errors import BadInput, NotFound
from core.jobs.auto import import_auto_job
from core.jobs.manual import create_manual_job
from core.labels.label_boxes import (
    LABEL_BOX_SCHEMA,
    LABEL_SUMMARY_SCHEMA,
    label_summary,
    pre_label_boxes,
    prediction_boxes,
    tile_boxes,
)
from tests.builders import ADMIN, write_detection_job
from tests.manual_builders import sample_ids
from tests.resultset_builders import (
    CATALOG_EXPERT,
    CATALOG_IMAGES,
    CATALOG_PRE,
    CLASS_NAMES,
    accept,
    import_catalog_job,
    import_fruit_job,
    result_ids,
    set_state,
)


@pytest.fixture
def job(engine, tmp_path):
    job = import_catalog_job(engine, tmp_path / "job")
    ids = result_ids(engine, job.id)
    accept(engine, ids[:2])  # a.png's cat and dog
    set_state(engine, [ids[4]], "rejected")  # b.png's dog
    return job


def rows(frame):
    return frame.select("file_path", "width", "height", "classes", "results", "pending", "accepted", "rejected").rows()


A = ("a.png", 100, 50, ["cat", "dog"], 3, 1, 2, 0)
B = ("b.png", 40, 40, ["bird", "dog"], 3, 2, 0, 1)  # its removed result has no expert class
C = ("c.png", 30, 20, [], 0, 0, 0, 0)  # no results at all
D = ("d.png", 60, 40, ["cat"], 1, 1, 0, 0)


def test_every_sample_with_its_classes_and_states(engine, job):
    frame, total = catalog_samples(engine=engine, job_id=job.id)
    assert frame.schema == CATALOG_SCHEMA
    assert total == 4
    assert rows(frame) == [A, B, C, D]


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("DOG", [A, B]),
        ("  bird ", [B]),
        ("c.p", [C]),
        (".PNG", [A, B, C, D]),
        ("ca", [A, D]),
        ("zzz", []),
        ("%", []),
        ("_", []),
        ("(removed)", []),
    ],
)
def test_search_matches_file_names_and_classes_case_insensitively(engine, job, search, expected):
    frame, total = catalog_samples(engine=engine, job_id=job.id, search=search)
    assert rows(frame) == expected
    assert total == len(expected)


def test_pages(engine, job):
    frame, total = catalog_samples(engine=engine, job_id=job.id, limit=2, offset=1)
    assert (rows(frame), total) == ([B, C], 4)
    frame, total = catalog_samples(engine=engine, job_id=job.id, limit=2, offset=4)
    assert (frame.height, total) == (0, 4)
    frame, total = catalog_samples(engine=engine, job_id=job.id, search="a", limit=1, offset=1)
    assert (rows(frame), total) == ([D], 2)  # "a" is in a.png's name and in d.png's "cat"
    for limit, offset in ((0, 0), (10, -1)):
        with pytest.raises(BadInput, match="catalog page"):
            catalog_samples(engine=engine, job_id=job.id, limit=limit, offset=offset)


def test_states_follow_later_reviews(engine, job):
    catalog_samples(engine=engine, job_id=job.id)  # the results frame is cached now
    ids = result_ids(engine, job.id)
    accept(engine, [ids[6]])
    set_state(engine, ids[:2], "pending")
    frame, _ = catalog_samples(engine=engine, job_id=job.id, search="png")
    assert rows(frame) == [("a.png", 100, 50, ["cat", "dog"], 3, 3, 0, 0), B, C, ("d.png", 60, 40, ["cat"], 1, 0, 1, 0)]


def test_classification_catalog(engine, tmp_path):
    fruit = import_fruit_job(engine, tmp_path / "fruit")
    accept(engine, result_ids(engine, fruit.id)[2:])
    frame, total = catalog_samples(engine=engine, job_id=fruit.id, search="PEAR")
    assert total == 2
    assert frame.select("file_path", "classes", "results", "accepted").rows() == [
        ("c2.png", ["pear"], 1, 0),
        ("c3.png", ["pear"], 1, 1),
    ]


def test_an_unknown_job_is_not_found(engine):
    with pytest.raises(NotFound):
        catalog_samples(engine=engine, job_id=12345)


# ---- an auto label job's predictions and a manual job's pre-labels, as boxes for a page of tiles -------------------


@pytest.fixture
def auto_files(tmp_path):
    return write_detection_job(
        tmp_path / "auto", images=CATALOG_IMAGES, expert_annotations=CATALOG_EXPERT, pre=CATALOG_PRE
    )


@pytest.fixture
def auto_job(engine, auto_files):
    return import_auto_job(
        actor=ADMIN,
        engine=engine,
        name="auto",
        images_dir=auto_files.images_dir,
        predictions_path=auto_files.pre_path,
        classes=CLASS_NAMES,
    )


def boxes_in_file(pre_path, files: list[str]) -> list[tuple]:
    """The COCO results file read on its own: image ids are the images' positions by file path, category ids the
    classes' positions, as the importer reads them."""
    by_path = sorted(CATALOG_IMAGES, key=lambda image: image["file_name"])
    by_id = {i + 1: image["file_name"] for i, image in enumerate(by_path)}
    return [
        (by_id[r["image_id"]], CLASS_NAMES[r["category_id"] - 1], *map(float, r["bbox"]), r["score"])
        for r in json.loads(pre_path.read_text())
        if by_id[r["image_id"]] in files
    ]


def as_tuples(boxes, names: dict[int, str]) -> list[tuple]:
    return [
        (names[s], c, x, y, w, h, score)
        for s, c, x, y, w, h, score in boxes.select("sample_id", "class_name", "x", "y", "w", "h", "score").rows()
    ]


def test_prediction_boxes_of_chosen_samples_are_the_imported_ones(engine, auto_job, auto_files):
    ids = sample_ids(engine, auto_job.id)
    names = {v: k for k, v in ids.items()}
    chosen = ["a.png", "c.png", "d.png"]  # c.png has no prediction
    boxes = prediction_boxes(engine=engine, job_id=auto_job.id, sample_ids=[ids[f] for f in chosen])
    assert boxes.schema == LABEL_BOX_SCHEMA
    assert as_tuples(boxes, names) == boxes_in_file(auto_files.pre_path, chosen)
    assert len(as_tuples(boxes, names)) == 4
    with engine.connect() as conn:
        stored = (
            conn.execute(
                text("SELECT id FROM prediction WHERE job_id = :j AND sample_id IN (:a, :d) ORDER BY id"),
                {"j": auto_job.id, "a": ids["a.png"], "d": ids["d.png"]},
            )
            .scalars()
            .all()
        )
    assert boxes["label_id"].to_list() == stored
    summary = label_summary(boxes).sort("sample_id")
    assert summary.schema == LABEL_SUMMARY_SCHEMA
    assert [(names[s], n, score, top) for s, n, score, top in summary.rows()] == [
        ("a.png", 3, 0.9, "cat"),
        ("d.png", 1, 0.95, "cat"),
    ]


def test_prediction_boxes_of_no_samples_or_another_jobs_samples_are_none(engine, auto_job, auto_files, tmp_path):
    assert prediction_boxes(engine=engine, job_id=auto_job.id, sample_ids=[]).shape == (0, len(LABEL_BOX_SCHEMA))
    other = import_auto_job(
        actor=ADMIN,
        engine=engine,
        name="other",
        images_dir=auto_files.images_dir,
        predictions_path=auto_files.pre_path,
        classes=CLASS_NAMES,
    )
    theirs = list(sample_ids(engine, other.id).values())
    assert prediction_boxes(engine=engine, job_id=auto_job.id, sample_ids=theirs).is_empty()
    assert prediction_boxes(engine=engine, job_id=other.id, sample_ids=theirs).height == len(CATALOG_PRE)


def test_pre_label_boxes_are_the_auto_jobs_predictions(engine, auto_job, auto_files):
    manual = create_manual_job(engine=engine, name="refine", pre_labels=("auto_job", auto_job.id), actor=ADMIN)
    ids = sample_ids(engine, manual.id)
    names = {v: k for k, v in ids.items()}
    boxes = pre_label_boxes(engine=engine, job_id=manual.id, sample_ids=[ids["b.png"], ids["d.png"]])
    assert as_tuples(boxes, names) == boxes_in_file(auto_files.pre_path, ["b.png", "d.png"])
    assert prediction_boxes(engine=engine, job_id=manual.id, sample_ids=list(ids.values())).is_empty()


def test_tile_boxes_draw_each_label_as_an_unchanged_expert_box(engine, auto_job):
    every = list(sample_ids(engine, auto_job.id).values())
    boxes = prediction_boxes(engine=engine, job_id=auto_job.id, sample_ids=every)
    drawn = tile_boxes(boxes)
    assert drawn["result_id"].to_list() == boxes["label_id"].to_list()
    assert set(drawn["change_kind"]) == {"unchanged"}
    assert (
        drawn.select("expert_class", "expert_x", "expert_y", "expert_w", "expert_h").rows()
        == boxes.select("class_name", "x", "y", "w", "h").rows()
    )
    assert (
        drawn.select(pl.col("pre_class", "pre_x", "pre_y", "pre_w", "pre_h").null_count()).row(0) == (boxes.height,) * 5
    )


def test_an_auto_jobs_catalog_lists_its_predicted_classes(engine, auto_job):
    frame, total = catalog_samples(engine=engine, job_id=auto_job.id)
    assert total == 4
    assert frame.select("file_path", "classes", "results").rows() == [
        ("a.png", ["cat"], 0),
        ("b.png", ["dog"], 0),
        ("c.png", [], 0),
        ("d.png", ["cat"], 0),
    ]
    frame, total = catalog_samples(engine=engine, job_id=auto_job.id, search="DOG")
    assert (frame["file_path"].to_list(), total) == (["b.png"], 1)
