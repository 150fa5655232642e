"""Users (admins only): every LabelDeck account with its role, a new account, and one account's role, password,
lock and removal. `python -m core users` does the same from the server's shell."""

import streamlit as st

from core.auth import users
from core.auth.access import Permission
from core.settings import get_settings
from dashboard.signed_in import require_permission, signed_in_user
from dashboard.store import engine
from dashboard.users_admin import account_ui, accounts_table_ui, new_account_ui, show_last_change

admin = signed_in_user()

st.title("Users")
require_permission(admin, Permission.MANAGE, what="Managing users")
show_last_change()
if get_settings().auth_mode == "none":
    st.info(
        "Sign-in is off (LABELDECK_AUTH=none): accounts take effect once it is `password`, `oidc` or `header`.",
        icon=":material/info:",
    )
accounts = users.list_users(engine=engine())
accounts_table_ui(accounts)
new_account_ui(admin)
if accounts:
    account_ui(admin, accounts)
