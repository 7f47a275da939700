"""Schema migrations: versioned, recorded, idempotent, safe from two replicas at once."""

from __future__ import annotations

import asyncio

import pytest

from bot.errors import StoreError
from bot.store import LATEST_VERSION
from bot.store.factory import open_store
from bot.store.migrations import MIGRATIONS
from tests.store.conftest import OpenStore
from tests.store.helpers import Clock, run_raw_sql


async def test_migrating_a_migrated_database_applies_nothing(open_another: OpenStore) -> None:
    store = await open_another()  # the fixture migrated it once

    assert await store.migrate() == []
    assert await store.migrate() == []
    assert await store.schema_version() == LATEST_VERSION


async def test_a_fresh_database_gets_every_migration_in_order(
    database_url: str, clock: Clock
) -> None:
    async with open_store(database_url, clock=clock) as store:
        assert await store.schema_version() == 0
        assert await store.migrate() == [m.version for m in MIGRATIONS]
        assert await store.schema_version() == LATEST_VERSION


async def test_two_replicas_migrating_at_once_apply_each_migration_once(
    database_url: str, clock: Clock
) -> None:
    async with (
        open_store(database_url, clock=clock) as first,
        open_store(database_url, clock=clock) as second,
    ):
        applied = await asyncio.gather(first.migrate(), second.migrate())

        assert sorted(applied[0] + applied[1]) == [m.version for m in MIGRATIONS]
        assert await first.schema_version() == LATEST_VERSION


async def test_a_database_from_a_newer_mailroom_is_refused(
    database_url: str, open_another: OpenStore
) -> None:
    store = await open_another()
    await run_raw_sql(
        database_url,
        "INSERT INTO schema_version (version, name, applied_at)"
        " VALUES (999, 'from the future', '2030-01-01T00:00:00+00:00')",
    )

    with pytest.raises(StoreError, match="newer"):
        await store.migrate()
