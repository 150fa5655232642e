"""SQLModel tables of the store. Names follow the glossary (docs/glossary.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, overload

from sqlalchemy import JSON, Column, DateTime, ForeignKey, Index, Integer, Table, UniqueConstraint
from sqlmodel import AutoString, Field, SQLModel
from sqlmodel.sql.expression import Select

from core.domain import vocabulary as vocab
from core.store.ids import stored_id as stored_id  # re-exported: models.stored_id(row)


def utcnow() -> datetime:
    return datetime.now(UTC)


@overload
def as_utc(value: datetime) -> datetime: ...


@overload
def as_utc(value: None) -> None: ...


@overload
def as_utc(value: datetime | None) -> datetime | None: ...


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive UTC, PostgreSQL an aware time: the same aware UTC either way."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def table_of(model: type[SQLModel]) -> Table:
    """A table model's Core table, for bulk inserts and Core statements."""
    # SQLModel's metaclass sets __table__ on every table=True class; its stubs do not declare the attribute.
    return model.__table__  # type: ignore[attr-defined]


def select_columns(*columns: Any) -> Select[*tuple[Any, ...]]:
    """sqlmodel.select of more than four columns: the Select it builds for them at runtime, which its typed
    overloads (one to four columns) do not cover."""
    return Select(*columns)


def _fk(target: str, *, nullable: bool = False, index: bool = False) -> Any:
    """A foreign key that the database itself cascades, so deleting a job removes its rows in one statement."""
    return Field(
        default=None, sa_column=Column(Integer, ForeignKey(target, ondelete="CASCADE"), nullable=nullable, index=index)
    )


def _word(**kwargs: Any) -> Any:
    """A column holding a vocabulary StrEnum (core/domain/vocabulary.py) as the plain string it was always stored
    as: the column type a `str` field gets, not the SQL ENUM SQLModel would make of the annotation. A value read back
    is that string, equal to its member."""
    return Field(sa_type=AutoString, **kwargs)


def _timestamp() -> Any:
    return Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))


class SchemaVersion(SQLModel, table=True):
    id: int = Field(default=1, primary_key=True)
    version: int
    upgraded_at: datetime = _timestamp()


class LabelSpec(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True)
    task: vocab.Task = _word()
    created_at: datetime = _timestamp()


