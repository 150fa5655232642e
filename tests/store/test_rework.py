"""Rework: rejected results sent back to an expert in a new manual label job, relabelled there as the Annotate page
does (core.jobs.expert_labels), and brought back to the origin job as Pending Review when that job is submitted. The
origin's event log still replays to every result's state. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from bench.load_reconcile import reconcile
from core.analysis.results_frame import load_results, review_states
from core.auth.access import Actor, Role
from core.domain.errors import BadInput, Forbidden
from core.exports import build_download
from core.jobs import ingest
from core.jobs.expert_labels import editor_state, save_expert_label, skip_sample
from core.jobs.lookup import get_job
from core.jobs.rework import create_rework_job, rework_notes
from core.jobs.submit import submit_job
from core.jobs.summaries import delete_job
from core.review import decisions as review
from core.review.history import move_of, result_history
from core.review.resultsets import create_resultset
from tests.builders import ADMIN, as_reviewer, write_classification_job, write_detection_job
from tests.manual_builders import sample_ids
from tests.store.test_review_concurrency import _check_replay, states

REASONS = {"relabeled": "it is a cat", "added": "no bird here", "removed": "the dog is there"}


@pytest.fixture
def origin(engine, tmp_path):
    """The standard detection job (tests/builders.py) with three results rejected, each with its reason."""
    files = write_detection_job(tmp_path / "in")
    job = ingest.import_detection(
        actor=ADMIN,
        engine=engine,
        name="street",
        images_dir=files.images_dir,
        pre_path=files.pre_path,
        expert_path=files.expert_path,
    )
    for kind, reason in REASONS.items():
        review.reject(
            engine=engine,
            job_id=job.id,
            result_ids=[result_of(engine, job.id, kind)],
            from_state="pending",
            actor=as_reviewer("rita"),
            reason=reason,
        )
    return job


def result_of(engine, job_id: int, change_kind: str) -> int:
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT id FROM result WHERE job_id = :j AND change_kind = :k"), {"j": job_id, "k": change_kind}
        ).scalar_one()


def rows(engine, job_id: int) -> list[tuple]:
    """(file, change kind, expert class, pre class, review state) of every result, sorted."""
    with engine.connect() as conn:
        found = conn.execute(
            text(
                "SELECT s.file_path, r.change_kind, ec.name, pc.name, COALESCE(st.state, 'pending') FROM result r "
                "LEFT JOIN reviewstate st ON st.result_id = r.id "
                "JOIN sample s ON s.id = r.sample_id LEFT JOIN labelclass ec ON ec.id = r.expert_class_id "
                "LEFT JOIN labelclass pc ON pc.id = r.pre_class_id WHERE r.job_id = :j"
            ),
            {"j": job_id},
        ).all()
    return sorted((tuple(r) for r in found), key=repr)


def test_rejected_results_go_to_a_rework_job_and_come_back_pending(engine, origin):
    rejected = sorted(result_of(engine, origin.id, kind) for kind in REASONS)
    made = create_rework_job(engine=engine, job_id=origin.id, name="street rework", actor=as_reviewer("rita"))
    rework = made.job
    assert (made.results, made.already_sent_back) == (3, 0)
    assert (rework.kind, rework.tag, rework.status, rework.origin_job_id, rework.image_count) == (
        "manual",
        "M-LA-OD",
        "IN_PROGRESS",
        origin.id,
        2,
    )
    assert rework.pre_label_source == f"rework of job #{origin.id} street"
    samples = sample_ids(engine, rework.id)
    # the current expert labels of the results sent back are the pre-labels; a removed result has none
    a, b = (editor_state(engine=engine, job_id=rework.id, sample_id=samples[f]) for f in ("a.png", "b.png"))
    assert (a.source, a.bboxes, [a.class_names[i] for i in a.labels]) == ("pre", [[50, 10, 20, 20]], ["dog"])
    assert (b.bboxes, [b.class_names[i] for i in b.labels]) == ([[0, 0, 10, 10]], ["bird"])
    # the annotator sees why each was rejected, per image
    notes = {
        f: [
            (n.class_name, n.box, n.reason) for n in rework_notes(engine=engine, job_id=rework.id, sample_id=samples[f])
        ]
        for f in samples
    }
    assert notes == {
        "a.png": [("dog", (50, 10, 20, 20), "it is a cat")],
        "b.png": [("bird", (0, 0, 10, 10), "no bird here"), ("(removed)", None, "the dog is there")],
    }
    # sending back records the loop's start; the results stay rejected meanwhile
    sent = review.list_events(engine=engine, job_id=origin.id, limit=1)[0]
    assert (sent.from_state, sent.to_state, sent.result_ids, sent.rework_job_id) == (
        "rejected",
        "rejected",
        rejected,
        rework.id,
    )

    # relabelled as the Annotate page saves: a.png's dog is a cat; b.png has no bird but the dog the expert removed
    save_expert_label(
        engine=engine,
        job_id=rework.id,
        sample_id=samples["a.png"],
        actor=as_reviewer("ada"),
        boxes=[{"bbox": [50, 10, 20, 20], "label": "cat"}],
    )
    save_expert_label(
        engine=engine,
        job_id=rework.id,
        sample_id=samples["b.png"],
        actor=as_reviewer("ada"),
        boxes=[{"bbox": [20, 20, 10, 10], "label": "dog"}],
    )
    before = get_job(engine, origin.id)
    submitted = submit_job(engine=engine, job_id=rework.id, actor=as_reviewer("ada"))
    assert submitted.status == "READY"

    # the origin: the rejected results replaced by new pending ones, matched against the origin's pre-labels
    assert rows(engine, origin.id) == sorted(
        [
            ("a.png", "unchanged", "cat", "cat", "pending"),
            ("a.png", "relabeled", "dog", "cat", "reworked"),
            ("a.png", "adjusted", "cat", "cat", "pending"),
            ("a.png", "unchanged", "cat", "cat", "pending"),  # the dog box, relabelled cat as its pre-label was
            ("b.png", "added", "bird", None, "reworked"),
            ("b.png", "adjusted", "dog", "dog", "pending"),
            ("b.png", "removed", None, "dog", "reworked"),
            ("b.png", "unchanged", "dog", "dog", "pending"),  # the removed dog, restored
        ],
        key=repr,
    )
    after = get_job(engine, origin.id)
    assert after.data_revision == before.data_revision + 1
    assert after.result_count == 5
    frame = load_results(engine, after)  # the cache of the new revision holds no reworked result
    assert frame.height == 5 and not set(frame["result_id"]) & set(rejected)
    assert review_states(engine, origin.id).is_empty()  # everything left to review is pending

    # history: the replaced results end reworked, the new ones arrive pending, both linked to the rework job
    back = review.list_events(engine=engine, job_id=origin.id, limit=1)[0]
    assert (back.reviewer, back.rework_job_id, back.from_state, back.to_state) == ("ada", rework.id, None, None)
    new_ids = sorted(set(back.result_ids) - set(rejected))
    assert len(new_ids) == 2
    for result_id in rejected:
        assert [move_of(e, result_id) for e in result_history(engine=engine, job_id=origin.id, result_id=result_id)][
            -2:
        ] == [("rejected", "rejected"), ("rejected", "reworked")]
    for result_id in new_ids:
        [event] = result_history(engine=engine, job_id=origin.id, result_id=result_id)
        assert (event.id, move_of(event, result_id)) == (back.id, ("pending", "pending"))
    _check_replay(engine, origin.id)
    check = reconcile(engine, origin.id)  # the load test's reconciliation agrees
    assert check.ok and check.events == 5, check.problems
    # sending back and bringing back are no review actions: nobody's undo reverts them
    assert review.undo_last(engine=engine, job_id=origin.id, actor=as_reviewer("ada")) is None


def test_a_class_picks_what_is_sent_back_and_nothing_is_sent_twice(engine, origin):
    made = create_rework_job(
        engine=engine, job_id=origin.id, classes=["(removed)"], name="removed only", actor=as_reviewer("rita")
    )
    assert (made.results, made.job.image_count) == (1, 1)
    again = create_rework_job(engine=engine, job_id=origin.id, name="the rest", actor=as_reviewer("rita"))
    assert (again.results, again.already_sent_back) == (2, 1)
    with pytest.raises(BadInput, match="were sent back already"):
        create_rework_job(engine=engine, job_id=origin.id, name="third", actor=as_reviewer("rita"))
    with pytest.raises(BadInput, match="not a class of job"):
        create_rework_job(engine=engine, job_id=origin.id, classes=["horse"], name="x", actor=as_reviewer("rita"))


def test_picked_results_only(engine, origin):
    picked = result_of(engine, origin.id, "added")
    made = create_rework_job(
        engine=engine,
        job_id=origin.id,
        result_ids=[picked, result_of(engine, origin.id, "unchanged")],
        name="picked",
        actor=as_reviewer("rita"),
    )
    assert made.results == 1  # the unchanged result is pending: only rejected ones go back


def test_refusals(engine, origin, tmp_path):
    files = write_detection_job(tmp_path / "clean")
    clean = ingest.import_detection(
        actor=ADMIN,
        engine=engine,
        name="clean",
        images_dir=files.images_dir,
        pre_path=files.pre_path,
        expert_path=files.expert_path,
    )
    with pytest.raises(BadInput, match="has no rejected results: nothing to send back"):
        create_rework_job(engine=engine, job_id=clean.id, name="nothing", actor=as_reviewer("rita"))
    with pytest.raises(Forbidden):
        create_rework_job(engine=engine, job_id=origin.id, name="viewer's", actor=Actor(name="lee", role=Role.VIEWER))
    with pytest.raises(BadInput, match="only rejected results"):
        create_rework_job(engine=engine, job_id=origin.id, from_state="pending", name="p", actor=as_reviewer("rita"))
    with pytest.raises(BadInput, match="already exists"):
        create_rework_job(engine=engine, job_id=origin.id, name="street", actor=as_reviewer("rita"))
    assert get_job(engine, origin.id).review_revision == 3  # the three rejects: a refusal records nothing


def test_an_image_whose_result_was_decided_meanwhile_or_skipped_stays_out(engine, origin):
    rework = create_rework_job(engine=engine, job_id=origin.id, name="rework", actor=as_reviewer("rita")).job
    samples = sample_ids(engine, rework.id)
    review.accept(
        engine=engine,
        job_id=origin.id,
        result_ids=[result_of(engine, origin.id, "relabeled")],
        from_state="rejected",
        actor=as_reviewer("bob"),
    )
    save_expert_label(
        engine=engine,
        job_id=rework.id,
        sample_id=samples["a.png"],
        actor=as_reviewer("ada"),
        boxes=[{"bbox": [50, 10, 20, 20], "label": "cat"}],
    )
    skip_sample(engine=engine, job_id=rework.id, sample_id=samples["b.png"], actor=as_reviewer("ada"))
    before = rows(engine, origin.id)
    submit_job(engine=engine, job_id=rework.id, actor=as_reviewer("ada"), allow_unlabelled=True)
    assert rows(engine, origin.id) == before  # bob's decision stands; the skipped image brings nothing back
    _check_replay(engine, origin.id)


def test_classification_rework_keeps_the_origin_pre_label(engine, tmp_path):
    files = write_classification_job(tmp_path / "in")
    job = ingest.import_classification(
        actor=ADMIN, engine=engine, name="fruit", images_dir=files.images_dir, csv_path=files.csv_path
    )
    with engine.connect() as conn:
        wrong = conn.execute(
            text(
                "SELECT r.id FROM result r JOIN sample s ON s.id = r.sample_id "
                "WHERE r.job_id = :j AND s.file_path = 'c2.png'"
            ),
            {"j": job.id},
        ).scalar_one()
    review.reject(
        engine=engine,
        job_id=job.id,
        result_ids=[wrong],
        from_state="pending",
        actor=as_reviewer("rita"),
        reason="a plum",
    )
    rework = create_rework_job(engine=engine, job_id=job.id, name="fruit rework", actor=as_reviewer("rita")).job
    [sample] = sample_ids(engine, rework.id).values()
    state = editor_state(engine=engine, job_id=rework.id, sample_id=sample)
    assert state.class_names[state.class_index] == "pear"
    save_expert_label(engine=engine, job_id=rework.id, sample_id=sample, actor=as_reviewer("ada"), class_name="plum")
    submit_job(engine=engine, job_id=rework.id, actor=as_reviewer("ada"))
    assert [r for r in rows(engine, job.id) if r[0] == "c2.png"] == [
        ("c2.png", "relabeled", "pear", "apple", "reworked"),
        ("c2.png", "relabeled", "plum", "apple", "pending"),
    ]
    assert get_job(engine, job.id).result_count == 4
    assert states(engine, job.id)[wrong] == "reworked"
    _check_replay(engine, job.id)


def test_a_rework_job_whose_origin_was_deleted_submits_as_a_plain_job(engine, origin):
    rework = create_rework_job(engine=engine, job_id=origin.id, name="orphan", actor=as_reviewer("rita")).job
    samples = sample_ids(engine, rework.id)
    delete_job(engine=engine, job_id=origin.id, actor=ADMIN)
    assert get_job(engine, rework.id).origin_job_id is None
    assert rework_notes(engine=engine, job_id=rework.id, sample_id=samples["a.png"]) == []  # the results are gone
    save_expert_label(
        engine=engine,
        job_id=rework.id,
        sample_id=samples["a.png"],
        actor=as_reviewer("ada"),
        boxes=[{"bbox": [50, 10, 20, 20], "label": "cat"}],
    )
    done = submit_job(engine=engine, job_id=rework.id, actor=as_reviewer("ada"), allow_unlabelled=True)
    assert (done.status, done.result_count) == ("READY", 1)


def test_an_image_whose_rejected_results_came_back_and_were_accepted_exports_as_complete(engine, origin):
    """The reworked results stay in the store for the history, but no longer belong to their image: once what came
    back is accepted, the image is complete and a default export holds it."""
    rework = create_rework_job(engine=engine, job_id=origin.id, name="street rework", actor=as_reviewer("rita")).job
    samples = sample_ids(engine, rework.id)
    save_expert_label(
        engine=engine,
        job_id=rework.id,
        sample_id=samples["a.png"],
        actor=as_reviewer("ada"),
        boxes=[{"bbox": [50, 10, 20, 20], "label": "cat"}],
    )
    save_expert_label(
        engine=engine,
        job_id=rework.id,
        sample_id=samples["b.png"],
        actor=as_reviewer("ada"),
        boxes=[{"bbox": [20, 20, 10, 10], "label": "dog"}],
    )
    submit_job(engine=engine, job_id=rework.id, actor=as_reviewer("ada"))
    review.accept(
        engine=engine,
        job_id=origin.id,
        result_ids=load_results(engine, get_job(engine, origin.id))["result_id"].to_list(),
        from_state="pending",
        actor=as_reviewer("rita"),
    )
    saved = create_resultset(engine=engine, job_id=origin.id, name="all back", actor=ADMIN)
    coco = json.loads(build_download(engine=engine, resultset_id=saved.id, format="coco", actor=ADMIN).data)
    assert sorted(image["file_name"] for image in coco["images"]) == ["a.png", "b.png"]
    assert len(coco["annotations"]) == 5
    assert coco["info"]["left_out"] == {"pending": 0, "rejected": 0, "accepted_since_saved": 0}
