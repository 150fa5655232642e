"""`python -m core`: a thin shell over the core services. Exit codes: 0 done, 2 bad input or a busy store, 1
anything else.

One module per command group, each registering its subcommands (`register(sub, parents)`) and holding their
functions; common.py has the parent parsers of the flags that repeat (--db, --quiet, --json, --created-by).
Everything heavier than the standard library (SQLAlchemy, SQLModel, polars, the services) is imported by the
commands that use it, inside their functions: `jobs` and `stats` read through the store's own driver and start in a
fraction of the time (tests/unit/test_cli_startup.py keeps it so), and `quality` reads figures it computed before
the same way."""

from __future__ import annotations

import argparse
import sys

from core.cli import demo, imports, jobs, ops, quality, resultsets, review, specs, users
from core.cli.common import escaped, make_parents
from core.domain.errors import BadInput, NotFound
from core.ops.logs import configure_logging
from core.settings import load_settings

__all__ = ["build_parser", "main"]

# In the order `python -m core --help` lists their commands.
GROUPS = (demo, imports, specs, jobs, quality, review, resultsets, ops, users)


def build_parser() -> argparse.ArgumentParser:
    parents = make_parents()
    parser = argparse.ArgumentParser(
        prog="python -m core", description="LabelDeck command line", parents=[parents.store]
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for group in GROUPS:
        group.register(sub, parents)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.db = getattr(args, "db", None)
    args.quiet = getattr(args, "quiet", False)
    try:
        load_settings()  # a wrong LABELDECK_* value stops every command before it starts, naming the variable
        configure_logging()
        return args.func(args)
    except (BadInput, NotFound) as exc:
        print("error: " + escaped(str(exc), keep="\n"), file=sys.stderr)
        return 2
    except Exception as exc:  # the CLI's contract: 1 for anything unexpected, with the reason, not a bare crash
        from core.store.db import store_problem, store_unavailable

        problem, message = store_problem(exc), store_unavailable(exc)
        print(f"error: {message or f'{type(exc).__name__}: {exc}'}", file=sys.stderr)
        # A busy store changed nothing and is like bad input to a script: run it again later, no bug to report.
        return 2 if problem and problem[0] == "busy" else 1
