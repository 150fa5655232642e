"""LabelDeck accounts and sign-in: argon2id password hashes, lockout after repeated failures, and the role of an
identity that signs in elsewhere (an OIDC e-mail or a reverse proxy's user name).

Lockout: LOCKOUT_ATTEMPTS failed passwords in a row lock the account for LOCKOUT_MINUTES; a right password
during the lock is refused too (else the lock would only slow a guesser who has the password list). A wrong name
or a locked account costs the same hash as a wrong password, and all get the same message, so sign-in does not
tell which names exist.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Engine, and_, case, or_, update
from sqlmodel import Session, select

from core.auth.access import MAX_NAME_LENGTH, Actor, Permission, Role, checked_name, parse_role, require
from core.domain.errors import BadInput, NotFound
from core.ops.logs import log_event
from core.settings import Settings
from core.store import models
from core.store.db import write_transaction

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


# One answer for every refusal: a different one for a locked account or for the last attempts would tell a guesser
# which names are accounts.
REFUSED = (
    f"Wrong user name or password, or the account is locked: {LOCKOUT_ATTEMPTS} failed sign-ins in a row "
    f"lock it for {LOCKOUT_MINUTES} minutes (an admin can unlock it sooner)."
)


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
    """The account's Actor when the password is right; SignInRefused otherwise.

    The attempt is counted before its password is checked, in one conditional UPDATE that also refuses a locked
    account, so attempts sent at once never get more than LOCKOUT_ATTEMPTS passwords checked between them; a right
    password then clears the count. The hash is computed outside any transaction (it takes ~0.1 s and 64 MiB; a
    write lock held that long would stall reviewers). Every refusal costs one hash and says the same words."""
    now = now or models.utcnow()
    name = (name or "").strip()
    charged = _charge_attempt(engine=engine, name=name, now=now) if 0 < len(name) <= MAX_NAME_LENGTH else None
    if charged is None:  # no such account, no password sign-in, or locked: as slow and as worded as a wrong password
        _verify(_DUMMY_HASH, password)
        log_event(log, "user.sign_in_refused", account=False, name_digest=_digest(name))
        raise SignInRefused(REFUSED)
    password_hash, failed_attempts = charged
    if not _verify(password_hash, password):
        log_event(
            log,
            "user.sign_in_refused",
            user=name,
            account=True,
            failed_attempts=failed_attempts,
            locked=failed_attempts >= LOCKOUT_ATTEMPTS,
        )
        raise SignInRefused(REFUSED)
    rehashed = _HASHER.hash(password) if _HASHER.check_needs_rehash(password_hash) else None
    with write_transaction(engine) as session:
        user = _find(session, name)
        if user is None:  # removed while its password was being checked
            raise SignInRefused(REFUSED)
        user.failed_attempts, user.locked_until, user.last_signed_in_at = 0, None, now
        if rehashed is not None and user.password_hash == password_hash:
            user.password_hash = rehashed
        session.add(user)
        actor = Actor(name=user.name, role=Role(user.role))
    log_event(log, "user.signed_in", user=actor.name, role=actor.role.value)
    return actor


def _charge_attempt(*, engine: Engine, name: str, now: datetime) -> tuple[str, int] | None:
    """Count one more failed sign-in for the account named `name`, locking it at LOCKOUT_ATTEMPTS, unless it is
    locked: its (password hash, failed attempts now), or None when there is no such unlocked password account.
    One statement: PostgreSQL re-checks the condition on the row after a concurrent writer's commit, SQLite holds
    the write lock for the statement."""
    table = models.table_of(models.AppUser)
    lock_ran_out = and_(table.c.locked_until.is_not(None), table.c.locked_until <= now)
    attempts = case((lock_ran_out, 1), else_=table.c.failed_attempts + 1)
    statement = (
        update(table)
        .where(
            table.c.name == name,
            table.c.password_hash.is_not(None),
            or_(table.c.locked_until.is_(None), table.c.locked_until <= now),
        )
        .values(
            failed_attempts=attempts,
            locked_until=case((attempts >= LOCKOUT_ATTEMPTS, now + timedelta(minutes=LOCKOUT_MINUTES)), else_=None),
        )
        .returning(table.c.password_hash, table.c.failed_attempts)
    )
    with write_transaction(engine) as session:
        row = session.execute(statement).first()
    return None if row is None else (row[0], row[1])


def _digest(name: str) -> str | None:
    """What the log keeps of a name that is no account: a password typed into the name field is never logged."""
    return hashlib.sha256(name.encode()).hexdigest()[:12] if name else None


def signed_in_actor(*, engine: Engine, name: str) -> Actor | None:
    """The account's Actor as it is now (None when it was removed meanwhile), read on every page run so that a
    role change or a removal takes effect at once."""
    with Session(engine) as session:
        user = _find(session, name)
        return None if user is None else Actor(name=user.name, role=Role(user.role))


def current_actor(*, engine: Engine, actor: Actor, settings: Settings) -> Actor | None:
    """`actor` with the role the store and the settings give it now (None: removed, or no longer given a role).
    For work that runs apart from the page run that signed the user in: a dialog or fragment rerun, a download
    built when clicked. A demoted reviewer's open page must not keep the old role."""
    if settings.auth_mode == "none":
        return actor
    if settings.auth_mode == "password":
        return signed_in_actor(engine=engine, name=actor.name)
    return identity_actor(engine=engine, identity=actor.name, settings=settings)


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


def proxy_identity(*, values: list[str], header: str) -> str | None:
    """The user name a sign-in proxy put in `header`, from every value the request carries for it: None when there
    is none. A header sent twice, or one value with a comma (how HTTP joins repeated headers), is refused: a client
    could have added its own copy that the proxy passed along, and which copy is the proxy's cannot be told."""
    present = [value.strip() for value in values if value.strip()]
    if not present:
        return None
    if len(present) > 1 or "," in present[0]:
        log_event(log, "user.proxy_identity_refused", header=header, values=len(values))
        raise BadInput(
            f"the {header} header came more than once on this request; the sign-in proxy must send "
            f"exactly one (and drop any the client sent)"
        )
    return present[0]


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
    return UserSummary(
        name=user.name,
        role=Role(user.role),
        has_password=user.password_hash is not None,
        locked_until=models.as_utc(user.locked_until),
        failed_attempts=user.failed_attempts,
        created_at=models.as_utc(user.created_at),
        last_signed_in_at=models.as_utc(user.last_signed_in_at),
    )
