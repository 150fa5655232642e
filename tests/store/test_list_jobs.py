"""The jobs list on SQLite and PostgreSQL: each job's summary counts, the filters, newest first."""

from __future__ import annotations

import pytest

from core.jobs import ingest
from core.jobs.summaries import list_jobs
from tests.builders import ADMIN, pre_as_dataset, write_json
from tests.store.import_store_helpers import import_fruit, import_standard, set_states

# ---- the jobs list ---------------------------------------------------------------------------------------------


@pytest.fixture
def three_jobs(engine, tmp_path):
    street = import_standard(engine, tmp_path / "street", name="Street Scenes")
    fruit = import_fruit(engine, tmp_path / "fruit", name="fruit-stand")
    predictions = write_json(tmp_path / "predictions.json", pre_as_dataset())
    auto = ingest.import_auto_predictions(
        actor=ADMIN,
        engine=engine,
        name="street-autolabel",
        images_dir=tmp_path / "street" / "images",
        predictions_path=predictions,
        status="PROCESSING",
    )
    return street, fruit, auto


def names(jobs) -> list[str]:
    return sorted(j.name for j in jobs)


def test_list_jobs_summaries(engine, three_jobs):
    street, fruit, auto = three_jobs
    set_states(engine, street.id, {"accepted": [0, 1], "rejected": [2]})
    by_name = {j.name: j for j in list_jobs(engine=engine)}
    assert set(by_name) == {"Street Scenes", "fruit-stand", "street-autolabel"}
    s = by_name["Street Scenes"]
    assert (s.id, s.tag, s.status, s.images, s.results) == (street.id, "M-LA-OD", "READY", 2, 6)
    assert s.classes == ["cat", "dog", "bird"]
    assert s.by_state == {"pending": 3, "accepted": 2, "rejected": 1}
    assert s.reviewed_share == 0.5 and s.is_reviewable
    f = by_name["fruit-stand"]
    assert (f.tag, f.images, f.results, f.classes) == ("M-LA-CL", 4, 4, ["apple", "pear", "plum"])
    a = by_name["street-autolabel"]
    assert (a.tag, a.status, a.results, a.is_reviewable) == ("LA-OD", "PROCESSING", 0, False)
    assert a.by_state == {"pending": 0, "accepted": 0, "rejected": 0} and a.reviewed_share == 0.0
    json_keys = set(s.to_json())
    assert {"id", "name", "tag", "status", "images", "results", "reviewed_share"} <= json_keys


def test_list_jobs_filters(engine, three_jobs):
    assert names(list_jobs(engine=engine, name_contains="street")) == ["Street Scenes", "street-autolabel"]
    assert names(list_jobs(engine=engine, name_contains="  SCENES ")) == ["Street Scenes"]
    assert names(list_jobs(engine=engine, name_contains="nothing")) == []
    assert names(list_jobs(engine=engine, statuses=["READY"])) == ["Street Scenes", "fruit-stand"]
    assert names(list_jobs(engine=engine, statuses=["PROCESSING", "FAILED"])) == ["street-autolabel"]
    assert names(list_jobs(engine=engine, tags=["M-LA-CL"])) == ["fruit-stand"]
    assert names(list_jobs(engine=engine, tags=["M-LA-OD", "LA-OD"])) == ["Street Scenes", "street-autolabel"]
    assert names(list_jobs(engine=engine, name_contains="street", statuses=["READY"], tags=["M-LA-OD"])) == [
        "Street Scenes"
    ]
    assert names(list_jobs(engine=engine, name_contains="fruit", tags=["LA-OD"])) == []


def test_list_jobs_newest_first(engine, three_jobs):
    assert [j.name for j in list_jobs(engine=engine)] == ["street-autolabel", "fruit-stand", "Street Scenes"]
