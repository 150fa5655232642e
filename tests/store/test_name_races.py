"""Jobs of one name: two created at the same moment (the second is told so and nothing of theirs is written: the
name check and the insert are not one step, the database's unique name decides), and an import replacing a job
made in LabelDeck, whose hand-made label spec stays; deleting a job."""

from __future__ import annotations

import pytest

from core import exports
from core.domain.errors import BadInput, NotFound
from core.jobs import ingest, saving, specs
from core.jobs import manual as manual_jobs
from core.jobs.summaries import delete_job, list_jobs
from core.review import decisions as review
from core.review import resultsets
from tests.builders import ADMIN, as_reviewer, job_rows, table_counts, write_detection_job
from tests.manual_builders import animals_spec


def test_a_manual_job_whose_name_was_taken_meanwhile_is_refused_cleanly(engine, tmp_path, monkeypatch):
    files = write_detection_job(tmp_path / "in")
    spec = animals_spec(engine)
    manual_jobs.create_manual_job(engine=engine, name="m", spec_id=spec.id, images_dir=files.images_dir, actor=ADMIN)
    before = table_counts(engine)
    monkeypatch.setattr(manual_jobs, "_refuse_taken_name", lambda engine, name: None)  # both checks pass...
    monkeypatch.setattr(manual_jobs, "_refuse_taken_name_in", lambda session, name: None)
    with pytest.raises(BadInput, match="a job named 'm' was created by someone else at the same moment"):
        manual_jobs.create_manual_job(
            engine=engine, name="m", spec_id=spec.id, images_dir=files.images_dir, actor=ADMIN
        )  # ...and the insert meets the unique name
    assert table_counts(engine) == before


def test_an_import_whose_name_was_taken_meanwhile_is_refused_cleanly(engine, tmp_path, monkeypatch):
    files = write_detection_job(tmp_path / "in")
    kwargs = dict(
        engine=engine,
        name="street",
        images_dir=files.images_dir,
        pre_path=files.pre_path,
        expert_path=files.expert_path,
        actor=ADMIN,
    )
    ingest.import_detection(**kwargs)
    before = table_counts(engine)
    monkeypatch.setattr(ingest, "refuse_existing", lambda engine, name, replace: None)
    monkeypatch.setattr(saving, "existing_job", lambda session, name: None)
    with pytest.raises(BadInput, match="job 'street': a job or label spec of that name was created at the same"):
        ingest.import_detection(**kwargs)
    assert table_counts(engine) == before


def test_replacing_a_job_made_in_labeldeck_keeps_its_hand_made_spec(engine, tmp_path):
    files = write_detection_job(tmp_path / "in")
    spec = animals_spec(engine)  # written by hand, used by this one job only
    manual_jobs.create_manual_job(engine=engine, name="m", spec_id=spec.id, images_dir=files.images_dir, actor=ADMIN)
    replaced = ingest.import_detection(
        engine=engine,
        name="m",
        images_dir=files.images_dir,
        pre_path=files.pre_path,
        expert_path=files.expert_path,
        replace=True,
        actor=ADMIN,
    )
    assert replaced.spec_id != spec.id
    assert spec_names(engine) == ["animals", "m"]  # the hand-made spec stays beside the import's own
    ingest.import_detection(
        engine=engine,
        name="m",
        images_dir=files.images_dir,
        pre_path=files.pre_path,
        expert_path=files.expert_path,
        replace=True,
        actor=ADMIN,
    )
    assert spec_names(engine) == ["animals", "m"]  # the first import's spec went with the job it made


def spec_names(engine) -> list[str]:
    return [s.spec.name for s in specs.list_specs(engine=engine)]


def test_deleting_a_job_takes_everything_of_it_and_keeps_its_exported_tables(engine, tmp_path):
    files = write_detection_job(tmp_path / "in")
    kept = ingest.import_detection(
        engine=engine,
        name="kept",
        images_dir=files.images_dir,
        pre_path=files.pre_path,
        expert_path=files.expert_path,
        actor=ADMIN,
    )
    before = table_counts(engine)
    gone = ingest.import_detection(
        engine=engine,
        name="gone",
        images_dir=files.images_dir,
        pre_path=files.pre_path,
        expert_path=files.expert_path,
        actor=ADMIN,
    )
    ids = [r[0] for r in job_rows(engine, gone.id)["result"]]
    review.accept(engine=engine, job_id=gone.id, result_ids=ids, from_state="pending", actor=as_reviewer("ann"))
    saved = resultsets.create_resultset(engine=engine, job_id=gone.id, name="all", actor=ADMIN)
    exports.export_to_table(engine=engine, resultset_id=saved.id, table="gone_rows", actor=ADMIN)

    delete_job(engine=engine, job_id=gone.id, actor=ADMIN)
    after = table_counts(engine)
    assert {t: n for t, n in after.items() if t != "datalogtable"} == {
        t: n for t, n in before.items() if t != "datalogtable"
    }  # samples, results, events, ResultSets, its spec
    assert _datalog_registry(engine) == [("gone_rows", None, 6)]  # the exported rows stay, their job id cleared
    assert [j.name for j in list_jobs(engine=engine)] == ["kept"] and kept.id
    with pytest.raises(NotFound):
        delete_job(engine=engine, job_id=gone.id, actor=ADMIN)


def _datalog_registry(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql("SELECT name, job_id, row_count FROM datalogtable")]
