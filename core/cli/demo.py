"""`demo`: the demo store."""

from __future__ import annotations

import argparse

from core.cli.common import Parents, progress_printer


def register(sub, parents: Parents) -> None:
    demo = sub.add_parser("demo", parents=[parents.store], help="create the demo jobs (images drawn by Pillow)")
    demo.add_argument("--reset", action="store_true", help="delete the demo jobs first and create them anew")
    demo.add_argument("--if-empty", action="store_true", help="only seed a store that has no jobs (make run)")
    demo.set_defaults(func=cmd_demo)


def cmd_demo(args: argparse.Namespace) -> int:
    from core.demo.seed import seed_demo
    from core.store.db import get_engine

    engine = get_engine(args.db)
    created = seed_demo(engine=engine, reset=args.reset, if_empty=args.if_empty, progress=progress_printer(args.quiet))
    if created:
        print(f"demo data: created {', '.join(j.name for j in created)}")
    else:
        print("demo data: nothing to do (the store already has jobs; --reset recreates the demo jobs)")
    return 0
