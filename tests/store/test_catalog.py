"""The catalog: one row per sample with its expert classes and review states, searchable and paged. SQLite and
PostgreSQL."""

from __future__ import annotations

import pytest

from core.catalog import CATALOG_SCHEMA, catalog_samples
from core.errors import BadInput, NotFound
from tests.resultset_builders import accept, import_catalog_job, import_fruit_job, result_ids, set_state


@pytest.fixture
def job(engine, tmp_path):
    job = import_catalog_job(engine, tmp_path / "job")
    ids = result_ids(engine, job.id)
    accept(engine, ids[:2])  # a.png's cat and dog
    set_state(engine, [ids[4]], "rejected")  # b.png's dog
    return job


def rows(frame):
    return frame.select("file_path", "width", "height", "classes", "results", "pending", "accepted",
                        "rejected").rows()


A = ("a.png", 100, 50, ["cat", "dog"], 3, 1, 2, 0)
B = ("b.png", 40, 40, ["bird", "dog"], 3, 2, 0, 1)  # its removed result has no expert class
C = ("c.png", 30, 20, [], 0, 0, 0, 0)  # no results at all
D = ("d.png", 60, 40, ["cat"], 1, 1, 0, 0)


def test_every_sample_with_its_classes_and_states(engine, job):
    frame, total = catalog_samples(engine=engine, job_id=job.id)
    assert frame.schema == CATALOG_SCHEMA
    assert total == 4
    assert rows(frame) == [A, B, C, D]


@pytest.mark.parametrize(("search", "expected"), [
    ("DOG", [A, B]), ("  bird ", [B]), ("c.p", [C]), (".PNG", [A, B, C, D]), ("ca", [A, D]), ("zzz", []),
    ("%", []), ("_", []), ("(removed)", []),
])
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
    assert rows(frame) == [("a.png", 100, 50, ["cat", "dog"], 3, 3, 0, 0), B, C,
                           ("d.png", 60, 40, ["cat"], 1, 0, 1, 0)]


def test_classification_catalog(engine, tmp_path):
    fruit = import_fruit_job(engine, tmp_path / "fruit")
    accept(engine, result_ids(engine, fruit.id)[2:])
    frame, total = catalog_samples(engine=engine, job_id=fruit.id, search="PEAR")
    assert total == 2
    assert frame.select("file_path", "classes", "results", "accepted").rows() == [
        ("c2.png", ["pear"], 1, 0), ("c3.png", ["pear"], 1, 1)]


def test_an_unknown_job_is_not_found(engine):
    with pytest.raises(NotFound):
        catalog_samples(engine=engine, job_id=12345)
