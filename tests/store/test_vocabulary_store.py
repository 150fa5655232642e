"""Every vocabulary StrEnum value written through the models comes back from the store as the same plain string it
always held, on SQLite and PostgreSQL (whose driver is stricter about Python types): no SQL ENUM, no enum name."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from core.domain.vocabulary import ChangeKind, JobKind, JobStatus, ReviewState, Task, job_tag
from core.store import models


def _raw(engine, sql: str, **params) -> list:
    with engine.connect() as conn:
        return list(conn.execute(text(sql), params).scalars())


def _plain(values: list) -> list:
    assert all(type(v) is str for v in values), values
    return values


def test_job_vocabulary_round_trips(engine):
    with Session(engine) as session:
        spec = models.LabelSpec(name="spec", task=Task.DETECTION)
        session.add(spec)
        session.flush()
        for i, status in enumerate(JobStatus):
            for kind in JobKind:
                for task in Task:
                    session.add(
                        models.LabelJob(
                            name=f"{kind}-{task}-{status}-{i}",
                            kind=kind,
                            task=task,
                            tag=job_tag(kind, task),
                            status=status,
                            spec_id=spec.id,
                            image_root="images",
                            pre_label_source="test",
                            created_by="test",
                        )
                    )
        session.commit()
    assert _plain(_raw(engine, "SELECT task FROM labelspec")) == ["detection"]
    rows = _raw(engine, "SELECT status FROM labeljob ORDER BY id")
    assert _plain(rows) == [s.value for s in JobStatus for _ in range(4)]
    assert sorted(set(_plain(_raw(engine, "SELECT kind FROM labeljob")))) == ["auto", "manual"]
    assert sorted(set(_plain(_raw(engine, "SELECT task FROM labeljob")))) == ["classification", "detection"]
    for status in JobStatus:  # members as query parameters, through the ORM and as bound text
        with Session(engine) as session:
            found = session.exec(select(models.LabelJob).where(models.LabelJob.status == status)).all()
        assert len(found) == 4 and all(job.status == status for job in found)
        assert len(_raw(engine, "SELECT id FROM labeljob WHERE status = :s", s=status)) == 4
    with Session(engine) as session:
        job = session.exec(
            select(models.LabelJob).where(
                models.LabelJob.kind == JobKind.MANUAL, models.LabelJob.status == JobStatus.READY
            )
        ).first()
        assert job.is_reviewable and not job.is_labellable


def test_result_vocabulary_round_trips(engine):
    with Session(engine) as session:
        spec = models.LabelSpec(name="spec", task=Task.DETECTION)
        session.add(spec)
        session.flush()
        job = models.LabelJob(
            name="job",
            kind=JobKind.MANUAL,
            task=Task.DETECTION,
            tag="M-LA-OD",
            status=JobStatus.READY,
            spec_id=spec.id,
            image_root="images",
            pre_label_source="test",
            created_by="test",
        )
        session.add(job)
        session.flush()
        sample = models.Sample(job_id=job.id, file_path="a.jpg", width=10, height=10)
        session.add(sample)
        session.flush()
        results = [
            models.Result(job_id=job.id, sample_id=sample.id, class_changed=False, change_kind=kind)
            for kind in ChangeKind
        ]
        session.add_all(results)
        session.flush()
        states = [s for s in ReviewState if s is not ReviewState.PENDING]  # a pending result has no row
        session.add_all(models.ReviewState(result_id=r.id, job_id=job.id, state=s) for r, s in zip(results, states))
        session.add(
            models.ReviewEvent(
                job_id=job.id,
                reviewer="test",
                from_state=ReviewState.PENDING,
                to_state=ReviewState.ACCEPTED,
                result_count=1,
                result_ids=[results[0].id],
            )
        )
        session.add(
            models.ReviewEvent(
                job_id=job.id,
                reviewer="test",
                to_state=ReviewState.REJECTED,
                result_count=1,
                result_ids=[results[1].id],
                from_states={ReviewState.ACCEPTED: [results[1].id]},
            )
        )
        session.commit()
        job_id = job.id
    assert _plain(_raw(engine, "SELECT change_kind FROM result ORDER BY id")) == [k.value for k in ChangeKind]
    assert _plain(_raw(engine, "SELECT state FROM reviewstate ORDER BY result_id")) == [
        "accepted",
        "rejected",
        "reworked",
    ]
    assert _raw(engine, "SELECT from_state FROM reviewevent ORDER BY id") == ["pending", None]
    assert _plain(_raw(engine, "SELECT to_state FROM reviewevent ORDER BY id")) == ["accepted", "rejected"]
    with Session(engine) as session:
        events = session.exec(select(models.ReviewEvent).order_by(models.ReviewEvent.id)).all()
        assert list(events[1].from_states) == ["accepted"]
        assert session.exec(
            select(models.ReviewState).where(
                models.ReviewState.job_id == job_id, models.ReviewState.state == ReviewState.REWORKED
            )
        ).one()


@pytest.mark.parametrize("member", [*JobStatus, *JobKind, *Task, *ReviewState, *ChangeKind], ids=str)
def test_a_member_binds_as_its_value(engine, member):
    """The driver sends the value (`accepted`), never the name (`ACCEPTED`) as a driver's Enum adapter might."""
    assert _plain(_raw(engine, "SELECT :v", v=member)) == [member.value]
