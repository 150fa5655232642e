"""Accounts: argon2id hashes, sign-in with lockout after repeated failures, and roles of identities that sign in
elsewhere (OIDC e-mail, proxy user)."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from core.auth import users
from core.auth.access import Actor, Role
from core.domain.errors import BadInput, NotFound
from core.settings import load_settings
from core.store import models
from tests.builders import ADMIN

PASSWORD = "correct horse battery"


def add(engine, name: str = "ann", role: str = "reviewer", password: str | None = PASSWORD):
    return users.add_user(engine=engine, name=name, role=role, password=password, actor=ADMIN)


def stored_hash(engine, name: str) -> str | None:
    with Session(engine) as session:
        return session.exec(select(models.AppUser.password_hash).where(models.AppUser.name == name)).one()


def test_an_account_signs_in_with_its_password_and_keeps_only_a_salted_slow_hash(engine):
    add(engine)
    add(engine, name="bob", password=PASSWORD)
    assert users.authenticate(engine=engine, name="ann", password=PASSWORD) == Actor(name="ann", role=Role.REVIEWER)
    ann, bob = stored_hash(engine, "ann"), stored_hash(engine, "bob")
    assert ann.startswith("$argon2id$") and PASSWORD not in ann
    assert ann != bob  # same password, own salt
    (summary,) = [u for u in users.list_users(engine=engine) if u.name == "ann"]
    assert summary.last_signed_in_at is not None and summary.failed_attempts == 0


@pytest.mark.parametrize(
    ("name", "password"),
    [("ann", "wrong password!"), ("nobody", PASSWORD), ("", PASSWORD), ("ann", ""), ("ann", PASSWORD.upper())],
)
def test_a_wrong_name_or_password_gets_the_same_answer(engine, name, password):
    add(engine)
    with pytest.raises(users.SignInRefused, match=f"^{re.escape(users.REFUSED)}$"):
        users.authenticate(engine=engine, name=name, password=password)


def locks(engine, name: str = "ann"):
    (summary,) = [u for u in users.list_users(engine=engine) if u.name == name]
    return summary.failed_attempts, summary.locked_until


def test_five_failures_in_a_row_lock_the_account_even_for_the_right_password(engine):
    add(engine)
    now = models.utcnow()
    for _ in range(users.LOCKOUT_ATTEMPTS):
        with pytest.raises(users.SignInRefused) as refused:
            users.authenticate(engine=engine, name="ann", password="guess", now=now)
        assert str(refused.value) == users.REFUSED  # no countdown: it would tell that "ann" is an account
    assert locks(engine) == (5, now + timedelta(minutes=users.LOCKOUT_MINUTES))
    with pytest.raises(users.SignInRefused, match=f"^{re.escape(users.REFUSED)}$"):
        users.authenticate(engine=engine, name="ann", password=PASSWORD, now=now + timedelta(minutes=14))
    assert locks(engine)[0] == 5  # an attempt during the lock is not counted, and does not extend it
    # The lock runs out; the right password then signs in and clears the count.
    assert (
        users.authenticate(engine=engine, name="ann", password=PASSWORD, now=now + timedelta(minutes=16)).name == "ann"
    )
    assert locks(engine) == (0, None)


def test_a_lock_that_ran_out_counts_again_from_one(engine):
    add(engine)
    now = models.utcnow()
    for _ in range(users.LOCKOUT_ATTEMPTS):
        with pytest.raises(users.SignInRefused):
            users.authenticate(engine=engine, name="ann", password="guess", now=now)
    later = now + timedelta(minutes=16)
    with pytest.raises(users.SignInRefused):
        users.authenticate(engine=engine, name="ann", password="guess", now=later)
    assert locks(engine) == (1, None)


def test_a_success_resets_the_count_and_an_admin_can_unlock(engine):
    add(engine)
    for _ in range(3):
        with pytest.raises(users.SignInRefused):
            users.authenticate(engine=engine, name="ann", password="guess")
    users.authenticate(engine=engine, name="ann", password=PASSWORD)
    for _ in range(4):  # four more: would have locked without the reset
        with pytest.raises(users.SignInRefused):
            users.authenticate(engine=engine, name="ann", password="guess")
    assert locks(engine) == (4, None)
    with pytest.raises(users.SignInRefused):
        users.authenticate(engine=engine, name="ann", password="guess")
    assert locks(engine)[1] is not None
    users.unlock(engine=engine, name="ann", actor=ADMIN)
    assert users.authenticate(engine=engine, name="ann", password=PASSWORD).name == "ann"


def checked_passwords(monkeypatch) -> list[str]:
    """The hashes users._verify is asked to check against the account's (the decoy hash of a refusal aside)."""
    checked, verify = [], users._verify

    def counting(password_hash, password):
        if password_hash != users._DUMMY_HASH:
            checked.append(password)
        return verify(password_hash, password)

    monkeypatch.setattr(users, "_verify", counting)
    return checked


def test_concurrent_wrong_attempts_never_get_more_than_five_passwords_checked(engine, monkeypatch):
    add(engine)
    checked = checked_passwords(monkeypatch)
    attempts = 12
    start = threading.Barrier(attempts)

    def attempt(number: int) -> str:
        start.wait()
        try:
            users.authenticate(engine=engine, name="ann", password=f"guess {number}")
        except users.SignInRefused as refused:
            return str(refused)
        return "signed in"

    with ThreadPoolExecutor(attempts) as pool:
        answers = list(pool.map(attempt, range(attempts)))
    assert answers == [users.REFUSED] * attempts
    assert len(checked) == users.LOCKOUT_ATTEMPTS
    assert locks(engine)[0] == users.LOCKOUT_ATTEMPTS and locks(engine)[1] is not None
    with pytest.raises(users.SignInRefused):  # locked: the right password too
        users.authenticate(engine=engine, name="ann", password=PASSWORD)


