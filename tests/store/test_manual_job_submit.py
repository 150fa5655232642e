"""Submitting a manual label job: it is then READY and Visualize-ready like an imported job and its labels can no
longer change; submit lists the unlabelled images unless allowed to skip them, a skipped image is left out of the
results and exports, and labelling progress survives a new engine. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from core.analysis.results_frame import _cache_path, load_results
from core.analysis.stats import job_stats
from core.domain.errors import BadInput, NotFound
from core.jobs import ingest
from core.jobs.expert_labels import editor_state, labelling_progress, list_samples, save_expert_label, skip_sample
from core.jobs.lookup import get_job
from core.jobs.manual import create_manual_job
from core.jobs.submit import submit_job
from core.jobs.summaries import image_root, list_jobs
from core.review.resultsets import create_resultset
from tests.builders import ADMIN, as_admin, as_reviewer, table_counts, write_detection_job, write_image
from tests.manual_builders import animals_spec, label_like_the_expert_file, results_of, sample_ids
from tests.resultset_builders import result_ids, set_state


def test_a_submitted_job_is_visualize_ready_like_an_imported_one(engine, tmp_path):
    files = write_detection_job(tmp_path / "in")
    job = create_manual_job(
        engine=engine,
        name="street",
        spec_id=animals_spec(engine).id,
        images_dir=files.images_dir,
        pre_labels=("coco", files.pre_path),
        actor=as_admin("lead"),
    )
    [card] = list_jobs(engine=engine)
    assert (card.status, card.is_reviewable) == ("IN_PROGRESS", False)
    assert card.labelling == {"total": 2, "labelled": 0, "skipped": 0, "unlabelled": 2, "done_share": 0.0}
    label_like_the_expert_file(engine, job.id, files=["a.png"])
    assert list_jobs(engine=engine)[0].labelling["labelled"] == 1

    ready = submit_job(engine=engine, job_id=job.id, actor=as_reviewer("ada"), allow_unlabelled=True)

    assert _cache_path(engine, ready).exists()  # written as the importer writes it
    [card] = list_jobs(engine=engine)
    assert (card.status, card.is_reviewable, card.results, card.labelling) == ("READY", True, 3, None)
    frame = load_results(engine, get_job(engine, job.id))
    assert frame["class_row"].to_list() == ["cat", "dog", "cat"]
    stats = job_stats(engine=engine, job_id=job.id)
    assert stats["change_kinds"] == {"unchanged": 1, "adjusted": 1, "relabeled": 1, "added": 0, "removed": 0}
    assert image_root(ready) == files.images_dir.resolve()


def test_labels_cannot_change_once_the_job_is_ready(engine, tmp_path):
    files = write_detection_job(tmp_path / "in")
    job = create_manual_job(
        engine=engine,
        name="street",
        spec_id=animals_spec(engine).id,
        images_dir=files.images_dir,
        pre_labels=("coco", files.pre_path),
        actor=as_admin("lead"),
    )
    label_like_the_expert_file(engine, job.id)
    submit_job(engine=engine, job_id=job.id, actor=as_reviewer("ada"))
    before = table_counts(engine)
    a = sample_ids(engine, job.id)["a.png"]
    for change in (
        lambda: save_expert_label(engine=engine, job_id=job.id, sample_id=a, actor=as_reviewer("ada"), boxes=[]),
        lambda: skip_sample(engine=engine, job_id=job.id, sample_id=a, actor=as_reviewer("ada")),
        lambda: submit_job(engine=engine, job_id=job.id, actor=as_reviewer("ada")),
    ):
        with pytest.raises(
            BadInput,
            match=r"is a READY M-LA-OD job: labels change only while a manual label job "
            "is IN_PROGRESS",
        ):
            change()
    assert table_counts(engine) == before
    imported = ingest.import_detection(
        actor=ADMIN,
        engine=engine,
        name="imported",
        images_dir=files.images_dir,
        pre_path=files.pre_path,
        expert_path=files.expert_path,
    )
    with pytest.raises(BadInput, match="READY"):
        save_expert_label(
            engine=engine,
            job_id=imported.id,
            sample_id=sample_ids(engine, imported.id)["a.png"],
            actor=as_reviewer("ada"),
            boxes=[],
        )
    with pytest.raises(NotFound):
        submit_job(engine=engine, job_id=9999, actor=as_reviewer("ada"))


def test_submit_lists_the_unlabelled_images_unless_allowed_which_skips_them(engine, tmp_path):
    files = write_detection_job(tmp_path / "in")
    write_image(files.images_dir / "zz" / "c.png", 30, 20)
    job = create_manual_job(
        engine=engine,
        name="street",
        spec_id=animals_spec(engine).id,
        images_dir=files.images_dir,
        pre_labels=("coco", files.pre_path),
        actor=as_admin("lead"),
    )
    with pytest.raises(BadInput, match="no image has an expert label yet"):
        submit_job(engine=engine, job_id=job.id, actor=as_reviewer("ada"), allow_unlabelled=True)
    label_like_the_expert_file(engine, job.id, files=["a.png"])
    with pytest.raises(BadInput) as refused:
        submit_job(engine=engine, job_id=job.id, actor=as_reviewer("ada"))
    assert refused.value.problems[0].endswith(
        "2 of 3 images have no expert label; label or skip them, or submit allowing unlabelled images "
        "(--allow-unlabelled) to leave them out"
    )
    assert refused.value.problems[1:] == ["unlabelled: b.png", "unlabelled: zz/c.png"]
    assert get_job(engine, job.id).status == "IN_PROGRESS" and table_counts(engine)["result"] == 0

    submit_job(engine=engine, job_id=job.id, actor=as_reviewer("ada"), allow_unlabelled=True)

    statuses = dict(list_samples(engine=engine, job_id=job.id).select("file_path", "label_status").iter_rows())
    assert statuses == {"a.png": "labelled", "b.png": "skipped", "zz/c.png": "skipped"}
    # b.png's pre boxes did not turn into "removed": nobody reviewed b.png
    assert {r[0] for r in results_of(engine, job.id)} == {"a.png"}


def test_a_skipped_image_is_left_out_of_results_and_exports(engine, tmp_path):
    from core.exports.source import load_source

    files = write_detection_job(tmp_path / "in")
    write_image(files.images_dir / "c.png", 30, 20)
    job = create_manual_job(
        engine=engine,
        name="street",
        spec_id=animals_spec(engine).id,
        images_dir=files.images_dir,
        pre_labels=("coco", files.pre_path),
        actor=as_admin("lead"),
    )
    ids = sample_ids(engine, job.id)
    label_like_the_expert_file(engine, job.id, files=["a.png"])
    save_expert_label(engine=engine, job_id=job.id, sample_id=ids["c.png"], actor=as_reviewer("ada"), boxes=[])
    skip_sample(engine=engine, job_id=job.id, sample_id=ids["b.png"], actor=as_reviewer("ada"))
    submit_job(engine=engine, job_id=job.id, actor=as_reviewer("ada"))  # nothing unlabelled: no permission needed
    set_state(engine, result_ids(engine, job.id), "accepted")
    resultset = create_resultset(engine=engine, job_id=job.id, name="all", actor=as_admin("lead"))
    covered = load_source(engine=engine, resultset_id=resultset.id).images["file_path"].to_list()
    assert covered == ["a.png", "c.png"]  # c.png: labelled "nothing here"; b.png skipped: not exported


def test_progress_survives_a_new_engine(store_url, tmp_path):
    from core.store.db import get_engine

    files = write_detection_job(tmp_path / "in")
    engine = get_engine(store_url)
    job = create_manual_job(
        engine=engine,
        name="street",
        spec_id=animals_spec(engine).id,
        images_dir=files.images_dir,
        pre_labels=("coco", files.pre_path),
        actor=as_admin("lead"),
    )
    label_like_the_expert_file(engine, job.id, files=["b.png"])
    get_engine.cache_clear()
    engine.dispose()
    fresh = get_engine(store_url)
    assert labelling_progress(engine=fresh, job_id=job.id).labelled == 1
    state = editor_state(engine=fresh, job_id=job.id, sample_id=sample_ids(fresh, job.id)["b.png"])
    assert (state.source, state.bboxes, state.labels, state.labelled_by) == (
        "expert",
        [[0, 0, 10, 10], [0, 20, 10, 10]],
        [2, 1],
        "ada",
    )
