"""Label specs: a task and its classes, created and edited by hand (imports make a spec of their own per job).

A class is known by its name, for good: display name and colour may change, classes may be added, and a class may
be removed only while no label of any job uses it (pre-label, expert label, result or auto job prediction). The
order of the classes is the spec's order: the editor's class index, the YOLO index, the COCO id - 1.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypedDict

from sqlalchemy import Engine, func, union
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from core.auth.access import Actor, Permission, require
from core.domain import limits
from core.domain.errors import BadInput, NotFound
from core.domain.names import name_problem, refuse_unsafe_name
from core.domain.vocabulary import TASKS, Task
from core.jobs.saving import PALETTE
from core.store import models
from core.store.db import write_transaction

COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")
MAX_NAME = 100


@dataclass(frozen=True)
class ClassInput:
    """A class as the spec editor gives it; display_name defaults to the name, color to the palette's."""

    name: str
    display_name: str | None = None
    color: str | None = None


class _ClassFields(TypedDict):
    """A validated class: the LabelClass fields the spec editor sets."""

    name: str
    display_name: str
    color: str


@dataclass(frozen=True)
class SpecSummary:
    spec: models.LabelSpec
    classes: list[models.LabelClass]  # in spec order
    jobs: int  # how many label jobs use the spec


def create_spec(
    *, engine: Engine, name: str, task: str, classes: Sequence[ClassInput], actor: Actor
) -> models.LabelSpec:
    require(actor, Permission.MANAGE, to="create a label spec")
    name = _checked_name(name)
    if task not in TASKS:
        raise BadInput(f"task {task!r}: must be one of {', '.join(TASKS)}")
    wanted = _checked_classes(task, classes)
    with write_transaction(engine) as session:
        if session.exec(select(models.LabelSpec.id).where(models.LabelSpec.name == name)).first() is not None:
            raise BadInput(f"a label spec named {name!r} already exists")
        spec = models.LabelSpec(name=name, task=Task(task))  # one of TASKS: checked above
        session.add(spec)
        session.flush()
        spec_id = models.stored_id(spec)
        session.add_all(models.LabelClass(spec_id=spec_id, position=i, **c) for i, c in enumerate(wanted))
    return spec


def update_spec(
    *, engine: Engine, spec_id: int, classes: Sequence[ClassInput], name: str | None = None, actor: Actor
) -> models.LabelSpec:
    """Make the spec's classes `classes`, in that order: classes known by name keep their identity (and labels) and
    take the new display name and colour; new names are added; classes left out are removed, unless a label of
    some job uses them (refused, naming the class and the job). `name` renames the spec."""
    require(actor, Permission.MANAGE, to="change a label spec")
    with write_transaction(engine) as session:
        spec = session.exec(select(models.LabelSpec).where(models.LabelSpec.id == spec_id).with_for_update()).first()
        if spec is None:
            raise NotFound(f"label spec {spec_id} not found")
        current = {c.name: c for c in _classes(session, spec_id)}
        wanted = _checked_classes(spec.task, classes, existing=list(current.values()))
        if name is not None and (name := _checked_name(name)) != spec.name:
            taken = session.exec(select(models.LabelSpec.id).where(models.LabelSpec.name == name)).first()
            if taken is not None:
                raise BadInput(f"a label spec named {name!r} already exists")
            spec.name = name
            session.add(spec)
        dropped = [c for n, c in current.items() if n not in {w["name"] for w in wanted}]
        in_use = _labels_using(session, [models.stored_id(c) for c in dropped])
        if in_use:
            by_id = {c.id: c.name for c in dropped}
            raise BadInput(
                [
                    f"class {by_id[class_id]!r} cannot be removed from spec {spec.name!r}: job #{job_id} {job_name!r} "
                    "has labels of it"
                    for class_id, job_id, job_name in in_use
                ]
            )
        for c in dropped:
            session.delete(c)
        for position, w in enumerate(wanted):
            row = current.get(w["name"]) or models.LabelClass(
                spec_id=spec_id, name=w["name"], display_name=w["display_name"], color=w["color"], position=position
            )
            row.display_name, row.color, row.position = w["display_name"], w["color"], position
            session.add(row)
    return spec


def list_specs(*, engine: Engine, task: str | None = None) -> list[SpecSummary]:
    """Every label spec by name, with its classes and how many jobs use it."""
    with Session(engine) as session:
        query = select(models.LabelSpec).order_by(col(models.LabelSpec.name))
        if task is not None:
            query = query.where(models.LabelSpec.task == task)
        specs = session.exec(query).all()
        classes: dict[int, list[models.LabelClass]] = {}
        for c in session.exec(
            select(models.LabelClass).order_by(col(models.LabelClass.spec_id), col(models.LabelClass.position))
        ):
            classes.setdefault(c.spec_id, []).append(c)
        jobs = dict(
            session.exec(select(models.LabelJob.spec_id, func.count()).group_by(col(models.LabelJob.spec_id))).all()
        )
    return [
        SpecSummary(spec=s, classes=classes.get(models.stored_id(s), []), jobs=jobs.get(models.stored_id(s), 0))
        for s in specs
    ]


