"""Choosing and reaching a database: URLs, and failures that say "not now"."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from bot.errors import ConfigError, StoreUnavailable
from bot.store import open_store
from bot.store.factory import sqlite_path
from bot.store.postgres_driver import PostgresDriver
from bot.store.sql_store import SqlStore
from bot.store.sqlite_driver import SqliteDriver
from tests.store.helpers import Clock, draft


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:///data/mailroom.db", "data/mailroom.db"),
        ("sqlite:///./.mailroom/mailroom.db", "./.mailroom/mailroom.db"),
        ("sqlite:////var/lib/mailroom/mailroom.db", "/var/lib/mailroom/mailroom.db"),
        ("sqlite:///:memory:", ":memory:"),
    ],
)
def test_sqlite_urls_name_relative_absolute_or_memory_databases(url: str, path: str) -> None:
    assert sqlite_path(url) == path


@pytest.mark.parametrize("url", ["mysql://db/mailroom", "sqlite://", "sqlite:///", "nonsense"])
def test_an_unsupported_database_url_is_a_config_error(url: str) -> None:
    with pytest.raises(ConfigError) as bad:
        open_store(url)

    assert bad.value.setting == "MAILROOM_DATABASE_URL"


async def test_an_in_memory_store_works_end_to_end() -> None:
    clock = Clock()
    async with open_store("sqlite:///:memory:", clock=clock) as store:
        await store.migrate()
        request, messages = draft(clock.now)
        await store.create_request(request, messages)

        assert (await store.get_request(request.id)).id == request.id


async def test_a_sqlite_file_in_a_new_directory_is_created(tmp_path: Path) -> None:
    async with open_store(f"sqlite:///{tmp_path}/new/dir/mailroom.db") as store:
        await store.migrate()

    assert (tmp_path / "new" / "dir" / "mailroom.db").exists()


async def test_an_unreachable_postgres_is_unavailable() -> None:
    store = SqlStore(PostgresDriver("postgresql://postgres@127.0.0.1:1/none", connect_timeout=0.3))

    with pytest.raises(StoreUnavailable):
        await store.connect()


async def test_a_sqlite_file_that_cannot_be_opened_is_unavailable(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a directory")
    store = open_store(f"sqlite:///{tmp_path}/a-file/mailroom.db")

    with pytest.raises(StoreUnavailable):
        await store.connect()


async def test_a_sqlite_database_locked_by_another_writer_is_unavailable(tmp_path: Path) -> None:
    path = tmp_path / "mailroom.db"
    async with SqlStore(SqliteDriver(str(path), busy_timeout_ms=50)) as store:
        await store.migrate()

        def hold_the_write_lock() -> sqlite3.Connection:
            other = sqlite3.connect(path, isolation_level=None)
            other.execute("BEGIN IMMEDIATE")
            return other

        other = await asyncio.to_thread(hold_the_write_lock)
        try:
            with pytest.raises(StoreUnavailable):
                await store.remember_activity("activity-1")
        finally:
            await asyncio.to_thread(other.close)

        assert await store.remember_activity("activity-1") is True
