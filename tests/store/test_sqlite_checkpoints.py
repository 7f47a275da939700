"""WAL checkpoints run in their own thread, not inside a turn's commit."""

from __future__ import annotations

from pathlib import Path

from bot.store.driver import Tx
from bot.store.sqlite_checkpoints import BACKSTOP_PAGES, EVERY_WRITES
from bot.store.sqlite_driver import SqliteDriver


async def _insert(tx: Tx) -> int:
    return await tx.execute("INSERT INTO t (body) VALUES (?)", ("x" * 20_000,))


async def test_the_writer_leaves_checkpoints_to_their_own_thread(tmp_path: Path) -> None:
    db = SqliteDriver(str(tmp_path / "c.db"))
    await db.connect()
    try:
        row = await db.read(lambda tx: tx.fetch_one("PRAGMA wal_autocheckpoint"))
        assert row is not None
        assert list(row.values()) == [BACKSTOP_PAGES]
        await db.write(lambda tx: tx.execute("CREATE TABLE t (body TEXT)"))
        checkpoints = db.checkpoints
        assert checkpoints is not None
        for _ in range(EVERY_WRITES - 2):
            await db.write(_insert)
        assert checkpoints.settle() is None  # not yet: fewer writes than EVERY_WRITES
        await db.write(_insert)
        result = checkpoints.settle()
        assert result is not None
        busy, pages, copied = result
        assert (busy, pages > 0, copied) == (0, True, pages)  # the whole WAL copied
        assert checkpoints.completed == 1
    finally:
        await db.close()
    assert db.checkpoints is None


async def test_a_database_in_memory_has_no_wal_and_no_checkpoints() -> None:
    db = SqliteDriver(":memory:")
    await db.connect()
    try:
        await db.write(lambda tx: tx.execute("CREATE TABLE t (body TEXT)"))
        assert db.checkpoints is None
    finally:
        await db.close()
