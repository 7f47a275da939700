"""A migrated, empty SQLite database for a test's bot or store to start from.

Running every migration on a new file takes about a tenth of a second, and most tests start
a bot or a store on one. Each test process migrates one template once (with the store's own
``migrate``) and copies it: the file a first start would leave behind, so the bot's or the
fixture's own ``migrate`` then finds nothing to do. A test of migrating itself opens a
database of its own (``open_store`` on a fresh path).
"""

from __future__ import annotations

import asyncio
import atexit
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

from bot.store.factory import open_store, sqlite_path


async def _migrate(path: Path) -> None:
    async with open_store(f"sqlite:///{path}") as store:
        await store.migrate()


@cache
def _template() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="mailroom-schema-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = folder / "mailroom.db"
    # In a thread of its own: the caller may be inside a running event loop.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, _migrate(path)).result()
    leftovers = sorted(p.name for p in folder.iterdir() if p != path)
    assert not leftovers, f"the closed template left {leftovers} beside it"
    return path


def start_migrated(database_url: str) -> None:
    """Make the SQLite file of ``database_url`` a copy of the migrated template, unless a
    database (or anything else) is there already or its folder does not exist yet."""
    path = Path(sqlite_path(database_url))
    if path.parent.is_dir() and not path.exists():
        shutil.copyfile(_template(), path)
