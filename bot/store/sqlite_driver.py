"""SQLite driver: the embedded default. WAL journal, one writer.

Why the stdlib ``sqlite3`` and not ``aiosqlite``: aiosqlite is a thread that runs one
statement at a time, and a thread hop per statement is what a turn can least afford (each
one hands the GIL to the database thread and back and wakes the event loop; a compose
preview made thirteen). So: one connection, created and used only in one dedicated thread
(``bot.store.sqlite_thread``), and each transaction is ONE job on it: the store's body (see
``bot.store.driver``) is a coroutine whose statements never suspend here, so the job drives
it to completion in the thread — BEGIN, every statement and COMMIT in a single hop. The
thread's queue runs one job at a time, which also keeps transactions from interleaving
without an ``asyncio.Lock``. Write transactions start with ``BEGIN IMMEDIATE`` so the write
lock is taken up front and concurrent writers (other processes, other ``Store`` instances
on the same file) wait ``busy_timeout`` instead of failing halfway. A busy or unreachable
database becomes ``StoreUnavailable``. A caller cancelled while its job waits or runs does
not stop the job: the transaction ends (commits or rolls back) as if the caller were still
there.
WAL checkpoints run beside it, in a thread and connection of their own
(``bot.store.sqlite_checkpoints``), not inside a turn's commit.
"""

from __future__ import annotations

import contextvars
import sqlite3
from collections.abc import Callable, Coroutine, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from bot.errors import StoreError, StoreUnavailable
from bot.store.driver import Dialect, Param, Row, Tx
from bot.store.sqlite_checkpoints import BACKSTOP_PAGES, Checkpointer
from bot.store.sqlite_thread import DatabaseThread

T = TypeVar("T")

SQLITE = Dialect(
    name="sqlite",
    for_update="",
    migration_lock=None,
    types={
        "TS": "TEXT",
        "JSON": "TEXT",
        "BOOL": "INTEGER",
        "AUTO_ID": "INTEGER PRIMARY KEY AUTOINCREMENT",
    },
)

# Primary result codes meaning "not now" rather than "wrong".
_UNAVAILABLE_CODES = frozenset(
    {
        sqlite3.SQLITE_BUSY,
        sqlite3.SQLITE_LOCKED,
        sqlite3.SQLITE_CANTOPEN,
        sqlite3.SQLITE_IOERR,
        sqlite3.SQLITE_FULL,
        sqlite3.SQLITE_PROTOCOL,
        sqlite3.SQLITE_READONLY,
    }
)


def to_sqlite_time(value: datetime) -> str:
    """Fixed-width ISO-8601 in UTC, so text order is time order."""
    if value.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _adapt(params: Sequence[Param]) -> tuple[str | int | float | None, ...]:
    adapted: list[str | int | float | None] = []
    for value in params:
        if isinstance(value, datetime):
            adapted.append(to_sqlite_time(value))
        elif isinstance(value, bool):
            adapted.append(int(value))
        else:
            adapted.append(value)
    return tuple(adapted)


def translate_sqlite_error(exc: sqlite3.Error) -> StoreError:
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int) and (code & 0xFF) in _UNAVAILABLE_CODES:
        return StoreUnavailable(f"SQLite database unavailable: {exc}")
    if isinstance(exc, sqlite3.OperationalError) and "unable to open" in str(exc):
        return StoreUnavailable(f"SQLite database unavailable: {exc}")
    return StoreError(f"SQLite: {exc}")


