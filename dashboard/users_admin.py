"""Managing accounts in the app, for admins: the list, a new account, and one account's role, password, lock and
removal. The same services as `python -m core users`; they check the admin role themselves."""

from __future__ import annotations

import polars as pl
import streamlit as st

from core.auth import users
from core.auth.access import Actor, Role
from core.domain.errors import BadInput, NotFound
from dashboard.signed_in import still_signed_in
from dashboard.store import engine
from dashboard.text import md

ROLES = [r.value for r in Role]


def accounts_table_ui(accounts: list[users.UserSummary]) -> None:
    st.dataframe(
        pl.DataFrame(
            {
                "user": [u.name for u in accounts],
                "role": [u.role.value for u in accounts],
                "password": ["yes" if u.has_password else "no (OIDC / proxy)" for u in accounts],
                "locked until": [u.locked_until for u in accounts],
                "last signed in": [u.last_signed_in_at for u in accounts],
            },
            schema_overrides={"locked until": pl.Datetime("us", "UTC"), "last signed in": pl.Datetime("us", "UTC")},
        ),
        hide_index=True,
        key="accounts",
        column_config={
            "locked until": st.column_config.DatetimeColumn(format="D MMM YYYY, HH:mm"),
            "last signed in": st.column_config.DatetimeColumn(format="D MMM YYYY, HH:mm"),
        },
    )


def new_account_ui(admin: Actor) -> None:
    with st.expander("New account", icon=":material/person_add:"):
        with st.form("new_account", border=False, clear_on_submit=True):  # never leave a password in a field
            name = st.text_input(
                "User name",
                key="new_account_name",
                help="For OIDC or a sign-in proxy: the e-mail or user name it sends",
            )
            role = st.segmented_control("Role", ROLES, default="reviewer", key="new_account_role")
            password = st.text_input(
                "Password",
                type="password",
                autocomplete="new-password",
                key="new_account_password",
                help=f"At least {users.MIN_PASSWORD_LENGTH} characters; leave empty for an "
                "account that signs in through OIDC or the proxy only",
            )
            added = st.form_submit_button("Add account", type="primary", key="add_account")
        if added:
            _act(
                lambda: users.add_user(
                    engine=engine(), name=name, role=role or "viewer", password=password or None, actor=admin
                ),
                done=f"Added {md(name.strip())}.",
            )


def account_ui(admin: Actor, accounts: list[users.UserSummary]) -> None:
    """One account, picked by name: change its role, set its password, unlock or remove it."""
    names = [u.name for u in accounts]
    picked = st.selectbox("Account", names, index=None, placeholder="Pick an account to change", key="account")
    if picked is None:
        return
    account = next(u for u in accounts if u.name == picked)
    role_column, password_column = st.columns(2)
    with role_column:
        role = st.segmented_control("Role", ROLES, default=account.role.value, key=f"role_{picked}")
        if st.button("Save role", key="save_role", disabled=role in (None, account.role.value)):
            _act(
                lambda: users.set_role(engine=engine(), name=picked, role=role, actor=admin),
                done=f"{md(picked)} is now a {role}.",
            )
    with password_column, st.form(f"password_{picked}", border=False):
        password = st.text_input("New password", type="password", autocomplete="new-password")
        if st.form_submit_button("Set password"):
            _act(
                lambda: users.set_password(engine=engine(), name=picked, password=password, actor=admin),
                done=f"New password set for {md(picked)}; any lock is lifted.",
            )
    with st.container(horizontal=True):
        if account.locked_until is not None and st.button("Unlock", key="unlock", icon=":material/lock_open:"):
            _act(lambda: users.unlock(engine=engine(), name=picked, actor=admin), done=f"{md(picked)} is unlocked.")
        if st.button(
            "Remove account",
            key="remove_account",
            icon=":material/person_remove:",
            disabled=picked == admin.name,
            help="You cannot remove your own account" if picked == admin.name else None,
        ):
            _confirm_removal(admin, picked)


@st.dialog("Remove account")
def _confirm_removal(admin: Actor, name: str) -> None:
    admin = still_signed_in(admin)
    st.write(
        f"Remove **{md(name)}**? They are signed out at their next click. Their review decisions stay, under "
        "their name."
    )
    if st.button("Remove", type="primary", key="confirm_remove"):
        _act(lambda: users.remove_user(engine=engine(), name=name, actor=admin), done=f"Removed {md(name)}.")


def _act(change, *, done: str) -> None:
    try:
        change()
    except (BadInput, NotFound) as problem:
        st.error(md(problem))
        return
    st.session_state["users_toast"] = done
    st.session_state.pop("account", None)
    st.rerun()


def show_last_change() -> None:
    message = st.session_state.pop("users_toast", None)
    if message:
        st.toast(message, icon=":material/group:")
