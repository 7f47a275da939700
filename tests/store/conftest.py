"""One store suite, two backends: SQLite in tmp_path, and PostgreSQL when
MAILROOM_TEST_POSTGRES_URL is set — each test in a fresh schema that is dropped afterwards."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from bot.store import Store
from bot.store.factory import open_store
from tests.store.helpers import Clock
from tests.support.databases import start_migrated
from tests.support.postgres import postgres_base_url

OpenStore = Callable[[], Awaitable[Store]]


def _with_search_path(url: str, schema: str) -> str:
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}options=-csearch_path%3D{schema}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'mailroom.db'}"
        return
    base = postgres_base_url()
    schema = f"mailroom_test_{uuid.uuid4().hex[:12]}"
    async with await psycopg.AsyncConnection.connect(base, autocommit=True) as conn:
        await conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        yield _with_search_path(base, schema)
    finally:
        async with await psycopg.AsyncConnection.connect(base, autocommit=True) as conn:
            await conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def open_another(database_url: str, clock: Clock) -> AsyncIterator[OpenStore]:
    """Open another store (its own connection or pool) on the same database, migrated (a
    SQLite one starts as a copy of a migrated database: tests/support/databases.py)."""
    opened: list[Store] = []

    async def open_one() -> Store:
        if database_url.startswith("sqlite:"):
            start_migrated(database_url)
        store = open_store(database_url, clock=clock)
        await store.connect()
        opened.append(store)
        await store.migrate()
        return store

    yield open_one
    for store in opened:
        await store.close()


@pytest.fixture
async def store(open_another: OpenStore) -> Store:
    return await open_another()
