"""A small demo store shared by the page tests (read-only), built once per session; signing a user in."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core import users
from core.access import operator
from core.db import get_engine
from core.demo import seed_demo
from core.settings import get_settings
from dashboard.signed_in import SESSION_KEY


@pytest.fixture(scope="session")
def demo_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo") / "data"
    engine = get_engine(f"sqlite:///{folder / 'labeldeck.db'}")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LABELDECK_DATA_DIR", str(folder))
        seed_demo(engine=engine, detection_images=16, classification_images=12)
    return folder


@pytest.fixture
def demo_store(demo_data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LABELDECK_DATA_DIR", str(demo_data_dir))
    monkeypatch.setenv("LABELDECK_DATABASE_URL", f"sqlite:///{demo_data_dir / 'labeldeck.db'}")
    return demo_data_dir


def signed_in_session(at: AppTest, name: str, role: str = "reviewer") -> AppTest:
    """The session as the sign-in form leaves it for `name` (LABELDECK_AUTH=password), with an account of `role`
    made first when there is none; the next run acts as that user. Before a first run too."""
    engine = get_engine(get_settings().database_url)
    if name not in {u.name for u in users.list_users(engine=engine)}:
        users.add_user(engine=engine, name=name, role=role, password=None, actor=operator())
    at.session_state[SESSION_KEY] = name
    return at


def sign_in_as(at: AppTest, name: str, role: str = "reviewer") -> AppTest:
    signed_in_session(at, name, role).run()
    assert not at.exception, at.exception
    return at
