"""PostgreSQL driver: psycopg 3 async with a psycopg_pool pool, for several replicas.

Connections run in autocommit; ``write(body)`` awaits the body inside an explicit READ
COMMITTED transaction on one pooled connection. Concurrency control is row locks
(``FOR UPDATE``, ``FOR UPDATE SKIP LOCKED``) and compare-and-set in the store's SQL. JSON
columns are ``jsonb`` but are read back as text (like SQLite) so one decoder serves both.
Every statement has a server-side timeout, every connection attempt a client-side one;
failures to reach the server, lock and statement timeouts, deadlocks and serialization
failures become ``StoreUnavailable``.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from typing import Any, TypeVar

import psycopg
from psycopg.rows import dict_row
from psycopg.types.string import TextLoader
from psycopg_pool import AsyncConnectionPool, PoolClosed, PoolTimeout

from bot.errors import StoreError, StoreUnavailable
from bot.store.driver import Dialect, Param, Row, Tx

T = TypeVar("T")

POSTGRES = Dialect(
    name="postgresql",
    for_update=" FOR UPDATE",
    # Any constant works; this one spells "mailroom" in ASCII hex.
    migration_lock="SELECT pg_advisory_xact_lock(7809640418697162605)",
    types={
        "TS": "TIMESTAMPTZ",
        "JSON": "JSONB",
        "BOOL": "BOOLEAN",
        "AUTO_ID": "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
    },
)

Conn = psycopg.AsyncConnection[dict[str, Any]]


def to_psycopg_sql(sql: str) -> str:
    """``?`` placeholders → ``%s``. The store's SQL never contains a literal ``%``."""
    if "%" in sql:
        raise ValueError("store SQL must not contain '%'")
    return sql.replace("?", "%s")


def translate_postgres_error(exc: Exception) -> StoreError:
    if isinstance(
        exc, PoolTimeout | PoolClosed | psycopg.OperationalError | psycopg.InterfaceError
    ):
        return StoreUnavailable(f"PostgreSQL unavailable: {type(exc).__name__}: {exc}")
    return StoreError(f"PostgreSQL: {type(exc).__name__}: {exc}")


class _PgTx:
    def __init__(self, conn: Conn) -> None:
        self._conn = conn

    async def _run(self, sql: str, params: Sequence[Param]) -> psycopg.AsyncCursor[Row]:
        try:
            return await self._conn.execute(to_psycopg_sql(sql), tuple(params) if params else None)
        except psycopg.Error as exc:
            raise translate_postgres_error(exc) from exc

    async def fetch_all(self, sql: str, params: Sequence[Param] = ()) -> list[Row]:
        cursor = await self._run(sql, params)
        if cursor.description is None:
            return []
        return await cursor.fetchall()

    async def fetch_one(self, sql: str, params: Sequence[Param] = ()) -> Row | None:
        rows = await self.fetch_all(sql, params)
        return rows[0] if rows else None

    async def execute(self, sql: str, params: Sequence[Param] = ()) -> int:
        cursor = await self._run(sql, params)
        return max(cursor.rowcount, 0)


class PostgresDriver:
    """A pool of connections to ``conninfo`` (a ``postgresql://`` URL or libpq string)."""

    dialect = POSTGRES

    def __init__(
        self,
        conninfo: str,
        *,
        min_size: int = 1,
        max_size: int = 10,
        connect_timeout: float = 5.0,
        statement_timeout_ms: int = 15000,
    ) -> None:
        self._conninfo = conninfo
        self._min_size = min_size
        self._max_size = max_size
        self._connect_timeout = connect_timeout
        self._statement_timeout_ms = statement_timeout_ms
        self._pool: AsyncConnectionPool[Conn] | None = None

    async def _configure(self, conn: Conn) -> None:
        conn.adapters.register_loader("jsonb", TextLoader)
        conn.adapters.register_loader("json", TextLoader)
        await conn.execute(f"SET statement_timeout = {int(self._statement_timeout_ms)}")
        await conn.execute("SET TIME ZONE 'UTC'")

    async def connect(self) -> None:
        if self._pool is not None:
            return
        pool: AsyncConnectionPool[Conn] = AsyncConnectionPool(
            self._conninfo,
            min_size=self._min_size,
            max_size=self._max_size,
            open=False,
            timeout=self._connect_timeout,
            kwargs={
                "autocommit": True,
                "row_factory": dict_row,
                "connect_timeout": max(1, round(self._connect_timeout)),
            },
            configure=self._configure,
            name="mailroom-store",
        )
        try:
            await pool.open(wait=True, timeout=self._connect_timeout)
        except (PoolTimeout, psycopg.Error) as exc:
            await pool.close()
            raise translate_postgres_error(exc) from exc
        self._pool = pool

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()

    def _require_pool(self) -> AsyncConnectionPool[Conn]:
        if self._pool is None:
            raise StoreUnavailable("the PostgreSQL store is not connected")
        return self._pool

    async def write(self, body: Callable[[Tx], Coroutine[Any, Any, T]]) -> T:
        pool = self._require_pool()
        try:
            async with pool.connection() as conn, conn.transaction():
                return await body(_PgTx(conn))
        except (PoolTimeout, PoolClosed, psycopg.Error) as exc:
            raise translate_postgres_error(exc) from exc

    async def read(self, body: Callable[[Tx], Coroutine[Any, Any, T]]) -> T:
        pool = self._require_pool()
        try:
            async with pool.connection() as conn:
                return await body(_PgTx(conn))
        except (PoolTimeout, PoolClosed, psycopg.Error) as exc:
            raise translate_postgres_error(exc) from exc
