"""`job create --images s3://bucket/prefix`: a manual label job whose images stay in a bucket (moto's S3 server on
127.0.0.1), listed and checked through core/storage, labelled and submitted like a folder's."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from core.domain.errors import BadInput
from core.jobs.expert_labels import editor_state
from core.jobs.manual import create_manual_job
from core.jobs.submit import submit_job
from core.storage import remote
from tests.builders import as_admin, as_reviewer, write_detection_job
from tests.manual_builders import animals_spec, label_like_the_expert_file, results_of
from tests.s3_server import s3_root, s3_server  # noqa: F401


def test_a_job_on_a_bucket_prefix_is_made_labelled_and_submitted_like_a_folder_job(engine, tmp_path, s3_root):
    files = write_detection_job(tmp_path / "in")
    s3_root.put_folder(files.images_dir)
    remote.requests.clear()
    steps = []
    job = create_manual_job(
        engine=engine,
        name="street",
        spec_id=animals_spec(engine).id,
        images_dir=f"{s3_root.root}/",
        pre_labels=("coco", files.pre_path),
        actor=as_admin("lead"),
        progress=lambda text, share: steps.append(text),
    )
    assert job.image_root == s3_root.root and job.image_count == 2
    assert any("of 2" in step for step in steps)
    assert remote.requests["cat"] == 2  # each image read once, for its size
    state = editor_state(engine=engine, job_id=job.id, sample_id=_any_sample(engine, job.id))
    assert state.image_path.is_file()  # the editor opens the cached copy: no second request
    assert remote.requests["cat"] == 2
    label_like_the_expert_file(engine, job.id)
    submitted = submit_job(engine=engine, job_id=job.id, actor=as_reviewer("ada"))
    assert submitted.status == "READY" and len(results_of(engine, job.id)) == 6

    folder = create_manual_job(
        engine=engine,
        name="street-local",
        spec_id=animals_spec(engine, "animals2").id,
        images_dir=files.images_dir,
        pre_labels=("coco", files.pre_path),
        actor=as_admin("lead"),
    )
    label_like_the_expert_file(engine, folder.id)
    submit_job(engine=engine, job_id=folder.id, actor=as_reviewer("ada"))
    assert results_of(engine, folder.id) == results_of(engine, job.id)


def test_a_bucket_url_with_credentials_is_refused_before_anything_is_read(engine):
    with pytest.raises(BadInput, match="credentials") as refused:
        create_manual_job(
            engine=engine,
            name="street",
            spec_id=animals_spec(engine).id,
            images_dir="s3://AKIAEXAMPLE:very-secret@bucket/images",
            actor=as_admin("lead"),
        )
    assert "very-secret" not in str(refused.value)


def _any_sample(engine, job_id: int) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT min(id) FROM sample WHERE job_id = :j"), {"j": job_id}).scalar()
