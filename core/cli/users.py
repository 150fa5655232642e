"""`users add | set-role | passwd | unlock | remove | list`: LabelDeck accounts and their roles."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime

from core.auth.access import Role, operator
from core.cli.common import Parents
from core.domain.errors import BadInput


def register(sub, parents: Parents) -> None:
    store = parents.store
    users = sub.add_parser("users", parents=[store], help="LabelDeck accounts and their roles")
    users_sub = users.add_subparsers(dest="users_command", required=True)
    # The values, not the members: argparse quotes choices with repr() in an invalid-choice message.
    roles = [role.value for role in Role]
    add = users_sub.add_parser("add", parents=[store], help="a new account; asks for its password")
    add.add_argument("name")
    add.add_argument("--role", choices=roles, required=True)
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin (scripts)")
    add.add_argument(
        "--no-password",
        action="store_true",
        help="no password sign-in: the account only fixes the role of an OIDC or proxy identity",
    )
    add.set_defaults(func=cmd_users_add)
    role = users_sub.add_parser("set-role", parents=[store], help="change an account's role")
    role.add_argument("name")
    role.add_argument("role", choices=roles)
    role.set_defaults(func=cmd_users_set_role)
    passwd = users_sub.add_parser("passwd", parents=[store], help="set an account's password (clears a lockout)")
    passwd.add_argument("name")
    passwd.add_argument("--password-stdin", action="store_true")
    passwd.set_defaults(func=cmd_users_passwd)
    unlock = users_sub.add_parser("unlock", parents=[store], help="lift a lockout after failed sign-ins")
    unlock.add_argument("name")
    unlock.set_defaults(func=cmd_users_unlock)
    remove = users_sub.add_parser("remove", parents=[store], help="delete an account")
    remove.add_argument("name")
    remove.set_defaults(func=cmd_users_remove)
    listing = users_sub.add_parser("list", parents=[store, parents.json], help="every account with its role")
    listing.set_defaults(func=cmd_users_list)


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    import getpass

    first = getpass.getpass(f"password for {args.name}: ")
    if getpass.getpass("again: ") != first:
        raise BadInput("the two passwords differ")
    return first


def cmd_users_add(args: argparse.Namespace) -> int:
    from core.auth import users
    from core.store.db import get_engine

    password = None if args.no_password else _password(args)
    user = users.add_user(
        engine=get_engine(args.db), name=args.name, role=args.role, password=password, actor=operator()
    )
    print(f"added {user.name} ({user.role.value}{', no password' if not user.has_password else ''})")
    return 0


def cmd_users_set_role(args: argparse.Namespace) -> int:
    from core.auth import users
    from core.store.db import get_engine

    user = users.set_role(engine=get_engine(args.db), name=args.name, role=args.role, actor=operator())
    print(f"{user.name} is now a {user.role.value}")
    return 0


def cmd_users_passwd(args: argparse.Namespace) -> int:
    from core.auth import users
    from core.store.db import get_engine

    user = users.set_password(engine=get_engine(args.db), name=args.name, password=_password(args), actor=operator())
    print(f"new password set for {user.name}")
    return 0


def cmd_users_unlock(args: argparse.Namespace) -> int:
    from core.auth import users
    from core.store.db import get_engine

    user = users.unlock(engine=get_engine(args.db), name=args.name, actor=operator())
    print(f"{user.name} is unlocked")
    return 0


def cmd_users_remove(args: argparse.Namespace) -> int:
    from core.auth import users
    from core.store.db import get_engine

    users.remove_user(engine=get_engine(args.db), name=args.name, actor=operator())
    print(f"removed {args.name}")
    return 0


def cmd_users_list(args: argparse.Namespace) -> int:
    from core.auth import users
    from core.store.db import get_engine

    accounts = users.list_users(engine=get_engine(args.db))
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "name": u.name,
                        "role": u.role.value,
                        "has_password": u.has_password,
                        "locked_until": u.locked_until.isoformat() if u.locked_until else None,
                        "failed_attempts": u.failed_attempts,
                    }
                    for u in accounts
                ],
                indent=2,
            )
        )
        return 0
    for u in accounts:
        locked = u.locked_until is not None and u.locked_until > datetime.now(UTC)
        state = f"locked until {u.locked_until:%Y-%m-%d %H:%M} UTC" if locked else ""
        print(f"{u.name:<24} {u.role.value:<9} {'password' if u.has_password else 'no password':<12} {state}".rstrip())
    return 0
