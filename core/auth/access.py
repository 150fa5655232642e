"""Who may do what. Every service that changes the store takes the acting user (an `Actor`) and checks its role
here before it opens a transaction, so a viewer is refused by the service itself, whatever a page shows or hides.

Roles are ordered: a viewer (team leads) reads everything and changes nothing; a reviewer also reviews, labels in
manual jobs, makes ResultSets and exports them; an admin also makes jobs and label specs and manages users.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from core.domain.errors import BadInput, Forbidden


class Role(StrEnum):
    VIEWER = "viewer"
    REVIEWER = "reviewer"
    ADMIN = "admin"


class Permission(StrEnum):
    READ = "read"
    REVIEW = "review"  # accept / reject / move to pending / undo
    LABEL = "label"  # label or skip images of a manual job, submit it
    EXPORT = "export"  # ResultSets, their downloads and datalog tables
    MANAGE = "manage"  # jobs, label specs, users


GRANTS: dict[Role, frozenset[Permission]] = {
    Role.VIEWER: frozenset({Permission.READ}),
    Role.REVIEWER: frozenset({Permission.READ, Permission.REVIEW, Permission.LABEL, Permission.EXPORT}),
    Role.ADMIN: frozenset(Permission),
}


def least_role(permission: Permission) -> Role:
    """Named in a refusal, so the user knows what to ask an admin for."""
    return next(role for role in Role if permission in GRANTS[role])


# Who a session is when sign-in is off (LABELDECK_AUTH=none), and who made the demo data.
DEMO_USER = "demo"

MAX_NAME_LENGTH = 120


@dataclass(frozen=True)
class Actor:
    """A signed-in user (or the CLI's operator) acting on the store. `name` is what review events record."""

    name: str
    role: Role

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", checked_name(self.name))
        object.__setattr__(self, "role", parse_role(self.role))

    def can(self, permission: Permission) -> bool:
        return permission in GRANTS[self.role]


def require(actor: Actor, permission: Permission, *, to: str) -> str:
    """The actor's name when its role holds `permission`; Forbidden naming who, the role and the role needed
    otherwise. `to` says what was attempted ("accept results")."""
    if not isinstance(actor, Actor):
        raise TypeError(f"actor must be an Actor, not {type(actor).__name__}")
    if not actor.can(permission):
        raise Forbidden(
            f"{actor.name} is a {actor.role.value} and may not {to}: that needs the {least_role(permission).value} role"
        )
    return actor.name


def parse_role(value: str | Role) -> Role:
    try:
        return Role(str(value).strip().lower())
    except ValueError:
        raise BadInput(f"unknown role {value!r}: one of {', '.join(r.value for r in Role)}") from None


def checked_name(name: str) -> str:
    cleaned = str(name or "").strip()
    if not cleaned:
        raise BadInput("a user name is needed")
    if len(cleaned) > MAX_NAME_LENGTH:
        raise BadInput(f"user name longer than {MAX_NAME_LENGTH} characters")
    if any(not ch.isprintable() for ch in cleaned):
        raise BadInput(f"user name {cleaned!r} holds control characters")
    return cleaned


# The command line runs on the server with the store's own credentials (whoever has the shell has the database):
# it acts as an admin under the name it is given.
def operator(name: str = "cli") -> Actor:
    return Actor(name=name, role=Role.ADMIN)
