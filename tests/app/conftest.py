"""A small demo store shared by the page tests (read-only), built once per session on SQLite and, for the modules in
BOTH_STORES, on PostgreSQL when configured; copies of a demo seeded once per session for the tests that write
(copy_demo); signing a user in."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import make_url, text
from sqlmodel import SQLModel
from streamlit.testing.v1 import AppTest, local_script_runner

from core.auth import users
from core.auth.access import operator
from core.demo.seed import seed_demo
from core.settings import get_settings
from core.store.db import get_engine
from dashboard.signed_in import SESSION_KEY
from dashboard.text import WORD_JOINER
from tests.conftest import PG_URL_ENV, _pg_schema_url, copy_demo_folder, copy_sqlite_store

# The page tests that also run on PostgreSQL (when configured): every page's smoke test, the review actions and the
# store's problems. The others run on SQLite only: what a page asks of the store is tested on both stores where it
# is made (tests/store), and a page over PostgreSQL doubled ~160 tests for one more run of the same script.
BOTH_STORES = {"test_pages_smoke.py", "test_review_page.py", "test_review_undo_page.py", "test_store_problems.py"}


@pytest.hookimpl(tryfirst=True)
def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if metafunc.definition.path.name in BOTH_STORES:
        return
    for store in ("store_url", "demo_data"):
        if store in metafunc.fixturenames:
            scope = "session" if store == "demo_data" else "function"
            # A mark, not metafunc.parametrize: the fixture's own params then step aside (pytest reads the marks).
            metafunc.definition.add_marker(pytest.mark.parametrize(store, ["sqlite"], indirect=True, scope=scope))


@pytest.fixture(autouse=True)
def fresh_streamlit_caches() -> Iterator[None]:
    """Each page test starts with Streamlit's caches empty, as a new server does: their keys name the store's URL,
    and a PostgreSQL test store's URL comes back in a later test (tests/conftest.py RecycledSchemas)."""
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def demo_data(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """(data folder, store URL) of the demo, drawn small: on SQLite, and on PostgreSQL when configured."""
    folder = tmp_path_factory.mktemp(f"demo-{request.param}") / "data"
    if request.param == "sqlite":
        urls = iter([f"sqlite:///{folder / 'labeldeck.db'}"])
    else:
        base = os.environ.get(PG_URL_ENV)
        if not base:
            pytest.skip(f"{PG_URL_ENV} is not set (.ci/run sets it)")
        urls = _pg_schema_url(base)
    url = next(urls)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LABELDECK_DATA_DIR", str(folder))
        seed_demo(engine=get_engine(url), detection_images=16, classification_images=12)
    yield folder, url
    next(urls, None)  # drops the PostgreSQL schema


@pytest.fixture
def demo_store(demo_data: tuple[Path, str], monkeypatch: pytest.MonkeyPatch) -> Path:
    folder, url = demo_data
    monkeypatch.setenv("LABELDECK_DATA_DIR", str(folder))
    monkeypatch.setenv("LABELDECK_DATABASE_URL", url)
    return folder


@pytest.fixture(scope="session")
def demo_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str, int, int], tuple[Path, str]]]:
    """(data folder, store URL) of a demo seeded at a given size on "sqlite" or "postgresql", made the first time a
    test of this session (of this xdist worker) asks for it; never written to: copy_demo copies it."""
    made: dict[tuple[str, int, int], tuple[Path, str]] = {}
    schemas: list[Iterator[str]] = []

    def template(backend: str, detection_images: int, classification_images: int) -> tuple[Path, str]:
        key = (backend, detection_images, classification_images)
        if key not in made:
            folder = tmp_path_factory.mktemp(f"demo-template-{backend}-{detection_images}-{classification_images}")
            folder = folder / "data"
            if backend == "sqlite":
                url = f"sqlite:///{folder / 'labeldeck.db'}"
            else:
                schema = _pg_schema_url(os.environ[PG_URL_ENV])
                url = next(schema)
                schemas.append(schema)
            with pytest.MonkeyPatch.context() as mp:
                mp.setenv("LABELDECK_DATA_DIR", str(folder))
                seed_demo(
                    engine=get_engine(url),
                    detection_images=detection_images,
                    classification_images=classification_images,
                )
            made[key] = (folder, url)
        return made[key]

    yield template
    for schema in schemas:
        next(schema, None)  # drops the PostgreSQL schema


def _schema(url: str) -> str:
    return make_url(url).query["options"].split("search_path=")[1]


