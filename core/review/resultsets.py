"""ResultSets: named, frozen snapshots of a job's accepted results.

A ResultSet records which of its images were complete when saved, in the transaction of its snapshot
(models.ResultSetImage), and counts them on its row.

An item per accepted result copies its final label (the expert's class name and box in px) and who accepted it,
so later reviews cannot change the ResultSet. An accepted `removed` result is an item too, with no class and no
box: it says "no box here", and the image's exported labels stay exact.

Deleting a ResultSet deletes its items. Its datalog tables stay (they are exported data, maybe read by others);
their registry rows keep the ResultSet's name and lose its id (see core/exports/datalog.py).
"""

from __future__ import annotations

import polars as pl
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core.auth.access import Actor, Permission, require
from core.domain.errors import BadInput, NotFound
from core.domain.names import refuse_unsafe_name
from core.domain.vocabulary import ReviewState
from core.store import models
from core.store.bulk import driver_connection
from core.store.db import write_transaction

NAME_MAX_CHARS = 100

# One statement copies every accepted result of the job: the snapshot is what the database held at that moment.
_SNAPSHOT = text(f"""
    INSERT INTO resultsetitem (resultset_id, result_id, sample_id, class_name, x, y, w, h, reviewed_by)
    SELECT :resultset_id, r.id, r.sample_id, c.name, r.expert_x, r.expert_y, r.expert_w, r.expert_h, st.reviewed_by
    FROM reviewstate st JOIN result r ON r.id = st.result_id LEFT JOIN labelclass c ON c.id = r.expert_class_id
    WHERE st.job_id = :job_id AND st.state = '{ReviewState.ACCEPTED}'
""")

FRAME_SCHEMA = {
    "result_id": pl.Int64,
    "sample_id": pl.Int64,
    "file_path": pl.String,
    "width": pl.Int64,
    "height": pl.Int64,
    "class_name": pl.String,
    "pre_class": pl.String,
    "change_kind": pl.String,
    "class_changed": pl.Boolean,
    "x": pl.Float64,
    "y": pl.Float64,
    "w": pl.Float64,
    "h": pl.Float64,
    "iou": pl.Float64,
    "area_px": pl.Float64,
    "area_fraction": pl.Float64,
    "adjustment_factor": pl.Float64,
    "pre_confidence": pl.Float64,
    "reviewed_by": pl.String,
}
_FRAME_QUERY = """
    SELECT i.result_id, i.sample_id, s.file_path, s.width, s.height, i.class_name, pc.name, r.change_kind,
           r.class_changed, i.x, i.y, i.w, i.h, r.iou, r.area_px, r.area_fraction, r.adjustment_factor,
           r.pre_confidence, i.reviewed_by
    FROM resultsetitem i
    JOIN result r ON r.id = i.result_id
    JOIN sample s ON s.id = i.sample_id
    LEFT JOIN labelclass pc ON pc.id = r.pre_class_id
    WHERE i.resultset_id = :resultset_id
    ORDER BY i.sample_id, i.result_id
"""


def clean_name(name: str) -> str:
    """The name as stored: stripped, 1 to 100 characters, none of them a control character (core/domain/names.py)."""
    cleaned = (name or "").strip()
    if not cleaned:
        raise BadInput("ResultSet name: empty; give it a name")
    if len(cleaned) > NAME_MAX_CHARS:
        raise BadInput(f"ResultSet name: {len(cleaned)} characters, at most {NAME_MAX_CHARS}")
    refuse_unsafe_name(cleaned, what="ResultSet name")
    return cleaned


def create_resultset(
    *, engine: Engine, job_id: int, name: str, note: str | None = None, actor: Actor
) -> models.ResultSet:
    """Snapshot the job's accepted results now. BadInput for a bad or taken name, or nothing accepted."""
    created_by = require(actor, Permission.EXPORT, to="save a ResultSet")
    name = clean_name(name)
    note = (note or "").strip() or None
    try:
        with write_transaction(engine) as session:
            job = session.get(models.LabelJob, job_id)
            if job is None:
                raise NotFound(f"job {job_id} not found")
            _refuse_taken(session, job_id=job_id, name=name)
            resultset = models.ResultSet(job_id=job_id, name=name, note=note, created_by=created_by)
            session.add(resultset)
            session.flush()
            copied = session.connection().execute(_SNAPSHOT, {"resultset_id": resultset.id, "job_id": job_id}).rowcount
            if copied == 0:
                raise BadInput(
                    f"job {job_id} ({job.name}) has no accepted results: accept some before saving a ResultSet"
                )
            resultset.item_count = copied
            resultset.complete_images, resultset.partial_images = _record_images(session, models.stored_id(resultset))
    except IntegrityError as exc:  # another writer took the name between our check and our insert
        raise BadInput(f"ResultSet name {name!r}: job {job_id} already has a ResultSet of that name") from exc
    return resultset


