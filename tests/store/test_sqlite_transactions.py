"""The SQLite driver runs each transaction as one job on its database thread."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from bot.errors import StoreError
from bot.store.driver import Tx
from bot.store.sqlite_driver import SqliteDriver


@pytest.fixture
async def driver(tmp_path: Path) -> SqliteDriver:
    db = SqliteDriver(str(tmp_path / "t.db"))
    await db.connect()

    async def table(tx: Tx) -> int:
        return await tx.execute("CREATE TABLE t (n INTEGER)")

    await db.write(table)
    return db


async def test_a_whole_transaction_runs_in_one_job_off_the_event_loop(
    driver: SqliteDriver,
) -> None:
    threads: set[int] = set()

    async def body(tx: Tx) -> int:
        for n in range(3):
            threads.add(threading.get_ident())
            await tx.execute("INSERT INTO t (n) VALUES (?)", (n,))
        threads.add(threading.get_ident())
        row = await tx.fetch_one("SELECT COUNT(*) AS c FROM t")
        assert row is not None
        return int(row["c"])

    assert await driver.write(body) == 3
    assert len(threads) == 1
    assert threading.get_ident() not in threads
    await driver.close()


async def test_a_body_that_awaits_anything_else_is_refused_and_rolled_back(
    driver: SqliteDriver,
) -> None:
    async def body(tx: Tx) -> None:
        await tx.execute("INSERT INTO t (n) VALUES (1)")
        await asyncio.sleep(0)

    with pytest.raises(StoreError, match="awaited something other"):
        await driver.write(body)
    rows = await driver.read(lambda tx: tx.fetch_all("SELECT n FROM t"))
    assert rows == []
    await driver.close()


async def test_an_error_in_the_body_rolls_the_transaction_back(driver: SqliteDriver) -> None:
    async def body(tx: Tx) -> None:
        await tx.execute("INSERT INTO t (n) VALUES (1)")
        raise ValueError("refused")

    with pytest.raises(ValueError, match="refused"):
        await driver.write(body)
    assert await driver.read(lambda tx: tx.fetch_all("SELECT n FROM t")) == []
    await driver.close()
