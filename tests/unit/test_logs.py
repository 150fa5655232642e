"""Structured logs: review actions and sign-ins as JSON lines with searchable fields."""

from __future__ import annotations

import hashlib
import io
import json
import logging

import pytest

from core.auth import users
from core.jobs import ingest
from core.ops.logs import FIELDS, JsonLines, Text, configure_logging, log_event
from core.review import decisions as review
from tests.builders import ADMIN, as_reviewer, write_detection_job


def test_a_record_becomes_one_json_object_with_its_fields_on_top():
    logger = logging.getLogger("labeldeck.test")
    record = logger.makeRecord(
        "labeldeck.test",
        logging.INFO,
        __file__,
        1,
        "review.move",
        (),
        None,
        extra={FIELDS: {"job_id": 3, "reviewer": "rita@labs.example", "moved": 12}},
    )
    line = JsonLines().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert {k: entry[k] for k in ("level", "logger", "event", "job_id", "reviewer", "moved")} == {
        "level": "info",
        "logger": "labeldeck.test",
        "event": "review.move",
        "job_id": 3,
        "reviewer": "rita@labs.example",
        "moved": 12,
    }
    assert entry["ts"].endswith("+00:00")
    assert Text("%(message)s").format(record) == "review.move job_id=3 reviewer=rita@labs.example moved=12"


def test_configure_logging_sets_one_handler_once(monkeypatch):
    logger = logging.getLogger("labeldeck")
    monkeypatch.setattr(logger, "handlers", [])
    monkeypatch.delattr(logger, "_labeldeck_configured", raising=False)
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    configure_logging({"LABELDECK_LOG_LEVEL": "info"})
    configure_logging({})
    assert len(logger.handlers) == 1 and not logger.propagate
    log_event(logging.getLogger("labeldeck.review"), "review.move", job_id=1)
    assert json.loads(stream.getvalue())["event"] == "review.move"


@pytest.fixture
def job(engine, tmp_path) -> int:
    files = write_detection_job(tmp_path / "in")
    return ingest.import_detection(
        actor=ADMIN,
        engine=engine,
        name="street",
        images_dir=files.images_dir,
        pre_path=files.pre_path,
        expert_path=files.expert_path,
    ).id


@pytest.fixture
def audit(caplog, monkeypatch):
    """caplog on the "labeldeck" logger itself: configure_logging (run by any CLI test before) stops propagation."""
    logger = logging.getLogger("labeldeck")
    monkeypatch.setattr(logger, "handlers", [caplog.handler])
    monkeypatch.setattr(logger, "level", logging.INFO)
    return caplog


def fields(caplog, event: str) -> list[dict]:
    return [getattr(r, FIELDS) for r in caplog.records if r.getMessage() == event]


def test_every_review_action_is_logged_with_who_what_and_how_many(engine, job, audit):
    caplog = audit
    with engine.connect() as conn:
        ids = [r[0] for r in conn.exec_driver_sql(f"SELECT id FROM result WHERE job_id = {job} ORDER BY id")]
    done = review.reject(
        engine=engine,
        job_id=job,
        result_ids=ids[:3],
        from_state="pending",
        actor=as_reviewer("rita"),
        reason="wrong class",
    )
    review.undo_last(engine=engine, job_id=job, actor=as_reviewer("rita"))
    (moved,) = fields(caplog, "review.move")
    assert {k: v for k, v in moved.items() if k != "duration_ms"} == {
        "job_id": job,
        "reviewer": "rita",
        "from_state": "pending",
        "to_state": "rejected",
        "reason": "wrong class",
        "event_id": done.event_id,
        "requested": 3,
        "moved": 3,
        "changed_elsewhere": 0,
    }
    assert moved["duration_ms"] >= 0
    (undone,) = fields(caplog, "review.undo")
    assert (undone["reviewer"], undone["undoes_event_id"], undone["moved"]) == ("rita", done.event_id, 3)


def test_sign_ins_are_logged_without_the_password(engine, audit):
    caplog = audit
    users.add_user(engine=engine, name="ann", role="viewer", password="correct horse battery", actor=ADMIN)
    with pytest.raises(users.SignInRefused):
        users.authenticate(engine=engine, name="ann", password="guess one")
    with pytest.raises(users.SignInRefused):
        users.authenticate(engine=engine, name="nobody", password="guess two")
    users.authenticate(engine=engine, name="ann", password="correct horse battery")
    assert fields(caplog, "user.sign_in_refused") == [
        {"user": "ann", "account": True, "failed_attempts": 1, "locked": False},
        {"account": False, "name_digest": hashlib.sha256(b"nobody").hexdigest()[:12]},
    ]  # maybe a mistyped password
    assert fields(caplog, "user.signed_in") == [{"user": "ann", "role": "viewer"}]
    assert "guess" not in caplog.text and "correct horse" not in caplog.text