class _SqliteTx:
    """Statements run at once on the connection: only ever used in the database thread,
    inside the job that drives a transaction body."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def _run(self, sql: str, params: Sequence[Param]) -> tuple[list[Row], int]:
        cursor = self._conn.execute(sql, _adapt(params))
        try:
            return [dict(row) for row in cursor.fetchall()], cursor.rowcount
        finally:
            cursor.close()

    async def fetch_all(self, sql: str, params: Sequence[Param] = ()) -> list[Row]:
        return self._run(sql, params)[0]

    async def fetch_one(self, sql: str, params: Sequence[Param] = ()) -> Row | None:
        rows = self._run(sql, params)[0]
        return rows[0] if rows else None

    async def execute(self, sql: str, params: Sequence[Param] = ()) -> int:
        return self._run(sql, params)[1]


def _drive(body: Callable[[Tx], Coroutine[Any, Any, T]], tx: Tx) -> T:
    """Run ``body(tx)`` to its end without an event loop. Its awaits are ``_SqliteTx``
    statements, which return without suspending, so one ``send`` finishes it."""
    coroutine = body(tx)
    try:
        coroutine.send(None)
    except StopIteration as done:
        result: T = done.value
        return result
    coroutine.close()
    raise StoreError("a store transaction awaited something other than its own statements")


class SqliteDriver:
    """One connection in one thread. ``path`` may be ``:memory:`` (private to this driver)."""

    dialect = SQLITE

    def __init__(self, path: str, *, busy_timeout_ms: int = 5000) -> None:
        self._path = path
        self._busy_timeout_ms = busy_timeout_ms
        self._thread: DatabaseThread | None = None
        self._conn: sqlite3.Connection | None = None
        self.checkpoints: Checkpointer | None = None  # file databases (WAL) only

    async def _call(self, fn: Callable[[], T]) -> T:
        if self._thread is None:
            raise StoreUnavailable("the SQLite store is not connected")
        try:
            return await self._thread.run(fn)
        except sqlite3.Error as exc:
            raise translate_sqlite_error(exc) from exc
        except OSError as exc:  # e.g. the database's directory cannot be created
            raise StoreUnavailable(f"SQLite database unavailable: {exc}") from exc

    async def connect(self) -> None:
        if self._thread is not None:
            return
        self._thread = DatabaseThread("mailroom-sqlite")
        try:
            self._conn = await self._call(self._open)
        except BaseException:
            self._thread.stop()
            self._thread = None
            raise
        if self._path != ":memory:":
            self.checkpoints = Checkpointer(self._path)

    def _open(self) -> sqlite3.Connection:
        if self._path != ":memory:":
            Path(self._path).parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: no implicit transactions; this module issues BEGIN/COMMIT.
        conn = sqlite3.connect(
            self._path, isolation_level=None, timeout=self._busy_timeout_ms / 1000
        )
        try:
            conn.row_factory = sqlite3.Row
            if self._path != ":memory:":
                conn.execute("PRAGMA journal_mode = WAL")
                # Checkpoints run beside the writer (bot.store.sqlite_checkpoints).
                conn.execute(f"PRAGMA wal_autocheckpoint = {BACKSTOP_PAGES}")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
        except BaseException:
            conn.close()
            raise
        return conn

    async def close(self) -> None:
        thread, conn = self._thread, self._conn
        if thread is None:
            return
        # The close job queues behind every job already submitted, so they finish first.
        if conn is not None:
            await self._call(conn.close)
        self._conn = None
        self._thread = None
        thread.stop()
        if self.checkpoints is not None:
            self.checkpoints.close()
            self.checkpoints = None

    async def _job(self, body: Callable[[Tx], Coroutine[Any, Any, T]], *, write: bool) -> T:
        conn = self._conn
        if conn is None:
            raise StoreUnavailable("the SQLite store is not connected")
        # The body runs in the database thread; it sees the caller's context variables.
        context = contextvars.copy_context()
        checkpoints = self.checkpoints

        def job() -> T:
            if write:
                conn.execute("BEGIN IMMEDIATE")
            try:
                result = context.run(_drive, body, _SqliteTx(conn))
                if write:
                    conn.execute("COMMIT")
                    if checkpoints is not None:
                        checkpoints.wrote()
                return result
            finally:
                # An error (or a failed COMMIT, or one SQLite already rolled back) leaves
                # the connection tidy for the next job.
                if conn.in_transaction:
                    conn.execute("ROLLBACK")

        return await self._call(job)

    async def write(self, body: Callable[[Tx], Coroutine[Any, Any, T]]) -> T:
        return await self._job(body, write=True)

    async def read(self, body: Callable[[Tx], Coroutine[Any, Any, T]]) -> T:
        return await self._job(body, write=False)


def holds_schema(path: str) -> bool | None:
    """Whether the SQLite file at ``path`` holds Mailroom's schema, found out without
    changing a byte (read-only, no journal switch); None when there is no such file. For
    read-only tools: opening the store would create the file, or switch it to WAL."""
    if not Path(path).is_file():
        return None
    try:
        conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as error:
        raise StoreError(f"cannot open {path}: {error}") from error
    try:
        found = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
        ).fetchone()
    except sqlite3.DatabaseError as error:
        raise StoreError(f"{path} is not a SQLite database: {error}") from error
    finally:
        conn.close()
    return found is not None
