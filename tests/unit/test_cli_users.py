"""`python -m core users ...`: accounts made and changed from the command line, as an admin on the server does."""

from __future__ import annotations

import io
import json

import pytest

from core import cli
from core.auth import users
from tests.unit.test_cli import run


def core(store_url: str, capsys, *args: str, stdin: str | None = None, monkeypatch=None) -> tuple[int, str, str]:
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    rc = cli.main([*args, "--db", store_url])
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_add_list_change_role_lock_unlock_and_remove(engine, store_url, capsys, monkeypatch):
    rc, out, _ = core(
        store_url,
        capsys,
        "users",
        "add",
        "ann",
        "--role",
        "reviewer",
        "--password-stdin",
        stdin="correct horse battery\n",
        monkeypatch=monkeypatch,
    )
    assert (rc, out) == (0, "added ann (reviewer)\n")
    assert core(store_url, capsys, "users", "add", "sso@corp.example", "--role", "admin", "--no-password")[:2] == (
        0,
        "added sso@corp.example (admin, no password)\n",
    )
    assert users.authenticate(engine=engine, name="ann", password="correct horse battery").role.value == "reviewer"

    assert core(store_url, capsys, "users", "set-role", "ann", "viewer")[:2] == (0, "ann is now a viewer\n")
    for _ in range(users.LOCKOUT_ATTEMPTS):
        with pytest.raises(users.SignInRefused):
            users.authenticate(engine=engine, name="ann", password="guess")
    rc, out, _ = core(store_url, capsys, "users", "list")
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["ann", "viewer", "password"] and "locked until" in lines[0]
    assert lines[1].split() == ["sso@corp.example", "admin", "no", "password"]
    assert core(store_url, capsys, "users", "unlock", "ann")[:2] == (0, "ann is unlocked\n")
    rc, out, _ = core(store_url, capsys, "users", "list", "--json")
    assert json.loads(out)[0] == {
        "name": "ann",
        "role": "viewer",
        "has_password": True,
        "locked_until": None,
        "failed_attempts": 0,
    }

    rc, out, _ = core(
        store_url,
        capsys,
        "users",
        "passwd",
        "ann",
        "--password-stdin",
        stdin="a brand new secret\n",
        monkeypatch=monkeypatch,
    )
    assert (rc, out) == (0, "new password set for ann\n")
    assert users.authenticate(engine=engine, name="ann", password="a brand new secret").name == "ann"
    assert core(store_url, capsys, "users", "remove", "ann")[:2] == (0, "removed ann\n")
    assert [u.name for u in users.list_users(engine=engine)] == ["sso@corp.example"]


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["users", "add", "ann", "--role", "viewer", "--password-stdin"], "short\n", "at least 10 characters"),
        (["users", "set-role", "nobody", "admin"], None, "user 'nobody' not found"),
        (["users", "remove", "nobody"], None, "user 'nobody' not found"),
    ],
)
def test_bad_input_exits_2_with_the_reason(engine, store_url, capsys, monkeypatch, args, stdin, message):
    rc, out, err = core(store_url, capsys, *args, stdin=stdin, monkeypatch=monkeypatch)
    assert rc == 2 and out == "" and message in err
    assert users.list_users(engine=engine) == []


def test_the_password_is_asked_twice_and_must_match(engine, store_url, capsys, monkeypatch):
    answers = iter(["correct horse battery", "correct horse batterY"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    rc, out, err = core(store_url, capsys, "users", "add", "ann", "--role", "viewer")
    assert (rc, out, err) == (2, "", "error: the two passwords differ\n")
    answers = iter(["correct horse battery"] * 2)
    assert core(store_url, capsys, "users", "add", "ann", "--role", "viewer")[:2] == (0, "added ann (viewer)\n")


def test_a_user_runs_it_as_a_command():
    done = run("users", "add", "ann", "--role", "viewer", "--no-password")
    assert done.stdout == "added ann (viewer, no password)\n"
    assert run("users", "list").stdout.split() == ["ann", "viewer", "no", "password"]
