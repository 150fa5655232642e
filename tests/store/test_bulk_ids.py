"""core.store.bulk: insert_frame writes a frame's rows in its order on SQLite (multi-row statements over column batches, the
rows left over one by one) and PostgreSQL (COPY), and inserted_ids gives the ids those rows got: an id range when
the job's rows hold one, every id read when another job's rows came in between."""

from __future__ import annotations

import polars as pl
import pytest
from sqlalchemy import text

from core.store import bulk, models
from core.store.db import init_db, write_transaction


def _job(session, name: str) -> int:
    spec = models.LabelSpec(name=name, task="detection")
    session.add(spec)
    session.flush()
    job = models.LabelJob(
        name=name,
        kind="manual",
        task="detection",
        tag="M-LA-OD",
        status="READY",
        spec_id=spec.id,
        image_root="/images",
        pre_label_source="test",
        created_by="test",
    )
    session.add(job)
    session.flush()
    return job.id


def _samples(job_id: int, names: list[str], width: int = 64) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "job_id": [job_id] * len(names),
            "file_path": names,
            "width": [width] * len(names),
            "height": [40 + i % 3 for i in range(len(names))],
        },
        schema={"job_id": pl.Int64, "file_path": pl.String, "width": pl.Int64, "height": pl.Int64},
    )


def _stored(session, job_id: int) -> list[tuple]:
    return [
        tuple(r)
        for r in session.connection().execute(
            text("SELECT id, file_path, width, height FROM sample WHERE job_id = :j ORDER BY id"), {"j": job_id}
        )
    ]


def test_rows_go_in_in_frame_order_and_their_ids_are_one_range(engine, monkeypatch):
    init_db(engine)
    monkeypatch.setattr(bulk, "SQLITE_BATCH_ROWS", 7)  # several batches of whole groups
    monkeypatch.setattr(bulk, "SQLITE_VALUES_PER_STATEMENT", 8)  # 2 rows of 4 columns per statement, 1 left over
    monkeypatch.setattr(bulk, "COPY_CHUNK_ROWS", 7)
    names = [f"img_{i:03}.jpg" for i in range(31)][::-1]
    with write_transaction(engine) as session:
        job_id = _job(session, "ranged")
        frame = _samples(job_id, names)
        bulk.insert_frame(session, models.Sample.__table__, frame)
        ids = bulk.inserted_ids(session, models.Sample.__table__, job_id=job_id, count=frame.height)
        stored = _stored(session, job_id)
    assert ids.dtype == pl.Int64
    assert [
        (i, n, w, h) for i, (n, w, h) in zip(ids, frame.select("file_path", "width", "height").iter_rows())
    ] == stored


def test_ids_another_jobs_rows_came_between_are_each_read(engine):
    init_db(engine)
    with write_transaction(engine) as session:
        first, second = _job(session, "first"), _job(session, "second")
        bulk.insert_frame(session, models.Sample.__table__, _samples(first, ["a.jpg", "b.jpg"]))
        bulk.insert_frame(session, models.Sample.__table__, _samples(second, ["c.jpg"]))
        bulk.insert_frame(session, models.Sample.__table__, _samples(first, ["d.jpg", "e.jpg"]))
        ids = bulk.inserted_ids(session, models.Sample.__table__, job_id=first, count=4)
        stored = _stored(session, first)
        with pytest.raises(RuntimeError, match="has 4 rows, 5 were inserted"):
            bulk.inserted_ids(session, models.Sample.__table__, job_id=first, count=5)
    assert ids.to_list() == [row[0] for row in stored]
    assert ids[2] - ids[1] == 2


def test_an_empty_frame_writes_nothing(engine):
    init_db(engine)
    with write_transaction(engine) as session:
        job_id = _job(session, "empty")
        bulk.insert_frame(session, models.Sample.__table__, _samples(job_id, []))
        assert bulk.inserted_ids(session, models.Sample.__table__, job_id=job_id, count=0).to_list() == []
