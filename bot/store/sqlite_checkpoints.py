"""WAL checkpoints for the SQLite store, in a thread of their own.

SQLite's automatic checkpoint runs inside the commit that pushes the WAL past 1,000 pages:
it copies the WAL into the database and syncs both before that commit returns. For the
store that commit is a turn's (the one thread runs every transaction), so every few dozen
compose previews one turn waited some 15 ms for it. SQLite's documentation suggests the
alternative used here (https://www.sqlite.org/wal.html, "Automatic Checkpoint"): turn the
automatic checkpoint down and run ``PRAGMA wal_checkpoint(PASSIVE)`` from another thread,
on its own connection. A passive checkpoint never waits for a lock and never blocks
readers or the writer; it copies what no reader still needs.

The automatic checkpoint stays as a backstop at ``BACKSTOP_PAGES`` (should this thread fall
behind or fail, the WAL still cannot grow without bound).
"""

from __future__ import annotations

import logging
import sqlite3
from concurrent.futures import Future, ThreadPoolExecutor

logger = logging.getLogger(__name__)

EVERY_WRITES = 25
"""A checkpoint is started after this many committed write transactions."""
BACKSTOP_PAGES = 10_000
"""The writer's own automatic checkpoint, 40 MB of WAL with 4 KiB pages (SQLite: 1,000)."""


class Checkpointer:
    """Starts a passive checkpoint every ``every_writes`` writes, one at a time. ``wrote``
    is called by the database thread after each commit; the checkpoint runs in this
    object's own thread and connection."""

    def __init__(self, path: str, *, every_writes: int = EVERY_WRITES) -> None:
        self._path = path
        self._every = every_writes
        self._writes = 0
        self._executor = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="mailroom-sqlite-checkpoint"
        )
        self._conn: sqlite3.Connection | None = None  # opened and used in that thread only
        self._running: Future[tuple[int, int, int]] | None = None
        self.completed = 0

    def wrote(self) -> None:
        self._writes += 1
        if self._writes < self._every or (self._running and not self._running.done()):
            return
        self._writes = 0
        self._running = self._executor.submit(self._checkpoint)
        self._running.add_done_callback(self._finished)

    def settle(self) -> tuple[int, int, int] | None:
        """Wait for the checkpoint under way, if any: its ``(busy, WAL pages, pages
        checkpointed)``."""
        return self._running.result() if self._running is not None else None

    def close(self) -> None:
        self._executor.submit(self._close).result()
        self._executor.shutdown(wait=True)

    def _checkpoint(self) -> tuple[int, int, int]:
        if self._conn is None:
            self._conn = sqlite3.connect(self._path, isolation_level=None)
        busy, pages, done = self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return int(busy), int(pages), int(done)

    def _finished(self, running: Future[tuple[int, int, int]]) -> None:
        error = running.exception()
        if error is None:
            self.completed += 1
        else:  # the backstop still checkpoints; the next write tries again
            logger.warning("SQLite WAL checkpoint failed: %s", type(error).__name__)

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
