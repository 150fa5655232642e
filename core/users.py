"""LabelDeck accounts and sign-in: argon2id password hashes, lockout after repeated failures, and the role of an
identity that signs in elsewhere (an OIDC e-mail or a reverse proxy's user name).

Lockout: LOCKOUT_ATTEMPTS failed passwords in a row lock the account for LOCKOUT_MINUTES; a right password
during the lock is refused too (else the lock would only slow a guesser who has the password list). A wrong name
costs the same hash as a wrong password, and both get the same message, so sign-in does not tell which names
exist.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Engine
from sqlmodel import Session, select

from core import models
from core.access import MAX_NAME_LENGTH, Actor, Permission, Role, checked_name, parse_role, require
from core.db import write_transaction
from core.errors import BadInput, NotFound
from core.logs import log_event
from core.settings import Settings

log = logging.getLogger("labeldeck.users")

LOCKOUT_ATTEMPTS = 5
LOCKOUT_MINUTES = 15
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024  # a megabyte "password" would only make the hash slow

_HASHER = PasswordHasher()  # argon2id, the library's defaults (RFC 9106's second recommendation, 64 MiB)
# Verified against when the name is unknown, so an unknown name takes as long as a wrong password.
_DUMMY_HASH = _HASHER.hash("labeldeck: no such user")


class SignInRefused(Exception):
    """Wrong name or password, or a locked account. The message is safe to show."""


@dataclass(frozen=True)
class UserSummary:
    name: str
    role: Role
    has_password: bool
    locked_until: datetime | None
    failed_attempts: int
    created_at: datetime
    last_signed_in_at: datetime | None


def add_user(*, engine: Engine, name: str, role: str | Role, password: str | None, actor: Actor) -> UserSummary:
    """A new account. `password` None makes an account that signs in through OIDC or the proxy only."""
    require(actor, Permission.MANAGE, to="add users")
    name, role = checked_name(name), parse_role(role)
    password_hash = _HASHER.hash(checked_password(password)) if password is not None else None
    with write_transaction(engine) as session:
        if _find(session, name) is not None:
            raise BadInput(f"user {name!r} exists already")
        user = models.AppUser(name=name, role=role.value, password_hash=password_hash)
        session.add(user)
        session.flush()
        return _summary(user)


def set_role(*, engine: Engine, name: str, role: str | Role, actor: Actor) -> UserSummary:
    require(actor, Permission.MANAGE, to="change roles")
    role = parse_role(role)
    with write_transaction(engine) as session:
        user = _existing(session, name)
        user.role = role.value
        session.add(user)
        return _summary(user)


def set_password(*, engine: Engine, name: str, password: str | None, actor: Actor) -> UserSummary:
    """A new password (None: no password sign-in); clears a lockout."""
    require(actor, Permission.MANAGE, to="set passwords")
    password_hash = _HASHER.hash(checked_password(password)) if password is not None else None
    with write_transaction(engine) as session:
        user = _existing(session, name)
        user.password_hash, user.failed_attempts, user.locked_until = password_hash, 0, None
        session.add(user)
        return _summary(user)


def unlock(*, engine: Engine, name: str, actor: Actor) -> UserSummary:
    require(actor, Permission.MANAGE, to="unlock accounts")
    with write_transaction(engine) as session:
        user = _existing(session, name)
        user.failed_attempts, user.locked_until = 0, None
        session.add(user)
        return _summary(user)


def remove_user(*, engine: Engine, name: str, actor: Actor) -> None:
    require(actor, Permission.MANAGE, to="remove users")
    if checked_name(name) == actor.name:
        raise BadInput(f"{actor.name} cannot remove their own account")
    with write_transaction(engine) as session:
        session.delete(_existing(session, name))


def list_users(*, engine: Engine) -> list[UserSummary]:
    with Session(engine) as session:
        return [_summary(u) for u in session.exec(select(models.AppUser).order_by(models.AppUser.name)).all()]


def authenticate(*, engine: Engine, name: str, password: str, now: datetime | None = None) -> Actor:
    """The account's Actor when the password is right; SignInRefused otherwise (and the failure counted)."""
    now = now or models.utcnow()
    name = (name or "").strip()
    refusal = None
    with write_transaction(engine) as session:
        user = _find(session, name) if name else None
        if user is None or user.password_hash is None:
            _verify(_DUMMY_HASH, password)
            log_event(log, "user.sign_in_refused", user=name[:MAX_NAME_LENGTH], account=False)
            raise SignInRefused("Wrong user name or password.")
        locked_until = models.as_utc(user.locked_until)
        if locked_until is not None and locked_until > now:
            log_event(log, "user.sign_in_refused", user=user.name, account=True, locked=True)
            raise SignInRefused(f"Account {user.name!r} is locked after {LOCKOUT_ATTEMPTS} failed sign-ins until "
                                f"{locked_until:%H:%M} UTC; an admin can unlock it sooner.")
        if _verify(user.password_hash, password):
            if _HASHER.check_needs_rehash(user.password_hash):
                user.password_hash = _HASHER.hash(password)
            user.failed_attempts, user.locked_until, user.last_signed_in_at = 0, None, now
        else:
            # Committed with the transaction although sign-in is refused: the count must survive the refusal.
            user.failed_attempts += 1
            if user.failed_attempts >= LOCKOUT_ATTEMPTS:
                user.locked_until = now + timedelta(minutes=LOCKOUT_MINUTES)
            left = LOCKOUT_ATTEMPTS - user.failed_attempts
            refusal = "Wrong user name or password." + (
                f" {left} attempt{'s' * (left != 1)} left before the account locks." if 0 < left <= 2 else ""
            ) + (f" The account is now locked for {LOCKOUT_MINUTES} minutes." if left <= 0 else "")
        session.add(user)
        actor = Actor(name=user.name, role=Role(user.role))
    if refusal is not None:
        log_event(log, "user.sign_in_refused", user=user.name, account=True, failed_attempts=user.failed_attempts,
                  locked=user.locked_until is not None)
        raise SignInRefused(refusal)
    log_event(log, "user.signed_in", user=actor.name, role=actor.role.value)
    return actor


