"""The small seam between the store's logic and a database: a transaction that runs SQL.

A transaction is a *body*: an ``async`` function of one ``Tx`` that awaits nothing but that
``Tx``'s statements, handed whole to ``Driver.write`` (or ``Driver.read``). Handing over the
whole body, rather than holding a connection across the caller's awaits, is what lets the
SQLite driver run a transaction as one job on its database thread instead of one thread
hop per statement; PostgreSQL awaits the body on a pooled connection.

Store logic is written once against ``Driver``/``Tx``; ``sqlite_driver`` and
``postgres_driver`` implement it, and ``Dialect`` carries the few SQL differences. SQL is
written with ``?`` placeholders and parameters of these Python types only: ``str``, ``int``,
``float``, ``bool``, ``None``, timezone-aware ``datetime`` and ``JsonText`` — each driver
adapts them (SQLite stores times as fixed-width ISO-8601 UTC text so they compare as text).
Rows come back as ``dict``; JSON columns come back as text in both dialects.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NewType, Protocol, TypeVar

JsonText = NewType("JsonText", str)
Param = str | int | float | bool | None | datetime
Row = dict[str, Any]
T = TypeVar("T")


class Tx(Protocol):
    """One database transaction (or, given to a ``Driver.read`` body, autocommit statements)."""

    async def fetch_all(self, sql: str, params: Sequence[Param] = ()) -> list[Row]: ...

    async def fetch_one(self, sql: str, params: Sequence[Param] = ()) -> Row | None: ...

    async def execute(self, sql: str, params: Sequence[Param] = ()) -> int:
        """Run a statement; return the number of rows it changed."""
        ...


@dataclass(frozen=True)
class Dialect:
    """The differences between the two SQL dialects the store speaks."""

    name: str
    # Appended to a SELECT that must lock its rows until commit (SQLite: the whole
    # database is already locked by BEGIN IMMEDIATE).
    for_update: str
    # Statement run first in the migration transaction so two replicas starting at once
    # migrate one after the other (None where the write lock already serialises them).
    migration_lock: str | None
    # Column types by role, substituted into migrations' DDL.
    types: dict[str, str]


class Driver(Protocol):
    dialect: Dialect

    async def connect(self) -> None: ...

    async def close(self) -> None: ...

    async def write(self, body: Callable[[Tx], Coroutine[Any, Any, T]]) -> T:
        """Run ``body`` as one write transaction and return what it returns: committed when
        it returns, rolled back when it raises. SQLite takes the write lock at once (BEGIN
        IMMEDIATE); PostgreSQL uses READ COMMITTED plus explicit row locks and
        compare-and-set. ``body`` must await nothing but its ``Tx``."""
        ...

    async def read(self, body: Callable[[Tx], Coroutine[Any, Any, T]]) -> T:
        """Run ``body``'s reads (autocommit) and return what it returns."""
        ...