def _record_images(session: Session, resultset_id: int) -> tuple[int, int]:
    # Imported here: core.exports imports this module.
    from core.exports.completeness import record_images

    return record_images(session.connection(), resultset_id=resultset_id)


def _refuse_taken(session: Session, *, job_id: int, name: str, other_than: int | None = None) -> None:
    query = select(models.ResultSet.id).where(models.ResultSet.job_id == job_id, models.ResultSet.name == name)
    if other_than is not None:
        query = query.where(models.ResultSet.id != other_than)
    taken = session.exec(query).first()
    if taken is not None:
        raise BadInput(f"ResultSet name {name!r}: job {job_id} already has a ResultSet of that name (id {taken})")


def list_resultsets(*, engine: Engine, job_id: int) -> list[models.ResultSet]:
    """The job's ResultSets, newest first."""
    with Session(engine) as session:
        return list(
            session.exec(
                select(models.ResultSet)
                .where(models.ResultSet.job_id == job_id)
                .order_by(col(models.ResultSet.created_at).desc(), col(models.ResultSet.id).desc())
            ).all()
        )


def get_resultset(*, engine: Engine, resultset_id: int) -> models.ResultSet | None:
    with Session(engine) as session:
        return session.get(models.ResultSet, resultset_id)


def _require(session: Session, resultset_id: int) -> models.ResultSet:
    resultset = session.get(models.ResultSet, resultset_id)
    if resultset is None:
        raise NotFound(f"ResultSet {resultset_id} not found")
    return resultset


def rename_resultset(*, engine: Engine, resultset_id: int, name: str, actor: Actor) -> models.ResultSet:
    require(actor, Permission.EXPORT, to="rename a ResultSet")
    name = clean_name(name)
    try:
        with write_transaction(engine) as session:
            resultset = _require(session, resultset_id)
            _refuse_taken(session, job_id=resultset.job_id, name=name, other_than=resultset_id)
            resultset.name = name
            session.add(resultset)
    except IntegrityError as exc:
        raise BadInput(f"ResultSet name {name!r}: the job already has a ResultSet of that name") from exc
    return resultset


def delete_resultset(*, engine: Engine, resultset_id: int, actor: Actor) -> None:
    """The ResultSet and its items. Its datalog tables stay; their registry rows lose the ResultSet's id."""
    require(actor, Permission.EXPORT, to="delete a ResultSet")
    with write_transaction(engine) as session:
        _require(session, resultset_id)
        # Said explicitly rather than left to the foreign keys' ON DELETE actions alone.
        conn = session.connection()
        params = {"id": resultset_id}
        conn.execute(text("UPDATE datalogtable SET resultset_id = NULL WHERE resultset_id = :id"), params)
        conn.execute(text("DELETE FROM resultsetitem WHERE resultset_id = :id"), params)
        conn.execute(text("DELETE FROM resultsetimage WHERE resultset_id = :id"), params)
        conn.execute(text("DELETE FROM resultset WHERE id = :id"), params)


def resultset_frame(*, engine: Engine, resultset_id: int) -> pl.DataFrame:
    """One row per item (FRAME_SCHEMA), in image order: the frozen label (class_name, x, y, w, h, reviewed_by),
    its sample (file_path, width, height) and its result's metrics (pre_class, change_kind, class_changed, iou,
    area_px, area_fraction, adjustment_factor, pre_confidence). The basis of every export."""
    with engine.connect() as conn:
        if conn.execute(text("SELECT 1 FROM resultset WHERE id = :id"), {"id": resultset_id}).first() is None:
            raise NotFound(f"ResultSet {resultset_id} not found")
        cursor = driver_connection(conn).cursor()
        try:
            # The driver's own cursor, as core.analysis.results_frame does: Row objects cost more than the query.
            placeholder = "?" if conn.dialect.name == "sqlite" else "%s"
            cursor.execute(_FRAME_QUERY.replace(":resultset_id", placeholder), (resultset_id,))
            rows = cursor.fetchall()
        finally:
            cursor.close()
    return pl.DataFrame(rows, schema=FRAME_SCHEMA, orient="row")
