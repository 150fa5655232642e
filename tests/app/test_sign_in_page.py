"""Signing in, in each LABELDECK_AUTH mode that runs here: none (the demo user), password (the form, lockout,
sign-out), oidc (st.user as AppTest seeds it) and header (refused without its proxy: AppTest sends no headers;
tests/e2e/test_sign_in_e2e.py sends them from Chromium). And what a viewer is not offered."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from core.auth import users
from core.auth.access import operator
from core.settings import get_settings
from core.store.db import get_engine
from tests.app.conftest import plain, sign_in_as
from tests.app.visualize_helpers import APP

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def accounts_store(store_url, monkeypatch):
    """Accounts in SQLite, and in PostgreSQL when configured."""
    monkeypatch.setenv("LABELDECK_DATABASE_URL", store_url)


def engine():
    return get_engine(get_settings().database_url)


def open_app(page: str | None = None, **user) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    if user:
        at.user = user
    at.run()
    if page is not None:
        at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def sidebar_texts(at: AppTest) -> list[str]:
    return [m.value for m in at.sidebar.markdown] + [c.value for c in at.sidebar.caption]


def sign_in_form(at: AppTest, name: str, password: str) -> AppTest:
    at.text_input(key="sign_in_name").input(name)
    at.text_input(key="sign_in_password").input(password)
    at.button[0].click().run()  # the form's submit button
    assert not at.exception, at.exception
    return at


def test_without_sign_in_everyone_is_the_demo_user_with_every_role():
    at = open_app()
    assert at.title[0].value == "Labeling Jobs"
    assert "No sign-in: everyone acts as **demo**, with every role." in sidebar_texts(at)
    assert at.button(key="new_job").label == "New manual label job"  # an admin's


def test_an_unknown_mode_stops_the_app_at_start_by_name(monkeypatch):
    monkeypatch.setenv("LABELDECK_AUTH", "ldap")
    at = open_app()
    assert [e.value for e in at.error] == ["LABELDECK_AUTH='ldap' is not one of none, password, oidc, header"]
    assert not at.title


def test_password_sign_in_wrong_then_right_then_sign_out(monkeypatch):
    monkeypatch.setenv("LABELDECK_AUTH", "password")
    users.add_user(engine=engine(), name="ann", role="reviewer", password=PASSWORD, actor=operator())
    at = open_app()
    assert [t.value for t in at.title] == ["Sign in to LabelDeck"]  # and nothing of the app
    sign_in_form(at, "ann", "not the password")
    assert at.error[0].value == users.REFUSED
    sign_in_form(at, "ann", PASSWORD)
    assert at.title[0].value == "Labeling Jobs"
    assert ":material/fact_check: **ann** · reviewer" in sidebar_texts(at)
    assert not [b for b in at.button if b.key == "new_job"]  # a reviewer makes no jobs

    at.switch_page("../pages/specs.py").run()
    assert at.title[0].value == "Label specs"  # the session stays signed in across pages
    at.sidebar.button(key="sign_out").click().run()
    assert [t.value for t in at.title] == ["Sign in to LabelDeck"]


def test_a_locked_account_is_refused_even_with_its_password(monkeypatch):
    monkeypatch.setenv("LABELDECK_AUTH", "password")
    users.add_user(engine=engine(), name="ann", role="reviewer", password=PASSWORD, actor=operator())
    at = open_app()
    for _ in range(users.LOCKOUT_ATTEMPTS):
        sign_in_form(at, "ann", "guess")
    assert at.error[0].value == users.REFUSED
    sign_in_form(at, "ann", PASSWORD)
    assert at.error[0].value == users.REFUSED  # the same words as a wrong password: names are not told apart
    assert [t.value for t in at.title] == ["Sign in to LabelDeck"]


def test_a_role_change_or_a_removed_account_takes_effect_on_the_next_run(monkeypatch):
    monkeypatch.setenv("LABELDECK_AUTH", "password")
    at = sign_in_as(open_app(), "ann", "admin")
    assert at.button(key="new_job").label == "New manual label job"
    users.set_role(engine=engine(), name="ann", role="viewer", actor=operator())
    at.run()
    assert not [b for b in at.button if b.key == "new_job"]
    users.remove_user(engine=engine(), name="ann", actor=operator())
    at.run()
    assert [t.value for t in at.title] == ["Sign in to LabelDeck"]


@pytest.mark.parametrize("page", ["../pages/new_job.py", "../pages/import_job.py", "../pages/users.py"])
def test_a_viewer_cannot_reach_an_admin_page_by_its_path(monkeypatch, page):
    """The navigation registers only the pages a role may use, so an admin page's URL is not a page for a viewer
    (the page's own role check stays as a second guard)."""
    monkeypatch.setenv("LABELDECK_AUTH", "password")
    at = sign_in_as(open_app(), "lee", "viewer")
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(page)
    at.switch_page("../pages/specs.py").run()  # a page the viewer may read, told what editing needs
    assert not at.exception
    shown = [i.value for i in at.info] + [c.value for c in at.caption]
    assert any("creating or editing label specs needs the admin" in text for text in shown), shown
    assert not [b for b in at.button if b.key in ("create_job", "create_spec")]


def test_oidc_offers_the_sign_in_button_and_maps_the_email_to_a_role(monkeypatch):
    monkeypatch.setenv("LABELDECK_AUTH", "oidc")
    monkeypatch.setenv("LABELDECK_REVIEWERS", "@labs.example")
    at = open_app(is_logged_in=False)
    assert at.button(key="oidc_sign_in").label == "Sign in with your company account"
    assert [t.value for t in at.title] == ["Sign in to LabelDeck"]

    at = open_app(is_logged_in=True, email="rita@labs.example", name="Rita")
    assert at.title[0].value == "Labeling Jobs"
    assert ":material/fact_check: **rita@labs.example** · reviewer" in map(plain, sidebar_texts(at))
    at = open_app(is_logged_in=True, email="tom@elsewhere.example")
    assert ":material/visibility: **tom@elsewhere.example** · viewer" in map(plain, sidebar_texts(at))


def test_oidc_refuses_an_identity_without_a_role_when_the_default_is_none(monkeypatch):
    monkeypatch.setenv("LABELDECK_AUTH", "oidc")
    monkeypatch.setenv("LABELDECK_DEFAULT_ROLE", "none")
    at = open_app(is_logged_in=True, email="tom@elsewhere.example")
    assert plain(at.error[0].value).startswith(
        "tom@elsewhere.example is signed in through your identity provider but has no LabelDeck role."
    )
    assert not [t for t in at.title if t.value == "Labeling Jobs"]


def test_header_mode_needs_its_header_name_and_refuses_a_request_without_the_header(monkeypatch):
    monkeypatch.setenv("LABELDECK_AUTH", "header")
    at = open_app()
    assert at.error[0].value.startswith("LABELDECK_AUTH=header needs LABELDECK_AUTH_HEADER")
    monkeypatch.setenv("LABELDECK_AUTH_HEADER", "X-Forwarded-User")
    at = open_app()
    assert at.error[0].value == (
        "No X-Forwarded-User header on this request: LabelDeck is reached here without its sign-in proxy."
    )
