"""What the command groups share: the parent parsers of the flags that repeat, and small helpers. Light on
purpose (argparse and the standard library at module level): `jobs` and `stats` start without SQLAlchemy,
SQLModel or polars (tests/unit/test_cli_startup.py)."""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

# Names (and messages quoting file names) are printed through `escaped`: an ESC [ ... in a name must not drive the
# terminal, nor a line break in one start a line of its own (core/domain/names.py).
from core.domain.names import escaped

__all__ = ["Parents", "default_reviewer", "escaped", "image_root", "make_parents", "names", "progress_printer"]


@dataclass(frozen=True)
class Parents:
    """The parent parsers a subcommand takes its repeated flags from: `parents=[p.store, p.json]`."""

    store: argparse.ArgumentParser  # --db, --quiet: on the top parser and on every subcommand
    json: argparse.ArgumentParser  # --json
    created_by: argparse.ArgumentParser  # --created-by (default cli): who a new job, ResultSet or export is by


def make_parents() -> Parents:
    store = argparse.ArgumentParser(add_help=False)
    # SUPPRESS: a subcommand's unset option must not overwrite one given before the subcommand.
    store.add_argument(
        "--db",
        metavar="URL",
        default=argparse.SUPPRESS,
        help="store URL (default: LABELDECK_DATABASE_URL or data/labeldeck.db)",
    )
    store.add_argument("--quiet", action="store_true", default=argparse.SUPPRESS, help="no progress on stderr")
    as_json = argparse.ArgumentParser(add_help=False)
    as_json.add_argument("--json", action="store_true")
    created_by = argparse.ArgumentParser(add_help=False)
    created_by.add_argument("--created-by", default="cli")
    return Parents(store=store, json=as_json, created_by=created_by)


def progress_printer(quiet: bool):
    started = time.perf_counter()

    def report(stage: str, fraction: float) -> None:
        if not quiet:
            print(f"[{fraction:4.0%} {time.perf_counter() - started:6.1f}s] {stage}", file=sys.stderr, flush=True)

    return report


def image_root(text: str) -> Path | str:
    """--images: a folder, or a bucket prefix such as s3://bucket/prefix (core/storage; BadInput for credentials in
    it, which would land in the store and the shell's history)."""
    from core.storage import root_from

    return root_from(text)


def names(text: str | None) -> list[str] | None:
    """A comma-separated list (--classes A,B,C), blanks dropped; None when not given."""
    return [c.strip() for c in text.split(",") if c.strip()] if text else None


def default_reviewer() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in a bare container
        return "cli"
