"""Refusals that are clean (issue 11, finding 14): a job name far too long, a datalog table named like an index or
a sequence of the schema. Each exits 2 with a short message naming the problem, writes nothing, and never shows
the database's own error text. In-process CLI, SQLite and PostgreSQL. (`--out /proc/version`:
test_output_targets.py.)"""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

from core import cli
from core.jobs.summaries import MAX_JOB_NAME, list_jobs
from tests.builders import table_counts, write_detection_job
from tests.manual_builders import animals_spec
from tests.store.test_busy_writers import import_auto_args
from tests.store.test_datalog import resultset  # noqa: F401  (the fixture: ResultSet 'all' of the catalog job)
from tests.unit.test_cli import import_detection_args


def _job_create_args(engine, root, name: str) -> list[str]:
    with engine.connect() as conn:
        if conn.execute(text("SELECT 1 FROM labelspec WHERE name = 'animals'")).first() is None:
            animals_spec(engine)
    files = write_detection_job(root)
    return ["job", "create", "--name", name, "--spec", "animals", "--images", str(files.images_dir), "--quiet"]


# Each: (engine, a folder for input files, the job name) -> the command's arguments.
NAMED = {
    "import": lambda _engine, root, name: import_detection_args(root, name),
    "import-auto": lambda _engine, root, name: import_auto_args(root, name),
    "job create": _job_create_args,
}


@pytest.mark.parametrize("command", list(NAMED))
def test_a_job_name_of_100k_characters_is_refused_with_exit_2_and_a_short_message(
    engine, store_url, tmp_path, capsys, command
):
    args = NAMED[command](engine, tmp_path / "long", "x" * 100_000)
    before = table_counts(engine)
    rc = cli.main([*args, "--db", store_url])
    err = capsys.readouterr().err
    assert (rc, err) == (2, f"error: job name: 100,000 characters, at most {MAX_JOB_NAME}\n")
    assert table_counts(engine) == before

    longest = "y" * MAX_JOB_NAME  # the store takes the longest name allowed
    assert cli.main([*NAMED[command](engine, tmp_path / "longest", longest), "--db", store_url]) == 0
    assert [j.name for j in list_jobs(engine=engine)] == [longest]


@pytest.mark.parametrize(
    ("made_by", "name", "kind"),
    [
        ("CREATE INDEX team_idx ON labeljob (name)", "team_idx", "an index"),
        ("CREATE SEQUENCE team_seq", "team_seq", "a sequence"),
        (None, "labeljob_pkey", "an index"),  # PostgreSQL's own name for the job table's primary key
    ],
)
def test_a_datalog_table_named_like_an_index_or_a_sequence_is_refused_with_exit_2(
    engine,
    store_url,
    resultset,
    capsys,
    made_by,
    name,
    kind,  # noqa: F811
):
    if engine.dialect.name == "sqlite" and "INDEX" not in (made_by or ""):
        pytest.skip("SQLite has no sequences, and names its primary key indexes sqlite_autoindex_...")
    if made_by:
        with engine.begin() as conn:
            conn.execute(text(made_by))
    before = table_counts(engine)
    for replace in ([], ["--replace"]):
        rc = cli.main(["export", str(resultset.id), "--table", name, *replace, "--db", store_url])
        err = capsys.readouterr().err
        assert (rc, err) == (
            2,
            f"error: datalog table name {name!r}: {kind} of that name exists in the database "
            "and is not a LabelDeck datalog table\n",
        )
    assert table_counts(engine) == before
    inspector = inspect(engine)
    kept = (
        {i["name"] for i in inspector.get_indexes("labeljob")} | {inspector.get_pk_constraint("labeljob")["name"]}
        if kind == "an index"
        else set(inspector.get_sequence_names())
    )
    assert name in kept and name not in inspector.get_table_names()
