"""The CLI's choices are the product's words: review states, tasks and roles come from the vocabulary; the label
and export formats, spelled in core/cli (their modules are too heavy for the parser every command builds), stay
the ones core reads and writes."""

from __future__ import annotations

import argparse

from core.auth.access import Role
from core.cli import build_parser
from core.cli.imports import LABEL_FORMATS
from core.cli.resultsets import EXPORT_FORMATS
from core.domain.vocabulary import REVIEW_STATES, TASKS


def _choices(*path: str) -> dict[str, list[str]]:
    parser = build_parser()
    for name in path:
        parser = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices[name]
    return {a.dest: [str(c) for c in a.choices] for a in parser._actions if a.choices and a.dest != "command"}


def test_states_tasks_and_roles_come_from_the_vocabulary():
    assert _choices("review") == {
        "to_state": list(REVIEW_STATES),
        "from_state": list(REVIEW_STATES),
        "changed": ["true", "false"],
    }
    assert (
        _choices("import")["task"]
        == list(TASKS)
        == _choices("import-auto")["task"]
        == _choices("spec", "create")["task"]
    )
    assert _choices("users", "add")["role"] == [r.value for r in Role] == _choices("users", "set-role")["role"]


def test_formats_are_the_ones_core_reads_and_writes():
    from core.exports import FORMATS as WRITTEN
    from core.labels.formats import FORMATS as READ

    assert LABEL_FORMATS == READ and list(EXPORT_FORMATS) == list(WRITTEN)
    assert _choices("import")["format"] == ["auto", *READ]
    assert _choices("export")["format"] == list(WRITTEN)