def signed_in_actor(*, engine: Engine, name: str) -> Actor | None:
    """The account's Actor as it is now (None when it was removed meanwhile), read on every page run so that a
    role change or a removal takes effect at once."""
    with Session(engine) as session:
        user = _find(session, name)
        return None if user is None else Actor(name=user.name, role=Role(user.role))


def identity_actor(*, engine: Engine, identity: str, settings: Settings) -> Actor | None:
    """The Actor of an identity vouched for elsewhere (OIDC e-mail, proxy user): its account's role when it has
    one, else the highest role whose settings list names it (full identity, "@domain" or "*"), else the default
    role. None when the default role is "none" and nothing names the identity: such users are refused."""
    identity = checked_name(identity)
    account = signed_in_actor(engine=engine, name=identity)
    if account is not None:
        return account
    listed = [(Role.ADMIN, settings.admins), (Role.REVIEWER, settings.reviewers)]
    for role, entries in listed:
        if any(_matches(identity, entry) for entry in entries):
            return Actor(name=identity, role=role)
    if settings.default_role == "none":
        return None
    return Actor(name=identity, role=parse_role(settings.default_role))


def checked_password(password: str | None) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise BadInput(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise BadInput(f"a password may have at most {MAX_PASSWORD_LENGTH} characters")
    return password


def _matches(identity: str, entry: str) -> bool:
    identity = identity.lower()
    if entry == "*":
        return True
    if entry.startswith("@"):
        return identity.endswith(entry)
    return identity == entry


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, (password or "")[:MAX_PASSWORD_LENGTH])
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _find(session: Session, name: str) -> models.AppUser | None:
    return session.exec(select(models.AppUser).where(models.AppUser.name == name.strip())).first()


def _existing(session: Session, name: str) -> models.AppUser:
    user = _find(session, checked_name(name))
    if user is None:
        raise NotFound(f"user {name!r} not found")
    return user


def _summary(user: models.AppUser) -> UserSummary:
    return UserSummary(name=user.name, role=Role(user.role), has_password=user.password_hash is not None,
                       locked_until=models.as_utc(user.locked_until), failed_attempts=user.failed_attempts,
                       created_at=models.as_utc(user.created_at), last_signed_in_at=models.as_utc(user.last_signed_in_at))