def get_spec(*, engine: Engine, spec_id: int) -> models.LabelSpec:
    with Session(engine) as session:
        spec = session.get(models.LabelSpec, spec_id)
    if spec is None:
        raise NotFound(f"label spec {spec_id} not found")
    return spec


def find_spec(*, engine: Engine, name_or_id: str) -> models.LabelSpec:
    """A spec by its name, or by its id given as digits (the CLI's SPEC)."""
    with Session(engine) as session:
        spec = session.exec(select(models.LabelSpec).where(models.LabelSpec.name == name_or_id)).first()
        if spec is None and name_or_id.isdigit():
            spec = session.get(models.LabelSpec, int(name_or_id))
    if spec is None:
        raise NotFound(f"label spec {name_or_id!r} not found")
    return spec


def get_spec_classes(*, engine: Engine, spec_id: int) -> list[models.LabelClass]:
    """The spec's classes in order (empty for an unknown spec)."""
    with Session(engine) as session:
        return _classes(session, spec_id)


def _classes(session: Session, spec_id: int) -> list[models.LabelClass]:
    return list(
        session.exec(
            select(models.LabelClass)
            .where(models.LabelClass.spec_id == spec_id)
            .order_by(col(models.LabelClass.position))
        ).all()
    )


def _checked_name(name: str) -> str:
    name = (name or "").strip()
    if not 1 <= len(name) <= MAX_NAME:
        raise BadInput(f"spec name {name!r}: 1 to {MAX_NAME} characters")
    refuse_unsafe_name(name, what="spec name")
    return name


def _checked_classes(
    task: str, classes: Sequence[ClassInput], *, existing: Sequence[models.LabelClass] = ()
) -> list[_ClassFields]:
    """Validated classes as LabelClass fields: names unique and non-empty, colours #RRGGBB; at least two classes
    for classification (a choice of one is no choice), one for detection. A class already in the spec keeps its
    colour unless given; a new one takes the palette's colour for its position."""
    if too_many := limits.too_many(len(classes), limits.MAX_CLASSES, "classes"):
        raise BadInput(f"a label spec: {too_many}")
    known = {c.name: c for c in existing}
    problems, seen = [], set()
    wanted: list[_ClassFields] = []
    for i, c in enumerate(classes):
        name = (c.name or "").strip()
        where = f"class {i + 1} ({name!r})" if name else f"class {i + 1}"
        if not name or len(name) > MAX_NAME:
            problems.append(f"{where}: a class needs a name of 1 to {MAX_NAME} characters")
            continue
        if name in seen:
            problems.append(f"{where}: the name {name!r} appears more than once")
        seen.add(name)
        display = (c.display_name or "").strip() or (known[name].display_name if name in known else name)
        # Names a spec already holds stay editable: they may predate the check, and a class keeps its name.
        kept = known.get(name)
        if kept is None and (problem := name_problem(name)):
            problems.append(f"{where}: {problem}")
        elif display not in (name, kept and kept.display_name) and (problem := name_problem(display)):
            problems.append(f"{where}: display name {display!r}: {problem}")
        color = (c.color or "").strip() or (known[name].color if name in known else PALETTE[i % len(PALETTE)])
        if not COLOR.match(color):
            problems.append(f"{where}: colour {color!r} is not #RRGGBB")
        wanted.append({"name": name, "display_name": display, "color": color.upper()})
    minimum = 2 if task == Task.CLASSIFICATION else 1
    if len(classes) < minimum:
        problems.append(
            f"a {task} spec needs at least {minimum} class{'es' if minimum > 1 else ''}, got {len(classes)}"
        )
    if problems:
        raise BadInput(problems)
    return wanted


def _labels_using(session: Session, class_ids: list[int]) -> list[tuple[int, int, str]]:
    """(class id, job id, job name) for each job that has a label of one of the classes."""
    if not class_ids:
        return []
    uses: list[Select[Any, Any]] = [
        select(col(column).label("class_id"), col(table.job_id).label("job_id")).where(col(column).in_(class_ids))
        for table, column in (
            (models.Annotation, models.Annotation.class_id),
            (models.Prediction, models.Prediction.class_id),
            (models.Result, models.Result.expert_class_id),
            (models.Result, models.Result.pre_class_id),
        )
    ]
    found = union(*uses).subquery()
    rows = session.exec(
        select(found.c.class_id, models.LabelJob.id, models.LabelJob.name)
        .join(models.LabelJob, col(models.LabelJob.id) == found.c.job_id)
        .order_by(found.c.class_id, col(models.LabelJob.id))
    ).all()
    return [tuple(r) for r in rows]
