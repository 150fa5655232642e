"""The Users page: an admin adds, changes and removes accounts in the app; anyone else is told it is for admins."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from core.auth import users
from core.settings import get_settings
from core.store.db import get_engine
from tests.app.conftest import click_in_dialog, page_alone, sign_in_as
from tests.app.visualize_helpers import APP


@pytest.fixture(autouse=True)
def password_store(store_url, monkeypatch):
    monkeypatch.setenv("LABELDECK_DATABASE_URL", store_url)
    monkeypatch.setenv("LABELDECK_AUTH", "password")


def engine():
    return get_engine(get_settings().database_url)


def open_users(name: str, role: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    at = sign_in_as(at, name, role)
    at.switch_page("../pages/users.py").run()
    assert not at.exception, at.exception
    return at


def accounts(at: AppTest) -> list[list]:
    return at.dataframe[0].value[["user", "role", "password"]].values.tolist()


def add_account(at: AppTest, name: str, password: str) -> AppTest:
    at.text_input(key="new_account_name").input(name)
    at.text_input(key="new_account_password").input(password)
    at.button(key="add_account").click().run()
    return at


def test_an_admin_adds_an_account_changes_its_role_and_removes_it(monkeypatch):
    at = open_users("ada", "admin")
    assert accounts(at) == [["ada", "admin", "no (OIDC / proxy)"]]
    add_account(at, "rita", "correct horse battery")  # a reviewer unless told otherwise
    assert not at.error, [e.value for e in at.error]
    assert accounts(at) == [["ada", "admin", "no (OIDC / proxy)"], ["rita", "reviewer", "yes"]]
    assert users.authenticate(engine=engine(), name="rita", password="correct horse battery").role.value == "reviewer"

    at.selectbox(key="account").set_value("rita").run()
    at.segmented_control(key="role_rita").set_value("viewer").run()
    at.button(key="save_role").click().run()
    assert accounts(at)[1] == ["rita", "viewer", "yes"]

    at.selectbox(key="account").set_value("rita").run()
    at.button(key="remove_account").click().run()
    click_in_dialog(at, "confirm_remove", monkeypatch)
    assert accounts(at) == [["ada", "admin", "no (OIDC / proxy)"]]


def test_a_short_password_is_refused_with_nothing_added():
    at = add_account(open_users("ada", "admin"), "rita", "short")
    assert [e.value for e in at.error] == [f"a password needs at least {users.MIN_PASSWORD_LENGTH} characters"]
    assert [u.name for u in users.list_users(engine=engine())] == ["ada"]


def test_an_admin_cannot_remove_their_own_account():
    at = open_users("ada", "admin")
    at.selectbox(key="account").set_value("ada").run()
    assert at.button(key="remove_account").disabled


@pytest.mark.parametrize("role", ["viewer", "reviewer"])
def test_the_page_is_for_admins_only(role):
    at = page_alone("users", "lee", role)
    assert [i.value for i in at.info] == [
        f"Managing users needs the admin role; you are signed in as **lee**, a {role}. An admin can change your role."
    ]
    assert not at.get("arrow_data_frame") and not at.dataframe
