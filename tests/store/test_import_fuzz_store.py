"""Fuzzing the import services into a real store (SQLite, and PostgreSQL when LABELDECK_TEST_PG_URL is set): every
corpus file of tests/fixtures/malformed/ and hypothesis' mutations of valid COCO files and CSVs either import or are
refused with BadInput naming the file and the record, and a refused import leaves the store exactly as it was (every
row of labeljob, sample, result, labelspec, labelclass, every table's count) and the data folder without a new file.
The store already holds a job, "existing", so "unchanged" means something; some mutations try to replace it."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from core.auth.access import operator
from core.domain.errors import BadInput
from core.jobs import ingest
from core.store import models
from tests.builders import PRE_RESULTS, table_counts
from tests.fuzz_inputs import FUZZ, mutated_csv, mutated_json
from tests.malformed_corpus import (
    CORPUS,
    SPEC_CLASSES,
    CorpusCase,
    StandardFiles,
    assert_names_where,
    files_of,
    valid_dataset,
    valid_pre_dataset,
    write_standard_files,
)

ACTOR = operator("fuzz")
WATCHED = (models.LabelJob, models.Sample, models.Result, models.LabelSpec, models.LabelClass)

Attempt = Callable[[str, bool], models.LabelJob]  # (job name, replace) -> the job


@pytest.fixture
def standard(tmp_path: Path) -> StandardFiles:
    return write_standard_files(tmp_path / "standard")


@pytest.fixture
def existing(engine: Engine, standard: StandardFiles) -> models.LabelJob:
    return ingest.import_detection(
        engine=engine,
        name="existing",
        images_dir=standard.images_dir,
        pre_path=standard.pre_path,
        expert_path=standard.expert_path,
        actor=ACTOR,
    )


def detection(
    engine: Engine,
    files: StandardFiles,
    *,
    expert_path: Path | None = None,
    pre_path: Path | None = None,
    check_image_files: bool = True,
) -> Attempt:
    return lambda name, replace: ingest.import_detection(
        engine=engine,
        name=name,
        images_dir=files.images_dir,
        expert_path=expert_path or files.expert_path,
        pre_path=pre_path or files.pre_path,
        replace=replace,
        check_image_files=check_image_files,
        actor=ACTOR,
    )


def predictions(engine: Engine, files: StandardFiles, path: Path, *, check_image_files: bool = True) -> Attempt:
    return lambda name, replace: ingest.import_auto_predictions(
        engine=engine,
        name=name,
        images_dir=files.images_dir,
        predictions_path=path,
        replace=replace,
        check_image_files=check_image_files,
        actor=ACTOR,
    )


def classification(
    engine: Engine, files: StandardFiles, path: Path, *, classes: tuple[str, ...] | None, check_image_files: bool = True
) -> Attempt:
    return lambda name, replace: ingest.import_classification(
        engine=engine,
        name=name,
        images_dir=files.images_dir,
        csv_path=path,
        classes=None if classes is None else list(classes),
        replace=replace,
        check_image_files=check_image_files,
        actor=ACTOR,
    )


def store_state(engine: Engine, data_dir: Path) -> tuple:
    """Every row of the tables an import writes, every table's count, and the data folder's files."""
    with engine.connect() as conn:
        rows = {
            m.__tablename__: [tuple(r) for r in conn.execute(select(m.__table__).order_by(m.__table__.c.id))]
            for m in WATCHED
        }
    return rows, table_counts(engine), files_of(data_dir)


def refused_or_imported(
    engine: Engine, data_dir: Path, attempt: Attempt, *, name: str, replace: bool = False
) -> BadInput | models.LabelJob:
    """Run `attempt`: a refusal must leave the store and the data folder as they were; an import adds one job
    whose samples and results are all there. Any other exception is let through, after checking that it, too,
    changed nothing."""
    before = store_state(engine, data_dir)
    try:
        job = attempt(name, replace)
    except BadInput as error:
        assert store_state(engine, data_dir) == before, "a refused import changed the store or the data folder"
        return error
    except BaseException:
        assert store_state(engine, data_dir) == before, "a failed import left rows or files behind"
        raise
    counts = table_counts(engine)
    assert counts["labeljob"] == before[1]["labeljob"] + (0 if replace else 1)
    with engine.connect() as conn:
        stored = conn.execute(select(models.LabelJob.__table__).where(models.LabelJob.__table__.c.name == name)).all()
        samples = conn.execute(
            select(models.Sample.__table__.c.id).where(models.Sample.__table__.c.job_id == job.id)
        ).all()
        results = conn.execute(
            select(models.Result.__table__.c.id).where(models.Result.__table__.c.job_id == job.id)
        ).all()
    assert len(stored) == 1 and (len(samples), len(results)) == (job.image_count, job.result_count)
    return job


# ---- the corpus ------------------------------------------------------------------------------------------------

# Each role's files go through each import service that reads that kind of file.
SERVICES = (("dataset", "detection"), ("dataset", "auto predictions"), ("pre", "detection"), ("csv", "classification"))


def corpus_attempt(case: CorpusCase, service: str, engine: Engine, standard: StandardFiles) -> Attempt:
    check = case.check_image_files
    if case.role == "csv":
        return classification(engine, standard, case.path, classes=case.classes, check_image_files=check)
    if service == "auto predictions":
        return predictions(engine, standard, case.path, check_image_files=check)
    if case.role == "pre":
        return detection(engine, standard, pre_path=case.path, check_image_files=check)
    return detection(engine, standard, expert_path=case.path, check_image_files=check)


def check_corpus_case(
    case: CorpusCase, service: str, engine: Engine, standard: StandardFiles, data_dir: Path, name: str
) -> None:
    outcome = refused_or_imported(engine, data_dir, corpus_attempt(case, service, engine, standard), name=name)
    if case.outcome == "accepted":
        assert isinstance(outcome, models.LabelJob), f"{case.file} was refused:\n{outcome}"
    if case.outcome == "refused":
        assert isinstance(outcome, BadInput), f"{case.file} was imported, not refused"
    if isinstance(outcome, BadInput):
        message = str(outcome)
        for fragment in (case.file, *case.where):
            assert fragment in message, f"{fragment!r} not in:\n{message}"
        assert_names_where(outcome, [case.path, standard.expert_path, standard.pre_path, standard.images_dir])


@pytest.mark.parametrize(("role", "service"), SERVICES, ids=[f"{r}-{s}" for r, s in SERVICES])
def test_every_corpus_file_imports_or_is_refused_changing_nothing(
    role: str,
    service: str,
    engine: Engine,
    existing,
    standard: StandardFiles,
    data_dir: Path,
    subtests: pytest.Subtests,
):
    """One store for all the files of a role (a store per file costs a minute on PostgreSQL); a subtest each."""
    cases = [c for c in CORPUS if c.role == role]
    assert cases
    for n, case in enumerate(cases):
        with subtests.test(msg=case.file):
            check_corpus_case(case, service, engine, standard, data_dir, name=f"incoming-{n}")


# ---- mutations of valid files ----------------------------------------------------------------------------------

_fresh = itertools.count()


def example_dir(root: Path) -> tuple[Path, str]:
    n = next(_fresh)
    folder = root / f"example-{n}"
    folder.mkdir(parents=True)
    return folder, f"fuzz-{n}"


def _record(outcome: BadInput | models.LabelJob) -> None:
    event("refused" if isinstance(outcome, BadInput) else "imported")


@settings(FUZZ, max_examples=40)
@given(data=st.data())
def test_a_mutated_coco_import_is_refused_changing_nothing(
    data: st.DataObject, engine: Engine, existing, standard: StandardFiles, data_dir: Path, tmp_path: Path
):
    which = data.draw(st.sampled_from(["expert", "pre results", "pre dataset", "predictions"]), label="mutated file")
    base = {
        "expert": valid_dataset(),
        "predictions": valid_dataset(),
        "pre results": PRE_RESULTS,
        "pre dataset": valid_pre_dataset(),
    }[which]
    folder, name = example_dir(tmp_path)
    path = folder / ("pre.json" if which.startswith("pre ") else f"{which}.json")
    path.write_bytes(data.draw(mutated_json(base), label="bytes"))
    replace = data.draw(st.booleans(), label="replace the existing job")
    attempt = {
        "expert": lambda: detection(engine, standard, expert_path=path),
        "pre results": lambda: detection(engine, standard, pre_path=path),
        "pre dataset": lambda: detection(engine, standard, pre_path=path),
        "predictions": lambda: predictions(engine, standard, path),
    }[which]()
    outcome = refused_or_imported(engine, data_dir, attempt, name="existing" if replace else name, replace=replace)
    _record(outcome)
    if isinstance(outcome, BadInput):
        assert_names_where(outcome, [path, standard.expert_path, standard.pre_path, standard.images_dir])


@settings(FUZZ, max_examples=40)
@given(data=st.data())
def test_a_mutated_csv_import_is_refused_changing_nothing(
    data: st.DataObject, engine: Engine, existing, standard: StandardFiles, data_dir: Path, tmp_path: Path
):
    folder, name = example_dir(tmp_path)
    path = folder / "labels.csv"
    path.write_bytes(data.draw(mutated_csv(), label="bytes"))
    classes = data.draw(st.sampled_from([SPEC_CLASSES, None]), label="classes")
    replace = data.draw(st.booleans(), label="replace the existing job")
    attempt = classification(engine, standard, path, classes=classes)
    outcome = refused_or_imported(engine, data_dir, attempt, name="existing" if replace else name, replace=replace)
    _record(outcome)
    if isinstance(outcome, BadInput):
        assert_names_where(outcome, [path, standard.images_dir])
