"""Jobs of one name: two created at the same moment (the second is told so and nothing of theirs is written: the
name check and the insert are not one step, the database's unique name decides), and an import replacing a job
made in LabelDeck, whose hand-made label spec stays."""

from __future__ import annotations

import pytest

from core import ingest, manual_jobs, specs
from core.errors import BadInput
from tests.builders import ADMIN, table_counts, write_detection_job
from tests.manual_builders import animals_spec


def test_a_manual_job_whose_name_was_taken_meanwhile_is_refused_cleanly(engine, tmp_path, monkeypatch):
    files = write_detection_job(tmp_path / "in")
    spec = animals_spec(engine)
    manual_jobs.create_manual_job(engine=engine, name="m", spec_id=spec.id, images_dir=files.images_dir, actor=ADMIN)
    before = table_counts(engine)
    monkeypatch.setattr(manual_jobs, "_refuse_taken_name", lambda engine, name: None)  # both checks pass...
    monkeypatch.setattr(manual_jobs, "_refuse_taken_name_in", lambda session, name: None)
    with pytest.raises(BadInput, match="a job named 'm' was created by someone else at the same moment"):
        manual_jobs.create_manual_job(engine=engine, name="m", spec_id=spec.id, images_dir=files.images_dir,
                                      actor=ADMIN)  # ...and the insert meets the unique name
    assert table_counts(engine) == before


def test_an_import_whose_name_was_taken_meanwhile_is_refused_cleanly(engine, tmp_path, monkeypatch):
    files = write_detection_job(tmp_path / "in")
    kwargs = dict(engine=engine, name="street", images_dir=files.images_dir, pre_path=files.pre_path,
                  expert_path=files.expert_path, actor=ADMIN)
    ingest.import_detection(**kwargs)
    before = table_counts(engine)
    monkeypatch.setattr(ingest, "_refuse_existing", lambda engine, name, replace: None)
    monkeypatch.setattr(ingest, "existing_job", lambda session, name: None)
    with pytest.raises(BadInput, match="job 'street': a job or label spec of that name was created at the same"):
        ingest.import_detection(**kwargs)
    assert table_counts(engine) == before


def test_replacing_a_job_made_in_labeldeck_keeps_its_hand_made_spec(engine, tmp_path):
    files = write_detection_job(tmp_path / "in")
    spec = animals_spec(engine)  # written by hand, used by this one job only
    manual_jobs.create_manual_job(engine=engine, name="m", spec_id=spec.id, images_dir=files.images_dir, actor=ADMIN)
    replaced = ingest.import_detection(engine=engine, name="m", images_dir=files.images_dir, pre_path=files.pre_path,
                                       expert_path=files.expert_path, replace=True, actor=ADMIN)
    assert replaced.spec_id != spec.id
    assert spec_names(engine) == ["animals", "m"]  # the hand-made spec stays beside the import's own
    ingest.import_detection(engine=engine, name="m", images_dir=files.images_dir, pre_path=files.pre_path,
                            expert_path=files.expert_path, replace=True, actor=ADMIN)
    assert spec_names(engine) == ["animals", "m"]  # the first import's spec went with the job it made


def spec_names(engine) -> list[str]:
    return [s.spec.name for s in specs.list_specs(engine=engine)]