class LabelClass(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("spec_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    spec_id: int = _fk("labelspec.id", index=True)
    name: str
    display_name: str
    color: str
    position: int


class LabelJob(vocab.JobPredicates, SQLModel, table=True):
    """A label job; what it may be used for (reviewed, labelled, a source of pre-labels) is vocab.JobPredicates."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True)
    kind: vocab.JobKind = _word()
    task: vocab.Task = _word()
    tag: str = Field(index=True)
    status: vocab.JobStatus = _word(index=True)
    failure_reason: str | None = None
    spec_id: int = Field(foreign_key="labelspec.id")
    image_root: str
    pre_label_source: str
    source_job_id: int | None = Field(default=None, foreign_key="labeljob.id", ondelete="SET NULL")
    iou_threshold: float = 0.5
    image_count: int = 0
    result_count: int = 0
    # Bumped whenever the job's labels change, so caches keyed by it can never serve stale rows.
    data_revision: int = 1
    # Bumped by every review action, so a cached frame of review states is refreshed exactly when needed.
    review_revision: int = 0
    created_by: str
    created_at: datetime = _timestamp()
    # A manual job created in LabelDeck turns READY when an expert submits it (core/jobs/manual.py).
    submitted_by: str | None = None
    submitted_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    # A rework job (core/jobs/rework.py) names the job whose rejected results it relabels; submitting it returns its
    # results there. Deleting the origin leaves the rework job as a plain manual job.
    origin_job_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("labeljob.id", ondelete="SET NULL"), nullable=True)
    )


class Sample(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("job_id", "file_path"),)

    id: int | None = Field(default=None, primary_key=True)
    job_id: int = _fk("labeljob.id", index=True)
    file_path: str
    width: int
    height: int
    # Labelling in LabelDeck (core/jobs/expert_labels.py): 'unlabelled', 'labelled' or 'skipped'. An imported job
    # arrives with its expert labels, hence the default. A skipped sample has no expert label and no results.
    label_status: str = Field(default="labelled", sa_column_kwargs={"server_default": "labelled"})
    labelled_by: str | None = None
    labelled_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


class Result(SQLModel, table=True):
    """What the expert did to one pre-label, with its metrics: written once (import, submit), never by a review.
    Indexed by job and by sample only: filters run in polars over the job's frame."""

    __table_args__ = (Index("ix_result_job", "job_id"),)

    id: int | None = Field(default=None, primary_key=True)
    job_id: int = _fk("labeljob.id")
    # The sample and the classes without foreign keys: their per-row checks made PostgreSQL's COPY of 1M results
    # 2.4 times slower (15.1 s against 6.3 s, bench/REPORT.md). The importer joins every row to its sample and
    # classes, and deleting a job still cascades to its results through job_id.
    sample_id: int = Field(index=True)
    expert_class_id: int | None = None
    pre_class_id: int | None = None
    class_changed: bool
    change_kind: vocab.ChangeKind = _word()
    expert_x: float | None = None
    expert_y: float | None = None
    expert_w: float | None = None
    expert_h: float | None = None
    pre_x: float | None = None
    pre_y: float | None = None
    pre_w: float | None = None
    pre_h: float | None = None
    area_px: float | None = None
    area_fraction: float | None = None
    adjustment_factor: float | None = None
    iou: float | None = None
    pre_confidence: float | None = None


class ReviewState(SQLModel, table=True):
    """The review decision on a result that is not pending: accepted, rejected, or reworked (replaced by a rework
    job's results, core/jobs/rework_return.py). A pending result has no row. A review action writes these few bytes
    and their two indexes, never the wide result row: accepting 500k results inserts 500k short rows."""

    __table_args__ = (Index("ix_reviewstate_job_state", "job_id", "state"),)

    # No foreign keys: their per-row checks were 2.8 of the 4.5 s that accepting 500k results took on PostgreSQL.
    # The review service writes rows only for results of the job it locked (it joins result), and
    # core.jobs.summaries.remove_job deletes a job's rows before the job.
    # The result's id as this table's key: SQLite's rowid itself, so a decision is one b-tree entry.
    result_id: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    job_id: int = Field(sa_column=Column(Integer, nullable=False))
    state: vocab.ReviewState = _word()
    reviewed_by: str | None = None  # None only for a decision recorded before LabelDeck kept its reviewer
    reviewed_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


class Prediction(SQLModel, table=True):
    """A label produced by an auto label job; a manual job created from it takes these as its pre-labels."""

    id: int | None = Field(default=None, primary_key=True)
    job_id: int = _fk("labeljob.id", index=True)
    sample_id: int = _fk("sample.id")
    class_id: int = Field(foreign_key="labelclass.id")
    x: float | None = None
    y: float | None = None
    w: float | None = None
    h: float | None = None
    score: float | None = None


class Annotation(SQLModel, table=True):
    """A label of a manual job that is still being labelled: its pre-labels (source 'pre', from an auto label job
    or an uploaded file, may carry a score) and the expert's labels (source 'expert'). Classification labels have
    no box. Submitting the job turns them into results; they stay as the record of what the expert drew."""

    __table_args__ = (Index("ix_annotation_sample_source", "sample_id", "source"),)

    id: int | None = Field(default=None, primary_key=True)
    job_id: int = _fk("labeljob.id", index=True)
    sample_id: int = _fk("sample.id")
    source: str
    class_id: int = Field(foreign_key="labelclass.id")
    x: float | None = None
    y: float | None = None
    w: float | None = None
    h: float | None = None
    score: float | None = None


class ReviewEvent(SQLModel, table=True):
    """Append-only: one row per review action (core/review/decisions.py writes them).

    result_ids are the results the action moved. Usually they all left one state and reached one: from_state and
    to_state. A move "from any state" leaves several: from_state is None and from_states maps each state left to
    its ids, so an undo can send every result back exactly; the undo of such a move has to_state None and
    to_states instead. An undo names the event it undoes (undoes_event_id, unique: undone at most once)."""

    __table_args__ = (Index("ix_reviewevent_undoes_event_id", "undoes_event_id", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    job_id: int = _fk("labeljob.id", index=True)
    reviewer: str
    created_at: datetime = _timestamp()
    # ReviewState values, annotated str: `python -m core events` prints events through model_dump, which warns when
    # a field annotated with an enum holds the plain string read back from the store.
    from_state: str | None = None
    to_state: str | None = None
    result_count: int
    result_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    from_states: dict[str, list[int]] | None = Field(default=None, sa_column=Column(JSON(none_as_null=True)))
    to_states: dict[str, list[int]] | None = Field(default=None, sa_column=Column(JSON(none_as_null=True)))
    undoes_event_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("reviewevent.id", ondelete="CASCADE"), nullable=True)
    )
    reason: str | None = None
    selection: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # The rework job an event sent results to or brought results back from (core/jobs/rework.py). No foreign key: the
    # audit record keeps the number after that job is deleted. Such an event is no review action: undo skips it.
    rework_job_id: int | None = None


class ReworkItem(SQLModel, table=True):
    """A rejected result sent back for relabelling: the rework job's sample (its image) and the origin job's
    result, with the reason it was rejected, which the annotator sees on that image."""

    job_id: int = Field(sa_column=Column(Integer, ForeignKey("labeljob.id", ondelete="CASCADE"), primary_key=True))
    result_id: int = Field(
        sa_column=Column(Integer, ForeignKey("result.id", ondelete="CASCADE"), primary_key=True, index=True)
    )
    sample_id: int = _fk("sample.id", index=True)
    reason: str | None = None


class ResultSet(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("job_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    job_id: int = _fk("labeljob.id", index=True)
    name: str
    note: str | None = None
    item_count: int = 0
    # Its images (those it holds an item of) complete and partial when saved (core/exports/completeness.py):
    # the sums of its ResultSetImage rows, kept on the row so the ResultSets page lists them without a count.
    complete_images: int | None = None
    partial_images: int | None = None
    created_by: str
    created_at: datetime = _timestamp()


class ResultSetItem(SQLModel, table=True):
    """A frozen copy of an accepted result's final label, so later reviews cannot change a ResultSet."""

    resultset_id: int = Field(
        sa_column=Column(Integer, ForeignKey("resultset.id", ondelete="CASCADE"), primary_key=True)
    )
    result_id: int = Field(primary_key=True)
    sample_id: int
    class_name: str | None = None
    x: float | None = None
    y: float | None = None
    w: float | None = None
    h: float | None = None
    # Who accepted the result: part of the snapshot, like the label.
    reviewed_by: str | None = None


class ResultSetImage(SQLModel, table=True):
    """An image of a ResultSet (one it holds an item of) and whether it was complete when the ResultSet was saved:
    every result of the image in the job was accepted then (core/exports/completeness.py). Exports hold the
    complete ones by default; a later review or rework of the job changes neither the items nor this flag."""

    resultset_id: int = Field(
        sa_column=Column(Integer, ForeignKey("resultset.id", ondelete="CASCADE"), primary_key=True)
    )
    sample_id: int = Field(primary_key=True)
    complete: bool


class DatalogTable(SQLModel, table=True):
    """The registry of datalog tables: real tables, named by the user, that ResultSets were exported to
    (core/exports/datalog.py). The tables are exported data and outlive their ResultSet and job: deleting either
    sets resultset_id / job_id to null here, and resultset_name still says where the rows came from."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    job_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("labeljob.id", ondelete="SET NULL"), index=True)
    )
    resultset_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("resultset.id", ondelete="SET NULL"), index=True)
    )
    resultset_name: str
    row_count: int
    # The ResultSet's partial images the export left out (core/exports/completeness.py): 0 when they were included;
    # null for a table exported before they were counted.
    left_out_images: int | None = None
    created_by: str
    created_at: datetime = _timestamp()


class AppUser(SQLModel, table=True):
    """A LabelDeck account (LABELDECK_AUTH=password signs in with it; oidc and header identities may have one to
    fix their role). Managed by `python -m core users`."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    role: str
    password_hash: str | None = None  # argon2id; None: signs in through oidc or the proxy only
    failed_attempts: int = 0  # consecutive failed password sign-ins
    locked_until: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    created_at: datetime = _timestamp()
    last_signed_in_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
