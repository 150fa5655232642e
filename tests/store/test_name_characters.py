"""Names with control, format or line-break characters are refused wherever a name enters (label files, --classes,
job, spec and ResultSet names), naming the field and where; the store is left unchanged. Names written before the
check still export one line per class to YOLO and print escaped on the command line. SQLite and PostgreSQL."""

from __future__ import annotations

import io
import zipfile

import pytest
from sqlalchemy import text

from core import cli
from core.domain.errors import BadInput
from core.domain.names import name_problem
from core.exports import build_download
from core.jobs import ingest
from core.jobs.auto import import_auto_job
from core.jobs.manual import create_manual_job
from core.jobs.specs import ClassInput, create_spec, get_spec_classes, update_spec
from core.review.resultsets import create_resultset, rename_resultset
from tests.builders import (
    ADMIN,
    CATEGORIES,
    CLASSIFICATION_ROWS,
    table_counts,
    write_classification_job,
    write_csv,
    write_detection_job,
)
from tests.manual_builders import animals_spec
from tests.resultset_builders import accept, result_ids

LINE_BREAK, ESCAPE, OVERRIDE = "d\nog", "d\x1b[2Jog", "do\u202eg"
# Every script, and the joiners Persian words and emoji sequences need, are names.
GOOD = ["کتاب\u200cها", "\U0001f468\u200d\U0001f469\u200d\U0001f467", "café"]


def refused(engine, attempt) -> list[str]:
    before = table_counts(engine)
    with pytest.raises(BadInput) as error:
        attempt()
    assert table_counts(engine) == before
    return error.value.problems


def categories(*names: str, display: dict[int, str] | None = None) -> list[dict]:
    return [
        {"id": i, "name": n, **({"display_name": display[i]} if i in (display or {}) else {})}
        for i, n in enumerate(names, 1)
    ]


def import_detection(engine, files, name="street"):
    return lambda: ingest.import_detection(
        actor=ADMIN,
        engine=engine,
        name=name,
        images_dir=files.images_dir,
        pre_path=files.pre_path,
        expert_path=files.expert_path,
    )


@pytest.mark.parametrize("bad", [LINE_BREAK, ESCAPE, OVERRIDE, "d\tog", "d\u2028og"])
def test_a_coco_class_name_that_is_no_name_is_refused_naming_the_file_and_the_category(engine, tmp_path, bad):
    files = write_detection_job(tmp_path / "bad", categories=categories("cat", bad, "bird"))
    [problem] = refused(engine, import_detection(engine, files))
    assert problem == f"{files.expert_path}: category 2: name {bad!r}: {name_problem(bad)}"

    shown = write_detection_job(
        tmp_path / "display", categories=categories("cat", "dog", "bird", display={3: "Bi\u202erd"})
    )
    [problem] = refused(engine, import_detection(engine, shown))
    assert problem.startswith(f"{shown.expert_path}: category 3: display_name 'Bi\\u202erd': holds U+202E")

    good = write_detection_job(tmp_path / "good", categories=categories(*GOOD))
    job = import_detection(engine, good)()
    assert [c.name for c in get_spec_classes(engine=engine, spec_id=job.spec_id)] == GOOD


def test_csv_classes_and_class_lists_are_checked_too(engine, tmp_path):
    rows = [CLASSIFICATION_ROWS[0], ("c2.png", "apple", ESCAPE, "0.6"), *CLASSIFICATION_ROWS[2:]]
    files = write_classification_job(tmp_path / "csv", rows=rows)
    [problem] = refused(
        engine,
        lambda: ingest.import_classification(
            actor=ADMIN, engine=engine, name="fruit", images_dir=files.images_dir, csv_path=files.csv_path
        ),
    )
    assert problem.startswith(f"{files.csv_path}: line 3: expert_label 'd\\x1b[2Jog': holds U+001B")

    plain = write_classification_job(tmp_path / "plain")
    [problem] = refused(
        engine,
        lambda: ingest.import_classification(
            actor=ADMIN,
            engine=engine,
            name="fruit",
            images_dir=plain.images_dir,
            csv_path=plain.csv_path,
            classes=["apple", "pear\n", "plum"],
        ),
    )
    assert problem.startswith("class 'pear\\n': holds U+000A")

    predictions = write_csv(
        tmp_path / "predictions.csv", [("c1.png", "apple"), ("c2.png", OVERRIDE)], header=("file_path", "label")
    )
    [problem] = refused(
        engine,
        lambda: import_auto_job(
            actor=ADMIN,
            engine=engine,
            name="model",
            images_dir=plain.images_dir,
            predictions_path=predictions,
            task="classification",
        ),
    )
    assert problem.startswith(f"{predictions}: line 3: label 'do\\u202eg': holds U+202E")


