"""``open_store(database_url)``: pick the implementation from ``MAILROOM_DATABASE_URL``.

* ``sqlite:///relative/path.db`` — a file relative to the working directory;
  ``sqlite:////absolute/path.db`` — an absolute path (SQLAlchemy's convention: the path is
  what follows ``sqlite:///``); ``sqlite:///:memory:`` — a private in-memory database.
  ``?busy_timeout_ms=N`` sets how long a statement waits for another connection's write
  lock before the store reports itself unavailable (default 5000).
* ``postgresql://…`` or ``postgres://…`` — a libpq URL, handed to psycopg as it is (so
  ``?options=-csearch_path%3Dschema`` and friends work).

The store is returned unconnected: ``async with open_store(url) as store:`` (or ``await
store.connect()`` … ``await store.close()``), then ``await store.migrate()``.
"""

from __future__ import annotations

from urllib.parse import parse_qs, unquote

from bot.errors import ConfigError
from bot.store.protocol import Store
from bot.store.records import Clock, utc_now
from bot.store.sql_store import SqlStore
from bot.store.sqlite_driver import SqliteDriver

SETTING = "MAILROOM_DATABASE_URL"


def sqlite_path(database_url: str) -> str:
    """The file path in a ``sqlite:///`` URL (``:memory:`` stays as it is)."""
    prefix = "sqlite:///"
    if not database_url.startswith(prefix):
        raise ConfigError(SETTING, "a SQLite URL starts with sqlite:/// (then the file path)")
    path = unquote(database_url[len(prefix) :].split("?", 1)[0])
    if not path:
        raise ConfigError(SETTING, "the SQLite URL names no file (sqlite:///path/to/file.db)")
    return path


def open_store(database_url: str, *, clock: Clock = utc_now, postgres_pool_size: int = 10) -> Store:
    """A store for ``database_url``; raises ``ConfigError`` for an unsupported URL."""
    url = database_url.strip()
    scheme = url.split(":", 1)[0].lower()
    if scheme == "sqlite":
        driver = SqliteDriver(sqlite_path(url), busy_timeout_ms=_busy_timeout_ms(url))
        return SqlStore(driver, clock=clock)
    if scheme in ("postgresql", "postgres"):
        # Imported here: psycopg and its pool take about 0.1 s to import, a tenth of a
        # SQLite deployment's startup that it would never use.
        from bot.store.postgres_driver import PostgresDriver  # noqa: PLC0415

        return SqlStore(PostgresDriver(url, max_size=postgres_pool_size), clock=clock)
    raise ConfigError(
        SETTING, "use sqlite:///path/to/file.db or postgresql://user@host:port/database"
    )


def _busy_timeout_ms(database_url: str) -> int:
    query = database_url.split("?", 1)[1] if "?" in database_url else ""
    values = parse_qs(query).get("busy_timeout_ms")
    if not values:
        return 5000
    value = values[-1]
    if not value.isascii() or not value.isdigit() or not 0 <= int(value) <= 600_000:
        raise ConfigError(
            SETTING, f"busy_timeout_ms must be 0 to 600000 milliseconds, got {value!r}"
        )
    return int(value)
