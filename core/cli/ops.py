"""`health` (store and data folder checks) and `backup` (a consistent copy of the SQLite store)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from core.cli.common import Parents


def register(sub, parents: Parents) -> None:
    health = sub.add_parser(
        "health", parents=[parents.store], help="store and data folder checks; exit 0 healthy, 1 not"
    )
    health.set_defaults(func=cmd_health)
    backup = sub.add_parser(
        "backup", parents=[parents.store], help="a consistent copy of the SQLite store, while it serves"
    )
    backup.add_argument("--out", required=True, metavar="PATH", help="file to write (or an existing folder)")
    backup.set_defaults(func=cmd_backup)


def cmd_health(args: argparse.Namespace) -> int:
    from core.ops.health import health
    from core.settings import get_settings

    settings = get_settings()
    if args.db:
        settings = type(settings)(**{**settings.__dict__, "database_url": args.db})
    checks = health(settings)
    print(json.dumps({"ok": all(c.ok for c in checks), "checks": [c.__dict__ for c in checks]}, indent=2))
    return 0 if all(c.ok for c in checks) else 1


def cmd_backup(args: argparse.Namespace) -> int:
    from core.ops.backup import backup_sqlite
    from core.settings import get_settings

    path = backup_sqlite(url=args.db or get_settings().database_url, out=Path(args.out))
    print(f"backed up the store to {path} ({path.stat().st_size:,} bytes)")
    return 0
