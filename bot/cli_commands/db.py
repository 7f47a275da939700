"""``mailroom db upgrade`` / ``mailroom db status``: the database schema.

``upgrade`` applies every missing migration (the bot also does it at startup; running it
first lets a deployment fail early, and several replicas may run it at once). ``status``
says which version the database is at and whether it is up to date. The database comes
from ``MAILROOM_DATABASE_URL`` (environment or ``./.env``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

from bot.errors import ConfigError, StoreError
from bot.settings import Settings
from bot.store import LATEST_VERSION, open_store


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "db",
        help="database schema: upgrade, status",
        description="Manage Mailroom's database schema (MAILROOM_DATABASE_URL).",
    )
    actions = parser.add_subparsers(dest="db_action", metavar="ACTION", required=True)
    upgrade = actions.add_parser("upgrade", help="apply missing schema migrations")
    upgrade.set_defaults(handler=run_upgrade)
    status = actions.add_parser("status", help="show the schema version")
    status.set_defaults(handler=run_status)


def _database_url() -> str:
    return Settings.from_env(os.environ, dotenv=Path(".env")).database_url


async def upgrade(database_url: str) -> tuple[list[int], int]:
    async with open_store(database_url) as store:
        applied = await store.migrate()
        return applied, await store.schema_version()


async def status(database_url: str) -> int:
    async with open_store(database_url) as store:
        return await store.schema_version()


def run_upgrade(args: argparse.Namespace) -> int:
    try:
        applied, version = asyncio.run(upgrade(_database_url()))
    except ConfigError as error:
        print(f"mailroom: configuration error: {error}", file=sys.stderr)
        return 2
    except StoreError as error:
        print(f"mailroom db upgrade: {error}", file=sys.stderr)
        return 1
    if applied:
        listed = ", ".join(str(v) for v in applied)
        print(f"applied migration(s) {listed}; the database is at schema version {version}")
    else:
        print(f"the database is up to date (schema version {version})")
    return 0


def run_status(args: argparse.Namespace) -> int:
    try:
        version = asyncio.run(status(_database_url()))
    except ConfigError as error:
        print(f"mailroom: configuration error: {error}", file=sys.stderr)
        return 2
    except StoreError as error:
        print(f"mailroom db status: {error}", file=sys.stderr)
        return 1
    if version < LATEST_VERSION:
        print(f"schema version {version}; {LATEST_VERSION} is current: run `mailroom db upgrade`")
        return 1
    print(f"schema version {version} (up to date)")
    return 0
