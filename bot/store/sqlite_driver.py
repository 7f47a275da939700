"""SQLite driver: the embedded default. WAL journal, one writer.

Why the stdlib ``sqlite3`` and not ``aiosqlite``: aiosqlite is well kept, but it is only a
thread that runs one statement at a time — which is what this module is, in fifty lines,
without a dependency. What the store needs on top (a transaction spanning several awaited
statements, never interleaved with another task's) takes a lock either way. So: one
connection, created and used only in one dedicated thread (a single-worker executor); an
``asyncio.Lock`` held for a whole transaction; write transactions start with
``BEGIN IMMEDIATE`` so the write lock is taken up front and concurrent writers (other
processes, other ``Store`` instances on the same file) wait ``busy_timeout`` instead of
failing halfway. A busy or unreachable database becomes ``StoreUnavailable``.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from bot.errors import StoreError, StoreUnavailable
from bot.store.driver import Dialect, Param, Row

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
    def __init__(self, driver: SqliteDriver) -> None:
        self._driver = driver

    async def fetch_all(self, sql: str, params: Sequence[Param] = ()) -> list[Row]:
        rows, _ = await self._driver.run_statement(sql, params)
        return rows

    async def fetch_one(self, sql: str, params: Sequence[Param] = ()) -> Row | None:
        rows, _ = await self._driver.run_statement(sql, params)
        return rows[0] if rows else None

    async def execute(self, sql: str, params: Sequence[Param] = ()) -> int:
        _, count = await self._driver.run_statement(sql, params)
        return count


class SqliteDriver:
    """One connection in one thread. ``path`` may be ``:memory:`` (private to this driver)."""

    dialect = SQLITE

    def __init__(self, path: str, *, busy_timeout_ms: int = 5000) -> None:
        self._path = path
        self._busy_timeout_ms = busy_timeout_ms
        self._executor: ThreadPoolExecutor | None = None
        self._conn: sqlite3.Connection | None = None
        self._lock = asyncio.Lock()

    async def _call(self, fn: Callable[[], T]) -> T:
        if self._executor is None:
            raise StoreUnavailable("the SQLite store is not connected")
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, fn)
        except sqlite3.Error as exc:
            raise translate_sqlite_error(exc) from exc
        except OSError as exc:  # e.g. the database's directory cannot be created
            raise StoreUnavailable(f"SQLite database unavailable: {exc}") from exc

    async def connect(self) -> None:
        if self._executor is not None:
            return
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mailroom-sqlite")
        try:
            self._conn = await self._call(self._open)
        except BaseException:
            self._executor.shutdown(wait=False)
            self._executor = None
            raise

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
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
        except BaseException:
            conn.close()
            raise
        return conn

    async def close(self) -> None:
        executor = self._executor
        if executor is None:
            return
        async with self._lock:
            conn = self._conn
            if conn is not None:
                await self._call(conn.close)
            self._conn = None
            self._executor = None
        executor.shutdown(wait=True)

    async def run_statement(self, sql: str, params: Sequence[Param]) -> tuple[list[Row], int]:
        conn = self._conn
        if conn is None:
            raise StoreUnavailable("the SQLite store is not connected")
        args = _adapt(params)

        def run() -> tuple[list[Row], int]:
            cursor = conn.execute(sql, args)
            try:
                rows = [dict(row) for row in cursor.fetchall()]
                return rows, cursor.rowcount
            finally:
                cursor.close()

        return await self._call(run)

    async def _finish(self, *, commit: bool) -> None:
        conn = self._conn
        if conn is None:
            return

        def finish() -> None:
            try:
                if commit:
                    conn.execute("COMMIT")
            finally:
                # A failed COMMIT (or an error SQLite already rolled back) leaves this tidy.
                if conn.in_transaction:
                    conn.execute("ROLLBACK")

        await self._call(finish)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[_SqliteTx]:
        async with self._lock:
            await self.run_statement("BEGIN IMMEDIATE", ())
            try:
                yield _SqliteTx(self)
            except BaseException:
                await self._finish(commit=False)
                raise
            await self._finish(commit=True)

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[_SqliteTx]:
        async with self._lock:
            yield _SqliteTx(self)


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
