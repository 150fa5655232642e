"""Who is signed in, by LABELDECK_AUTH: every page calls signed_in_user() first and acts as the Actor it
returns. Until someone is signed in, the page shows how to sign in and stops there.

- none: one local demo user with every role, and a "Demo mode" badge (make run, stakeholder demos);
- password: a LabelDeck account (python -m core users add ...), with lockout after repeated failures;
- oidc: Streamlit's st.login with the [auth] secrets; the role comes from the e-mail (core.auth.users.identity_actor);
- header: the user name a trusted reverse proxy puts in LABELDECK_AUTH_HEADER.

The role is read from the store on every run, so a role change or a removed account takes effect at the next
click. The pages only hide what a role cannot do; the services refuse it anyway.
"""

from __future__ import annotations

import streamlit as st

from core.auth import users
from core.auth.access import (
    DEMO_USER,  # the demo data is made by the same local user
    Actor,
    Permission,
    Role,
    least_role,
)
from core.domain.errors import BadInput
from core.settings import get_settings
from dashboard.store import engine
from dashboard.text import md

SESSION_KEY = "signed_in_name"
ROLE_ICONS = {
    Role.VIEWER: ":material/visibility:",
    Role.REVIEWER: ":material/fact_check:",
    Role.ADMIN: ":material/shield_person:",
}


def signed_in_user() -> Actor:
    settings = get_settings()
    mode = settings.auth_mode
    if mode == "none":
        user = Actor(name=DEMO_USER, role=Role.ADMIN)
    elif mode == "password":
        user = _password_user()
    elif mode == "oidc":
        user = _oidc_user()
    else:  # header: the settings refused any other mode at start-up
        user = _header_user(settings.auth_header)
    _user_box(user, mode)
    return user


def signed_in_role() -> Role | None:
    """The signed-in user's role, drawing nothing (the navigation offers the pages a role can use); None while
    nobody is signed in, or when the page itself is to say why not (signed_in_user draws that)."""
    settings = get_settings()
    identity = None
    if settings.auth_mode == "none":
        return Role.ADMIN
    if settings.auth_mode == "password":
        name = st.session_state.get(SESSION_KEY)
        user = users.signed_in_actor(engine=engine(), name=name) if name else None
        return user.role if user else None
    if settings.auth_mode == "oidc" and st.user.get("is_logged_in"):
        identity = st.user.get("email") or st.user.get("name")
    try:
        if settings.auth_mode == "header" and settings.auth_header:
            identity = _header_identity(settings.auth_header)
        if not identity:
            return None
        user = users.identity_actor(engine=engine(), identity=identity, settings=settings)
    except BadInput:
        return None
    return user.role if user else None


def still_signed_in(user: Actor) -> Actor:
    """`user` as the store has them now: called first in every dialog and fragment that acts, since those rerun
    alone with the Actor of the page run that drew them. Stops the dialog or fragment when the account is gone."""
    current = users.current_actor(engine=engine(), actor=user, settings=get_settings())
    if current is None:
        st.error(f"{md(user.name)} no longer has a LabelDeck role: reload the page.", icon=":material/lock:")
        st.stop()
    return current


def require_permission(user: Actor, permission: Permission, *, what: str) -> None:
    """Stop the page, saying why, when the user's role cannot do what the page is for."""
    if not user.can(permission):
        st.info(
            f"{what} needs the {least_role(permission).value} role; you are signed in as **{md(user.name)}**, a "
            f"{user.role.value}. An admin can change your role.",
            icon=":material/lock:",
        )
        st.stop()


def read_only_note(user: Actor, permission: Permission, *, what: str) -> None:
    st.caption(
        f":material/visibility: Read-only: you are signed in as a {user.role.value}; {what} needs the "
        f"{least_role(permission).value} role."
    )


def _user_box(user: Actor, mode: str) -> None:
    with st.sidebar.container(key="signed_in"):
        if mode == "none":
            st.badge("Demo mode", icon=":material/science:", color="orange")
            st.caption("No sign-in: everyone acts as **demo**, with every role.")
            return
        st.markdown(f"{ROLE_ICONS[user.role]} **{md(user.name)}** · {user.role.value}")
        if mode in ("password", "oidc") and st.button(
            "Sign out", key="sign_out", icon=":material/logout:", type="tertiary"
        ):
            st.session_state.pop(SESSION_KEY, None)
            if mode == "oidc":
                st.logout()
            st.rerun()


def _password_user() -> Actor:
    name = st.session_state.get(SESSION_KEY)
    if name:
        user = users.signed_in_actor(engine=engine(), name=name)
        if user is not None:
            return user
        st.session_state.pop(SESSION_KEY, None)  # the account was removed meanwhile
    _sign_in_form()
    st.stop()


def _sign_in_form() -> None:
    _, middle, _ = st.columns([1, 2, 1])
    with middle:
        st.title("Sign in to LabelDeck")
        with st.form("sign_in"):
            name = st.text_input("User name", key="sign_in_name", autocomplete="username")
            password = st.text_input(
                "Password", type="password", key="sign_in_password", autocomplete="current-password"
            )
            submitted = st.form_submit_button("Sign in", type="primary", icon=":material/login:")
        if submitted:
            try:
                user = users.authenticate(engine=engine(), name=name, password=password)
            except users.SignInRefused as refused:
                st.error(str(refused), icon=":material/lock:")
            else:
                st.session_state[SESSION_KEY] = user.name
                st.rerun()
        st.caption("Accounts are made by an admin: `python -m core users add NAME --role reviewer`.")


def _oidc_user() -> Actor:
    if not st.user.get("is_logged_in"):
        _, middle, _ = st.columns([1, 2, 1])
        with middle:
            st.title("Sign in to LabelDeck")
            st.button(
                "Sign in with your company account",
                type="primary",
                icon=":material/login:",
                on_click=st.login,
                key="oidc_sign_in",
            )
        st.stop()
    identity = st.user.get("email") or st.user.get("name") or ""
    return _known_identity(identity, source="your identity provider", can_sign_out=True)


def _header_user(header: str | None) -> Actor:
    if not header:
        st.error(
            "LABELDECK_AUTH=header needs LABELDECK_AUTH_HEADER: the request header in which the sign-in proxy "
            "passes the user name (e.g. X-Forwarded-User).",
            icon=":material/lock:",
        )
        st.stop()
    try:
        identity = _header_identity(header)
    except BadInput as problem:
        st.error(f"The sign-in proxy's request is refused: {md(problem)}.", icon=":material/lock:")
        st.stop()
    if not identity:
        st.error(
            f"No {header} header on this request: LabelDeck is reached here without its sign-in proxy.",
            icon=":material/lock:",
        )
        st.stop()
    return _known_identity(identity, source="the sign-in proxy", can_sign_out=False)


def _header_identity(header: str) -> str | None:
    return users.proxy_identity(values=st.context.headers.get_all(header), header=header)


def _known_identity(identity: str, *, source: str, can_sign_out: bool) -> Actor:
    try:
        user = users.identity_actor(engine=engine(), identity=identity, settings=get_settings())
    except BadInput as problem:  # a malformed identity (control characters, too long) from upstream
        st.error(f"{source} sent an identity LabelDeck cannot use: {md(problem)}", icon=":material/lock:")
        st.stop()
    if user is None:
        st.error(
            f"{md(identity)} is signed in through {source} but has no LabelDeck role. An admin can add it "
            f"with `python -m core users add NAME --role viewer --no-password`.",
            icon=":material/lock:",
        )
        if can_sign_out:
            st.button("Sign out", on_click=st.logout, key="sign_out_unknown")
        st.stop()
    return user