def test_the_password_is_checked_while_the_store_is_free_for_other_writers(engine, monkeypatch):
    """An admin's write on the same account goes through while a sign-in's hash is being computed: no sign-in
    holds a write lock that long (on SQLite, a held lock would stall every reviewer)."""
    add(engine)
    verify, waited = users._verify, []

    def verify_while_an_admin_writes(password_hash, password):
        with ThreadPoolExecutor(1) as pool:
            write = pool.submit(users.set_role, engine=engine, name="ann", role="admin", actor=ADMIN)
            waited.append(write.exception(timeout=5) is None)
        return verify(password_hash, password)

    monkeypatch.setattr(users, "_verify", verify_while_an_admin_writes)
    assert users.authenticate(engine=engine, name="ann", password=PASSWORD).role is Role.ADMIN
    with pytest.raises(users.SignInRefused):
        users.authenticate(engine=engine, name="nobody", password=PASSWORD)
    assert waited == [True, True]


def test_refused_names_are_not_logged_as_typed(engine, caplog):
    add(engine)
    with caplog.at_level("INFO", logger="labeldeck.users"), pytest.raises(users.SignInRefused):
        users.authenticate(engine=engine, name="hunter2-my-password", password="x")
    assert caplog.records and all("hunter2-my-password" not in str(vars(record)) for record in caplog.records)


def test_managing_accounts(engine):
    add(engine, name="ann", role="viewer")
    add(engine, name="sso", role="admin", password=None)
    with pytest.raises(BadInput, match="user 'ann' exists already"):
        add(engine, name="ann")
    with pytest.raises(BadInput, match="at least 10 characters"):
        add(engine, name="short", password="short")
    with pytest.raises(BadInput, match="unknown role 'boss'"):
        add(engine, name="boss", role="boss")
    assert users.set_role(engine=engine, name="ann", role="admin", actor=ADMIN).role is Role.ADMIN
    with pytest.raises(users.SignInRefused):  # no password: signs in through OIDC or the proxy only
        users.authenticate(engine=engine, name="sso", password=PASSWORD)
    users.set_password(engine=engine, name="sso", password="a new long password", actor=ADMIN)
    assert users.authenticate(engine=engine, name="sso", password="a new long password").role is Role.ADMIN
    with pytest.raises(BadInput, match="cannot remove their own account"):
        users.remove_user(engine=engine, name="sso", actor=Actor(name="sso", role=Role.ADMIN))
    users.remove_user(engine=engine, name="sso", actor=ADMIN)
    assert [u.name for u in users.list_users(engine=engine)] == ["ann"]
    assert users.signed_in_actor(engine=engine, name="sso") is None  # a removed account is signed out
    with pytest.raises(NotFound, match="user 'sso' not found"):
        users.set_role(engine=engine, name="sso", role="viewer", actor=ADMIN)


def test_identities_from_elsewhere_take_their_account_role_else_the_role_lists_else_the_default(engine):
    add(engine, name="boss@corp.example", role="admin", password=None)
    settings = load_settings({"LABELDECK_ADMINS": "root@corp.example", "LABELDECK_REVIEWERS": "@corp.example,guest"})

    def role_of(identity: str, chosen=settings):
        actor = users.identity_actor(engine=engine, identity=identity, settings=chosen)
        return None if actor is None else actor.role.value

    assert role_of("boss@corp.example") == "admin"  # the account
    assert role_of("root@corp.example") == "admin"  # listed by name
    assert role_of("Rita@Corp.Example") == "reviewer"  # listed by domain, case aside
    assert role_of("guest") == "reviewer"
    assert role_of("eve@corp.example.evil") == "viewer"  # a domain is matched at the end only
    assert role_of("tom@elsewhere.example") == "viewer"  # the default role
    strict = load_settings({"LABELDECK_REVIEWERS": "@corp.example", "LABELDECK_DEFAULT_ROLE": "none"})
    assert role_of("tom@elsewhere.example", strict) is None  # refused
    assert role_of("x@corp.example", load_settings({"LABELDECK_REVIEWERS": "*"})) == "reviewer"


def test_the_current_actor_is_read_again_from_the_store_and_the_settings(engine):
    add(engine, name="ann", role="reviewer")
    drawn_for = Actor(name="ann", role=Role.REVIEWER)
    password = load_settings({"LABELDECK_AUTH": "password"})
    assert users.current_actor(engine=engine, actor=drawn_for, settings=password) == drawn_for
    users.set_role(engine=engine, name="ann", role="viewer", actor=ADMIN)
    assert users.current_actor(engine=engine, actor=drawn_for, settings=password).role is Role.VIEWER
    users.remove_user(engine=engine, name="ann", actor=ADMIN)
    assert users.current_actor(engine=engine, actor=drawn_for, settings=password) is None
    # Behind a proxy the role lists count, and leaving them takes the role away.
    listed = load_settings(
        {
            "LABELDECK_AUTH": "header",
            "LABELDECK_AUTH_HEADER": "X-User",
            "LABELDECK_REVIEWERS": "ann",
            "LABELDECK_DEFAULT_ROLE": "none",
        }
    )
    assert users.current_actor(engine=engine, actor=drawn_for, settings=listed) == drawn_for
    unlisted = load_settings(
        {"LABELDECK_AUTH": "header", "LABELDECK_AUTH_HEADER": "X-User", "LABELDECK_DEFAULT_ROLE": "none"}
    )
    assert users.current_actor(engine=engine, actor=drawn_for, settings=unlisted) is None
