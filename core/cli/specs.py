"""`spec create | list`: label specs, a task and its classes."""

from __future__ import annotations

import argparse
import json
import sys

from core.auth.access import operator
from core.cli.common import Parents, escaped, names
from core.domain.plural import plural
from core.domain.vocabulary import TASKS


def register(sub, parents: Parents) -> None:
    spec = sub.add_parser("spec", parents=[parents.store], help="label specs: a task and its classes")
    spec_sub = spec.add_subparsers(dest="spec_command", required=True)
    create = spec_sub.add_parser("create", parents=[parents.store], help="create a label spec; prints its id")
    create.add_argument("--name", required=True)
    create.add_argument("--task", choices=TASKS, required=True)
    create.add_argument("--classes", required=True, metavar="A,B,C")
    create.set_defaults(func=cmd_spec_create)
    listing = spec_sub.add_parser(
        "list", parents=[parents.store, parents.json], help="every label spec with its classes"
    )
    listing.set_defaults(func=cmd_spec_list)


def cmd_spec_create(args: argparse.Namespace) -> int:
    from core.jobs.specs import ClassInput, create_spec
    from core.store.db import get_engine

    spec = create_spec(
        engine=get_engine(args.db),
        name=args.name,
        task=args.task,
        classes=[ClassInput(name=n) for n in names(args.classes) or []],
        actor=operator(),
    )
    if not args.quiet:
        print(f"created label spec {spec.id} {spec.name!r} ({spec.task})", file=sys.stderr)
    print(spec.id)
    return 0


def cmd_spec_list(args: argparse.Namespace) -> int:
    from core.jobs.specs import list_specs
    from core.store.db import get_engine

    specs = list_specs(engine=get_engine(args.db))
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "id": s.spec.id,
                        "name": s.spec.name,
                        "task": s.spec.task,
                        "jobs": s.jobs,
                        "classes": [
                            {"name": c.name, "display_name": c.display_name, "color": c.color} for c in s.classes
                        ],
                    }
                    for s in specs
                ],
                indent=2,
            )
        )
        return 0
    for s in specs:
        print(
            f"{s.spec.id:>5}  {s.spec.task:<15} {plural(s.jobs, 'job'):>8}  {escaped(s.spec.name)}: "
            + ", ".join(escaped(c.name) for c in s.classes)
        )
    return 0
