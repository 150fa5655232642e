"""The CLI's driver-only reads (core/store/driver_reads.py, core.analysis.stats.cached_job_stats) give what the SQLAlchemy way
gives, to the byte, on SQLite and PostgreSQL; a store that is not at this version, or not there, is left to the
usual way; a store that cannot be reached is reported as before."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from core import cli
from core.analysis.results_frame import _cache_path
from core.analysis.stats import cached_job_stats, job_stats
from core.jobs import ingest
from core.jobs.lookup import get_job
from core.jobs.manual import create_manual_job
from core.jobs.summaries import list_jobs
from core.store import driver_reads
from core.store.db import get_engine
from core.store.urls import parse_store_url
from tests.builders import ADMIN, as_admin, pre_as_dataset, write_classification_job, write_detection_job, write_json
from tests.manual_builders import animals_spec, label_like_the_expert_file
from tests.resultset_builders import result_ids, set_state


@pytest.fixture
def jobs(engine, tmp_path):
    """A reviewed detection job, a classification job, an auto job and a manual job half labelled in LabelDeck."""
    det = write_detection_job(tmp_path / "street")
    street = ingest.import_detection(
        actor=ADMIN,
        engine=engine,
        name="Straße 🚗",
        images_dir=det.images_dir,
        pre_path=det.pre_path,
        expert_path=det.expert_path,
    )
    ids = result_ids(engine, street.id)
    set_state(engine, ids[:2], "accepted")
    set_state(engine, ids[2:3], "rejected")
    fruit_files = write_classification_job(tmp_path / "fruit")
    fruit = ingest.import_classification(
        actor=ADMIN, engine=engine, name="fruit-stand", images_dir=fruit_files.images_dir, csv_path=fruit_files.csv_path
    )
    auto = ingest.import_auto_predictions(
        actor=ADMIN,
        engine=engine,
        name="street-autolabel",
        images_dir=det.images_dir,
        predictions_path=write_json(tmp_path / "pred.json", pre_as_dataset()),
        status="PROCESSING",
    )
    labelling = create_manual_job(
        engine=engine,
        name="labelling",
        spec_id=animals_spec(engine).id,
        images_dir=det.images_dir,
        actor=as_admin("lead"),
    )
    label_like_the_expert_file(engine, labelling.id, files=["a.png"])
    return street, fruit, auto, labelling


def test_the_jobs_list_is_list_jobs_to_the_byte(engine, store_url, jobs):
    with driver_reads.open_store(store_url) as store:
        assert store is not None
        quick = driver_reads.job_summaries(store)
    usual = [j.to_json() for j in list_jobs(engine=engine)]
    assert json.dumps(quick, indent=2) == json.dumps(usual, indent=2)
    assert {j["name"]: j["labelling"] is not None for j in quick}["labelling"]


def test_stats_from_the_cached_frame_are_job_stats_to_the_byte(engine, store_url, jobs):
    street, fruit, auto, _ = jobs
    for job in (street, fruit):
        with driver_reads.open_store(store_url) as store:
            assert driver_reads.results_cache_path(store, driver_reads.get_job(store, job.id)) == _cache_path(
                engine, get_job(engine, job.id)
            )
        quick = cached_job_stats(url=store_url, job_id=job.id)
        assert json.dumps(quick, indent=2) == json.dumps(job_stats(engine=engine, job_id=job.id), indent=2)
    _cache_path(engine, get_job(engine, street.id)).unlink()
    assert cached_job_stats(url=store_url, job_id=street.id) is None  # job_stats then builds the frame


def test_refusals_are_the_usual_ones(engine, store_url, jobs):
    auto = jobs[2]
    with pytest.raises(Exception) as usual:
        job_stats(engine=engine, job_id=auto.id)
    with pytest.raises(type(usual.value), match="auto label job"):
        cached_job_stats(url=store_url, job_id=auto.id)
    with pytest.raises(Exception) as usual:
        job_stats(engine=engine, job_id=9999)
    with pytest.raises(type(usual.value), match=str(usual.value)):
        cached_job_stats(url=store_url, job_id=9999)


def test_a_store_at_another_version_is_left_to_the_usual_way(engine, store_url, jobs):
    with engine.begin() as conn:
        conn.execute(text("UPDATE schemaversion SET version = version - 1"))
    with driver_reads.open_store(store_url) as store:
        assert store is None
    assert cached_job_stats(url=store_url, job_id=jobs[0].id) is None


def test_no_store_yet_is_left_to_the_usual_way_which_creates_it(data_dir, capsys):
    url = f"sqlite:///{data_dir / 'new' / 'store.db'}"
    with driver_reads.open_store(url) as store:
        assert store is None
    assert not (data_dir / "new" / "store.db").exists()
    assert cli.main(["jobs", "--db", url]) == 0
    assert capsys.readouterr().out == ""
    with driver_reads.open_store(url) as store:
        assert store is not None
    get_engine.cache_clear()


def test_an_unreachable_store_is_reported_as_before(capsys):
    url = "postgresql+psycopg://postgres@127.0.0.1:1/labeldeck"
    assert parse_store_url(url) is not None
    assert cli.main(["jobs", "--db", url]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: The store cannot be reached. Nothing was changed;"), err