def test_job_spec_and_resultset_names_are_checked(engine, tmp_path):
    files = write_detection_job(tmp_path / "in")
    [problem] = refused(engine, import_detection(engine, files, name="street\x1b[8m"))
    assert problem.startswith("job name 'street\\x1b[8m': holds U+001B")

    [problem] = refused(
        engine,
        lambda: create_spec(
            actor=ADMIN, engine=engine, name="ani\u202emals", task="detection", classes=[ClassInput("cat")]
        ),
    )
    assert problem.startswith("spec name 'ani\\u202emals': holds U+202E")
    problems = refused(
        engine,
        lambda: create_spec(
            actor=ADMIN,
            engine=engine,
            name="animals",
            task="detection",
            classes=[ClassInput("cat"), ClassInput(LINE_BREAK), ClassInput("bird", display_name="Bi\x85rd")],
        ),
    )
    assert [p.split(": holds")[0] for p in problems] == [
        "class 2 ('d\\nog')",
        "class 3 ('bird'): display name 'Bi\\x85rd'",
    ]
    spec = animals_spec(engine)
    [problem] = refused(
        engine,
        lambda: update_spec(
            actor=ADMIN, engine=engine, spec_id=spec.id, classes=[ClassInput("cat"), ClassInput("do\tg")]
        ),
    )
    assert problem.startswith("class 2 ('do\\tg'): holds U+0009")
    [problem] = refused(
        engine,
        lambda: create_manual_job(
            actor=ADMIN, engine=engine, name="labelling\u2028now", spec_id=spec.id, images_dir=files.images_dir
        ),
    )
    assert problem.startswith("job name 'labelling\\u2028now': holds U+2028")

    job = import_detection(engine, files)()
    accept(engine, result_ids(engine, job.id))
    [problem] = refused(engine, lambda: create_resultset(actor=ADMIN, engine=engine, job_id=job.id, name="v1\r=cmd"))
    assert problem.startswith("ResultSet name 'v1\\r=cmd': holds U+000D")
    resultset = create_resultset(actor=ADMIN, engine=engine, job_id=job.id, name="v1")
    [problem] = refused(
        engine, lambda: rename_resultset(actor=ADMIN, engine=engine, resultset_id=resultset.id, name="v\u200b1")
    )
    assert problem.startswith("ResultSet name 'v\\u200b1': holds U+200B")


def legacy_names(engine, job_id: int) -> None:
    """Names as a store written before the check may hold them (straight in SQL, as no service writes them now)."""
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE labelclass SET name = :bad WHERE name = 'dog' AND spec_id = "
                "(SELECT spec_id FROM labeljob WHERE id = :job)"
            ),
            {"bad": LINE_BREAK, "job": job_id},
        )
        # A new data revision: the cached results frame of the job still has the old class names.
        conn.execute(
            text("UPDATE labeljob SET name = :bad, data_revision = data_revision + 1 WHERE id = :job"),
            {"bad": "street\x1b]0;owned\x07", "job": job_id},
        )


def test_names_from_before_the_check_export_one_yolo_line_per_class_and_print_escaped(
    engine, store_url, tmp_path, capsys
):
    job = import_detection(engine, write_detection_job(tmp_path / "in"))()
    accept(engine, result_ids(engine, job.id))
    legacy_names(engine, job.id)
    resultset = create_resultset(actor=ADMIN, engine=engine, job_id=job.id, name="v1")
    yolo = build_download(actor=ADMIN, engine=engine, resultset_id=resultset.id, format="yolo").data
    lines = zipfile.ZipFile(io.BytesIO(yolo)).read("classes.txt").decode().splitlines()
    assert lines == ["cat", "d\\nog", "bird"] and len(lines) == len(CATEGORIES)

    assert cli.main(["review", str(job.id), "--to", "rejected", "--reason", "box\x1b[2J", "--db", store_url]) == 0
    capsys.readouterr()
    for command in (["jobs"], ["stats", str(job.id)], ["events", str(job.id)], ["spec", "list"]):
        assert cli.main([*command, "--db", store_url]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert "street\\x1b]0;owned\\x07" in out and "“box\\x1b[2J”" in out and "cat, d\\nog, bird" in out
    assert "  d\\nog " in out  # the class row of stats stays one line

    # A message quoting a file's text as it is (here a file name in a pre-label CSV) is escaped too.
    spec = animals_spec(engine)
    pre = write_csv(
        tmp_path / "pre.csv",
        [("\x1b[2Ja.png", "cat", "1", "1", "5", "5")],
        header=("file_path", "label", "x", "y", "w", "h"),
    )
    assert (
        cli.main(
            [
                "job",
                "create",
                "--name",
                "labelling",
                "--spec",
                str(spec.id),
                "--images",
                str(tmp_path / "in" / "images"),
                "--pre-csv",
                str(pre),
                "--db",
                store_url,
                "--quiet",
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\\x1b[2Ja.png" in err
