"""The PostgreSQL schemas the store tests borrow (tests/conftest.py RecycledSchemas): a schema comes back empty,
its ids starting at 1 and the tables a test added gone; one whose tables a test changed is not lent again."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import make_url, text

from core.store.db import get_engine
from tests.conftest import PG_URL_ENV, RecycledSchemas

pytestmark = pytest.mark.skipif(not os.environ.get(PG_URL_ENV), reason=f"{PG_URL_ENV} is not set (.ci/run sets it)")


def borrow(schemas: RecycledSchemas) -> tuple[str, object]:
    lending = schemas.lend()
    return next(lending), lending


def give_back(lending) -> None:
    next(lending, None)


def schema_of(url: str) -> str:
    return make_url(url).query["options"].split("search_path=")[1]


def add_spec(url: str, name: str) -> int:
    insert = "INSERT INTO labelspec (name, task, created_at) VALUES (:name, 'detection', now()) RETURNING id"
    with get_engine(url).begin() as conn:
        return conn.execute(text(insert), {"name": name}).scalar_one()


def test_a_schema_comes_back_empty_with_its_ids_from_one_and_without_added_tables():
    schemas = RecycledSchemas(os.environ[PG_URL_ENV])
    try:
        url, lending = borrow(schemas)
        assert [add_spec(url, "a"), add_spec(url, "b")] == [1, 2]
        with get_engine(url).begin() as conn:
            conn.execute(text("CREATE TABLE datalog_export (x int)"))
        give_back(lending)

        again, lending = borrow(schemas)
        assert again == url
        with get_engine(again).connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM labelspec")).scalar_one() == 0
            assert conn.execute(text("SELECT to_regclass('datalog_export')")).scalar() is None
        assert add_spec(again, "a") == 1
        give_back(lending)
    finally:
        schemas.drop_all()


@pytest.mark.parametrize(
    "change",
    [
        "ALTER TABLE labelspec ADD COLUMN extra int",
        "CREATE INDEX ix_extra ON labelspec (created_at)",
        "UPDATE schemaversion SET version = version - 1",
        "DROP TABLE annotation",
    ],
)
def test_a_schema_whose_tables_a_test_changed_is_not_lent_again(change):
    schemas = RecycledSchemas(os.environ[PG_URL_ENV])
    try:
        url, lending = borrow(schemas)
        with get_engine(url).begin() as conn:
            conn.execute(text(change))
        give_back(lending)
        assert schemas.free == []
        with get_engine(os.environ[PG_URL_ENV]).connect() as conn:  # dropped at once
            assert conn.execute(text("SELECT to_regnamespace(:s)"), {"s": schema_of(url)}).scalar() is None
        other, lending = borrow(schemas)
        assert other != url
        give_back(lending)
    finally:
        schemas.drop_all()
