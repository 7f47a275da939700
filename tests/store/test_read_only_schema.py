"""Reading the schema version for a read-only tool (``mailroom audit``) creates nothing."""

from __future__ import annotations

from bot.store import LATEST_VERSION
from bot.store.factory import open_store
from bot.store.migrations import MIGRATIONS


async def test_an_empty_database_reads_as_version_0_and_stays_empty(database_url: str) -> None:
    async with open_store(database_url) as store:
        assert await store.existing_schema_version() == 0
        assert await store.existing_schema_version() == 0
    async with open_store(database_url) as store:
        # schema_version() would have created its table: migrate still finds nothing applied
        assert await store.migrate() == [m.version for m in MIGRATIONS]
        assert await store.existing_schema_version() == LATEST_VERSION