def _copy_postgresql(template_url: str, url: str) -> None:
    """The template schema's rows into the test's schema, made by init_db as a new store's is (every constraint,
    index and sequence of its own), in one transaction; each sequence then continues where the template's stands,
    so that the ids a test makes are those a store seeded in place would give. (pg_catalog, not information_schema:
    its views check privileges row by row, ~30 ms a query.)"""
    source, target = _schema(template_url), _schema(url)
    engine = get_engine(url)
    with engine.begin() as conn:
        columns_query = (
            "SELECT c.relname, string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) FROM pg_class c "
            "JOIN pg_attribute a ON a.attrelid = c.oid WHERE c.relnamespace = CAST(:s AS regnamespace) "
            "AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped GROUP BY c.relname"
        )
        columns = dict(conn.execute(text(columns_query), {"s": source}).all())
        target_tables = set(dict(conn.execute(text(columns_query), {"s": target}).all()))
        assert set(columns) == target_tables, "the template and the new store differ in tables"
        order = [t.name for t in SQLModel.metadata.sorted_tables if t.name in columns]
        order += sorted(set(columns) - set(order))
        copy = [f"TRUNCATE {', '.join(f'{target}.{t}' for t in order)} CASCADE;"]
        copy += [f"INSERT INTO {target}.{t} ({columns[t]}) SELECT {columns[t]} FROM {source}.{t};" for t in order]
        sequences = conn.execute(
            text("SELECT relname FROM pg_class WHERE relnamespace = CAST(:s AS regnamespace) AND relkind = 'S'"),
            {"s": source},
        ).scalars()
        copy += [f"SELECT setval('{target}.{seq}', last_value, is_called) FROM {source}.{seq};" for seq in sequences]
        conn.exec_driver_sql("".join(copy))


@pytest.fixture
def copy_demo(data_dir: Path, demo_templates) -> Callable[..., None]:
    """copy_demo(url, detection_images=, classification_images=): this test's store at `url` (SQLite or PostgreSQL)
    and data folder become a copy of the demo seeded at that size (seed_demo, once per session and size): the same
    rows and ids, and the demo's image files under this test's data folder, where the jobs' relative image roots
    find them. The results-frame cache is left out (its files are keyed by the template's store URL)."""

    def copy(url: str, *, detection_images: int, classification_images: int) -> None:
        backend = "sqlite" if url.startswith("sqlite") else "postgresql"
        folder, template_url = demo_templates(backend, detection_images, classification_images)
        copy_demo_folder(folder, data_dir)
        (copy_sqlite_store if backend == "sqlite" else _copy_postgresql)(template_url, url)

    return copy


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


def click_in_dialog(at: AppTest, key: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """Click a button in the open st.dialog. A dialog is a fragment: the browser reruns only the dialog function on
    a click inside it; AppTest only reruns the whole script, in which the dialog function is not called (its
    opening click is over), so the click would be lost. The run is made the fragment rerun a browser requests."""
    # The dialog is the last fragment the run registered (a page may have others, such as Visualize's grid).
    fragment_id = list(at._fragment_storage._fragments)[-1]
    plain = local_script_runner.RerunData
    monkeypatch.setattr(
        local_script_runner,
        "RerunData",
        lambda **kw: plain(**kw, fragment_id_queue=[fragment_id], is_fragment_scoped_rerun=True),
    )
    at.button(key=key).click().run()
    monkeypatch.setattr(local_script_runner, "RerunData", plain)
    assert not at.exception, at.exception
    return at


def plain(markdown: str) -> str:
    """Markdown as the reader sees it: the backslash escapes and the (invisible) word joiners that keep user text
    from being read as Markdown or a link (dashboard.text.md) taken out."""
    return re.sub(r"\\(.)", r"\1", markdown).replace(WORD_JOINER, "")


def stats(at: AppTest) -> dict[str, str]:
    """The Expert Review Stats row: label → value."""
    bodies = [e.proto.body for e in at.get("html") if "data-stat=" in e.proto.body]
    assert len(bodies) == 1, bodies
    return dict(re.findall(r'data-stat="([^"]+)" data-value="([^"]+)"', bodies[0]))


def tile_captions(at: AppTest) -> list[str]:
    """The tiles' one-line captions, as shown: the Visualize grid's (a component, given them as data), else the
    HTML-escaped lines of the other grids (spot check, catalog)."""
    import html
    import json

    grids = [json.loads(e.proto.json) for e in at.get("bidi_component") if (e.key or "").endswith("tile_grid")]
    if grids:
        return [tile["caption"] for grid in grids for tile in grid["tiles"]]
    return [html.unescape(re.sub(r"<[^>]+>", "", m.value)) for m in at.markdown if m.value.startswith('<div title="')]


def send_widget_state(at: AppTest, widget_id: str, **value) -> AppTest:
    """Run with one more widget state, as the browser sends it for what AppTest cannot click (a data grid's cells,
    a chart's points, a component's triggers): value is one field of WidgetState, e.g. string_value="..."."""
    tree = at._tree
    collect = tree.get_widget_states

    def with_state():
        states = collect()
        state = states.widgets.add()
        state.id = widget_id
        for field, content in value.items():
            setattr(state, field, content)
        return states

    tree.get_widget_states = with_state
    at.run()
    tree.get_widget_states = collect
    assert not at.exception, at.exception
    return at


def _every_page_registered() -> None:
    """An entrypoint that registers every page whoever is signed in, so a page's own role check can be reached."""
    import streamlit as st

    from dashboard.navigation import app_pages

    st.navigation(app_pages(None), position="hidden").run()


def page_alone(page: str, name: str, role: str, **params: str) -> AppTest:
    """pages/<page>.py for `name` of `role`, past the navigation: how a page's own role check is tested. Through the
    entrypoint a page a role may not use is never run (the navigation does not register it for that role)."""
    at = AppTest.from_function(_every_page_registered, default_timeout=30)
    at.run()
    for key, value in params.items():
        at.query_params[key] = value
    at.switch_page(str(Path(__file__).resolve().parents[2] / "pages" / f"{page}.py"))
    return sign_in_as(at, name, role)
