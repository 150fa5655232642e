"""Roles and permissions: what each role may do, and the refusal that names who, the role and the role needed."""

from __future__ import annotations

import pytest

from core.auth import users
from core.auth.access import GRANTS, Actor, Permission, Role, least_role, operator, parse_role, require
from core.domain.errors import BadInput, Forbidden
from core.settings import load_settings

EXPECTED = {  # the table: viewer reads, reviewer reviews/labels/exports, admin also manages
    Role.VIEWER: {Permission.READ},
    Role.REVIEWER: {Permission.READ, Permission.REVIEW, Permission.LABEL, Permission.EXPORT},
    Role.ADMIN: set(Permission),
}


@pytest.mark.parametrize("role", list(Role))
def test_each_role_holds_exactly_its_permissions(role):
    assert GRANTS[role] == EXPECTED[role]
    actor = Actor(name="x", role=role)
    for permission in Permission:
        assert actor.can(permission) is (permission in EXPECTED[role])


def test_a_refusal_names_the_user_the_role_and_the_role_needed():
    viewer = Actor(name="lee", role="viewer")
    with pytest.raises(Forbidden, match="^lee is a viewer and may not accept results: that needs the reviewer role$"):
        require(viewer, Permission.REVIEW, to="accept results")
    with pytest.raises(Forbidden, match="that needs the admin role"):
        require(Actor(name="rita", role=Role.REVIEWER), Permission.MANAGE, to="create a label spec")
    assert require(Actor(name="rita", role=Role.REVIEWER), Permission.REVIEW, to="accept") == "rita"
    assert [least_role(p) for p in Permission] == [Role.VIEWER, Role.REVIEWER, Role.REVIEWER, Role.REVIEWER, Role.ADMIN]


def test_only_an_actor_acts():
    with pytest.raises(TypeError, match="actor must be an Actor, not str"):
        require("admin", Permission.READ, to="read")  # a bare name would skip the role


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "a user name is needed"),
        ("   ", "a user name is needed"),
        ("a" * 121, "longer than 120"),
        ("ann\x00", "control characters"),
        ("ann\nbob", "control characters"),
    ],
)
def test_names_are_checked(name, message):
    with pytest.raises(BadInput, match=message):
        Actor(name=name, role=Role.VIEWER)


def test_roles_parse_case_insensitively_and_unknown_ones_are_refused():
    assert parse_role(" Reviewer ") is Role.REVIEWER
    with pytest.raises(BadInput, match="unknown role 'owner': one of viewer, reviewer, admin"):
        parse_role("owner")
    assert Actor(name="  ann ", role="ADMIN") == Actor(name="ann", role=Role.ADMIN)


def test_the_command_line_operator_is_an_admin():
    assert operator() == Actor(name="cli", role=Role.ADMIN)
    assert operator("ops").can(Permission.MANAGE)


def test_auth_settings_come_from_the_environment():
    default = load_settings({})
    assert (default.auth_mode, default.auth_header, default.admins, default.reviewers, default.default_role) == (
        "none",
        None,
        (),
        (),
        "viewer",
    )
    custom = load_settings(
        {
            "LABELDECK_AUTH": " Header ",
            "LABELDECK_AUTH_HEADER": "X-Forwarded-User",
            "LABELDECK_ADMINS": "Ann@Corp.example, ,bob",
            "LABELDECK_REVIEWERS": "@corp.example",
            "LABELDECK_DEFAULT_ROLE": "none",
        }
    )
    assert (custom.auth_mode, custom.auth_header, custom.admins, custom.reviewers, custom.default_role) == (
        "header",
        "X-Forwarded-User",
        ("ann@corp.example", "bob"),
        ("@corp.example",),
        "none",
    )


@pytest.mark.parametrize(
    ("values", "identity"), [([], None), ([" "], None), (["rita@labs.example "], "rita@labs.example")]
)
def test_the_proxy_identity_is_its_one_header_value(values, identity):
    assert users.proxy_identity(values=values, header="X-Forwarded-User") == identity


@pytest.mark.parametrize("values", [["rita", "ada"], ["rita, ada"], ["rita", " ", "ada"]])
def test_a_proxy_header_sent_twice_is_refused_not_read_as_its_first_value(values):
    with pytest.raises(BadInput, match="the X-Forwarded-User header came more than once"):
        users.proxy_identity(values=values, header="X-Forwarded-User")
