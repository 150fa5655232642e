"""Roles are enforced by the services themselves: every call that changes the store is refused for a role that may
not make it (Forbidden, naming who and the role needed) before anything is written, whatever a page shows."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlmodel import Session, select

from core import exports
from core.auth import users
from core.auth.access import Actor, Role
from core.domain.errors import Forbidden
from core.jobs import ingest, specs
from core.jobs import manual as manual_jobs
from core.jobs.expert_labels import reset_sample, save_expert_label, skip_sample
from core.jobs.specs import ClassInput
from core.jobs.submit import submit_job
from core.jobs.summaries import delete_job
from core.review import decisions as review
from core.review import resultsets
from core.store import models
from tests.builders import ADMIN, as_reviewer, table_counts, write_detection_job
from tests.manual_builders import animals_spec, sample_ids
from tests.resultset_builders import accept as accept_directly

VIEWER = Actor(name="lee", role=Role.VIEWER)
REVIEWER = Actor(name="rita", role=Role.REVIEWER)


@pytest.fixture
def world(engine, tmp_path, job, ids):
    """A READY job with an accepted result and a ResultSet, an IN_PROGRESS manual job, a spec and an account."""
    accept_directly(engine, ids[:2])
    saved = resultsets.create_resultset(engine=engine, job_id=job.id, name="kept", actor=REVIEWER)
    files = write_detection_job(tmp_path / "manual")
    spec = animals_spec(engine)
    manual = manual_jobs.create_manual_job(
        engine=engine, name="m", spec_id=spec.id, images_dir=files.images_dir, actor=ADMIN
    )
    save_expert_label(
        engine=engine, job_id=manual.id, sample_id=sample_ids(engine, manual.id)["b.png"], boxes=[], actor=REVIEWER
    )  # one image labelled: the job can be submitted
    users.add_user(engine=engine, name="ann", role="viewer", password=None, actor=ADMIN)
    return {
        "job": job,
        "ids": ids,
        "resultset": saved,
        "manual": manual,
        "spec": spec,
        "files": files,
        "sample": sample_ids(engine, manual.id)["a.png"],
        "tmp": tmp_path,
    }


# Each call as a function of (engine, world, actor); the least role that may make it.
CALLS: dict[str, tuple[Role, Callable]] = {
    "review.accept": (
        Role.REVIEWER,
        lambda e, w, a: review.accept(engine=e, job_id=w["job"].id, result_ids=w["ids"], from_state=None, actor=a),
    ),
    "review.reject": (
        Role.REVIEWER,
        lambda e, w, a: review.reject(
            engine=e, job_id=w["job"].id, result_ids=w["ids"], from_state=None, actor=a, reason="wrong class"
        ),
    ),
    "review.move_to_pending": (
        Role.REVIEWER,
        lambda e, w, a: review.move_to_pending(
            engine=e, job_id=w["job"].id, result_ids=w["ids"], from_state="accepted", actor=a
        ),
    ),
    "review.undo_last": (Role.REVIEWER, lambda e, w, a: review.undo_last(engine=e, job_id=w["job"].id, actor=a)),
    "resultsets.create_resultset": (
        Role.REVIEWER,
        lambda e, w, a: resultsets.create_resultset(engine=e, job_id=w["job"].id, name="again", actor=a),
    ),
    "resultsets.rename_resultset": (
        Role.REVIEWER,
        lambda e, w, a: resultsets.rename_resultset(engine=e, resultset_id=w["resultset"].id, name="renamed", actor=a),
    ),
    "resultsets.delete_resultset": (
        Role.REVIEWER,
        lambda e, w, a: resultsets.delete_resultset(engine=e, resultset_id=w["resultset"].id, actor=a),
    ),
    "exports.build_download": (
        Role.REVIEWER,
        lambda e, w, a: exports.build_download(engine=e, resultset_id=w["resultset"].id, format="coco", actor=a),
    ),
    "exports.write_export": (
        Role.REVIEWER,
        lambda e, w, a: exports.write_export(
            engine=e, resultset_id=w["resultset"].id, format="csv", out=w["tmp"] / "out.csv", actor=a
        ),
    ),
    "exports.export_to_table": (
        Role.REVIEWER,
        lambda e, w, a: exports.export_to_table(engine=e, resultset_id=w["resultset"].id, table="kept_rows", actor=a),
    ),
    "expert_labels.save_expert_label": (
        Role.REVIEWER,
        lambda e, w, a: save_expert_label(engine=e, job_id=w["manual"].id, sample_id=w["sample"], boxes=[], actor=a),
    ),
    "expert_labels.skip_sample": (
        Role.REVIEWER,
        lambda e, w, a: skip_sample(engine=e, job_id=w["manual"].id, sample_id=w["sample"], actor=a),
    ),
    "expert_labels.reset_sample": (
        Role.REVIEWER,
        lambda e, w, a: reset_sample(engine=e, job_id=w["manual"].id, sample_id=w["sample"], actor=a),
    ),
    "manual_jobs.submit_job": (
        Role.REVIEWER,
        lambda e, w, a: submit_job(engine=e, job_id=w["manual"].id, actor=a, allow_unlabelled=True),
    ),
    "manual_jobs.create_manual_job": (
        Role.ADMIN,
        lambda e, w, a: manual_jobs.create_manual_job(
            engine=e, name="m2", spec_id=w["spec"].id, images_dir=w["files"].images_dir, actor=a
        ),
    ),
    "ingest.import_detection": (
        Role.ADMIN,
        lambda e, w, a: ingest.import_detection(
            engine=e,
            name="imported",
            images_dir=w["files"].images_dir,
            pre_path=w["files"].pre_path,
            expert_path=w["files"].expert_path,
            actor=a,
        ),
    ),
    "specs.create_spec": (
        Role.ADMIN,
        lambda e, w, a: specs.create_spec(
            engine=e,
            name="shapes",
            task="classification",
            classes=[ClassInput(name="o"), ClassInput(name="x")],
            actor=a,
        ),
    ),
    "specs.update_spec": (
        Role.ADMIN,
        lambda e, w, a: specs.update_spec(
            engine=e, spec_id=w["spec"].id, classes=[ClassInput(name="cat")], name="renamed", actor=a
        ),
    ),
    "jobs.delete_job": (Role.ADMIN, lambda e, w, a: delete_job(engine=e, job_id=w["manual"].id, actor=a)),
    "users.add_user": (
        Role.ADMIN,
        lambda e, w, a: users.add_user(engine=e, name="zed", role="admin", password="long enough password", actor=a),
    ),
    "users.set_role": (Role.ADMIN, lambda e, w, a: users.set_role(engine=e, name="ann", role="admin", actor=a)),
    "users.set_password": (
        Role.ADMIN,
        lambda e, w, a: users.set_password(engine=e, name="ann", password="long enough password", actor=a),
    ),
    "users.remove_user": (Role.ADMIN, lambda e, w, a: users.remove_user(engine=e, name="ann", actor=a)),
}
REFUSED = [
    (name, role)
    for name, (least, _) in CALLS.items()
    for role in Role
    if list(Role).index(role) < list(Role).index(least)
]


def snapshot(engine) -> tuple:
    with Session(engine) as session:
        return (
            table_counts(engine),
            sorted(session.exec(select(models.ReviewState.result_id, models.ReviewState.state)).all()),
            sorted(session.exec(select(models.AppUser.name, models.AppUser.role)).all()),
            sorted(session.exec(select(models.ResultSet.name)).all()),
            sorted(session.exec(select(models.Sample.id, models.Sample.label_status)).all()),
            sorted(session.exec(select(models.LabelSpec.name)).all()),
        )


@pytest.mark.parametrize(("call", "role"), REFUSED, ids=[f"{c}-{r.value}" for c, r in REFUSED])
def test_a_role_below_the_call_is_refused_and_nothing_changes(engine, world, call, role):
    before = snapshot(engine)
    actor = Actor(name="lee", role=role)
    with pytest.raises(
        Forbidden,
        match=rf"^lee is a {role.value} and may not .+: that needs the "
        rf"{CALLS[call][0].value} role$",
    ):
        CALLS[call][1](engine, world, actor)
    assert snapshot(engine) == before
    assert not (world["tmp"] / "out.csv").exists()


def _states(engine, ids: list[int]) -> list[str]:
    """The review state of each result (no ReviewState row: pending)."""
    with Session(engine) as session:
        stored = dict(session.exec(select(models.ReviewState.result_id, models.ReviewState.state)).all())
    return [stored.get(i, "pending") for i in ids]


def _names(engine, column) -> set:
    with Session(engine) as session:
        return set(session.exec(select(column)).all())


def _roles(engine) -> dict[str, str]:
    with Session(engine) as session:
        return {
            name: getattr(role, "value", role)
            for name, role in session.exec(select(models.AppUser.name, models.AppUser.role)).all()
        }


def _status(engine, world) -> str:
    with Session(engine) as session:
        return session.get(models.Sample, world["sample"]).label_status


# Before a call whose effect needs something to act on: an action to undo, a label to reset.
PREPARE: dict[str, Callable] = {
    "review.undo_last": lambda e, w: review.reject(
        engine=e, job_id=w["job"].id, result_ids=w["ids"][2:3], from_state="pending", actor=REVIEWER
    ),
    "expert_labels.reset_sample": lambda e, w: save_expert_label(
        engine=e, job_id=w["manual"].id, sample_id=w["sample"], boxes=[], actor=REVIEWER
    ),
}

# What each call did, seen in the store (or in what it returned): (engine, world, returned) -> holds.
EFFECTS: dict[str, Callable] = {
    "review.accept": lambda e, w, r: r.moved == len(w["ids"]) - 2 and set(_states(e, w["ids"])) == {"accepted"},
    "review.reject": lambda e, w, r: r.moved == len(w["ids"]) and set(_states(e, w["ids"])) == {"rejected"},
    "review.move_to_pending": lambda e, w, r: r.moved == 2 and set(_states(e, w["ids"][:2])) == {"pending"},
    "review.undo_last": lambda e, w, r: r is not None and r.moved == 1 and _states(e, w["ids"][2:3]) == ["pending"],
    "resultsets.create_resultset": lambda e, w, r: _names(e, models.ResultSet.name) == {"kept", "again"},
    "resultsets.rename_resultset": lambda e, w, r: _names(e, models.ResultSet.name) == {"renamed"},
    "resultsets.delete_resultset": lambda e, w, r: _names(e, models.ResultSet.name) == set(),
    "exports.build_download": lambda e, w, r: len(r.data) > 0 and r.file_name.endswith(".json"),
    "exports.write_export": lambda e, w, r: (w["tmp"] / "out.csv").stat().st_size > 0,
    "exports.export_to_table": lambda e, w, r: (
        [t.name for t in exports.list_datalog_tables(engine=e, job_id=w["job"].id)] == ["kept_rows"]
    ),
    "expert_labels.save_expert_label": lambda e, w, r: _status(e, w) == "labelled",
    "expert_labels.skip_sample": lambda e, w, r: _status(e, w) == "skipped",
    "expert_labels.reset_sample": lambda e, w, r: r is True and _status(e, w) == "unlabelled",
    "manual_jobs.submit_job": lambda e, w, r: r.status == "READY",
    "manual_jobs.create_manual_job": lambda e, w, r: {"m", "m2"} <= _names(e, models.LabelJob.name),
    "ingest.import_detection": lambda e, w, r: r.name == "imported" and "imported" in _names(e, models.LabelJob.name),
    "specs.create_spec": lambda e, w, r: "shapes" in _names(e, models.LabelSpec.name),
    "specs.update_spec": lambda e, w, r: "renamed" in _names(e, models.LabelSpec.name),
    "jobs.delete_job": lambda e, w, r: "m" not in _names(e, models.LabelJob.name),
    "users.add_user": lambda e, w, r: _roles(e) == {"ann": "viewer", "zed": "admin"},
    "users.set_role": lambda e, w, r: _roles(e) == {"ann": "admin"},
    "users.set_password": lambda e, w, r: (
        users.authenticate(engine=e, name="ann", password="long enough password").name == "ann"
    ),
    "users.remove_user": lambda e, w, r: "ann" not in _names(e, models.AppUser.name),
}


def test_every_call_has_its_effect_checked():
    assert set(EFFECTS) == set(CALLS)


@pytest.mark.parametrize("call", list(CALLS))
def test_the_least_role_may_make_the_call(engine, world, call):
    least, make = CALLS[call]
    if call in PREPARE:
        PREPARE[call](engine, world)
    before = snapshot(engine)
    returned = make(engine, world, Actor(name="rita", role=least))  # no Forbidden
    assert EFFECTS[call](engine, world, returned), f"{call} as a {least.value} did not do its work"
    if call not in ("exports.build_download", "exports.write_export", "users.set_password"):
        assert snapshot(engine) != before  # it wrote to the store (the downloads and a password hash aside)


def test_review_events_carry_the_signed_in_identity(engine, world):
    review.reject(
        engine=engine,
        job_id=world["job"].id,
        result_ids=world["ids"][2:4],
        from_state="pending",
        actor=as_reviewer("rita@labs.example"),
    )
    events = review.list_events(engine=engine, job_id=world["job"].id)
    assert [(e.reviewer, e.to_state, e.result_count) for e in events] == [("rita@labs.example", "rejected", 2)]
    with Session(engine) as session:
        assert set(
            session.exec(
                select(models.ReviewState.reviewed_by).where(models.ReviewState.result_id.in_(world["ids"][2:4]))
            ).all()
        ) == {"rita@labs.example"}
