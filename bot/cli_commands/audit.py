"""``mailroom audit``: print the audit log (who sent what, as whom, to whom, and how it went).

    mailroom audit --since 7d --sender support@contoso.com --format csv > sends.csv

``--since`` / ``--until`` take an ISO 8601 date or time (UTC unless it says otherwise) or a
span back from now (``90m``, ``24h``, ``7d``). The database comes from
``MAILROOM_DATABASE_URL`` (environment or ``./.env``). CSV cells that a spreadsheet would
run as a formula (starting with ``=``, ``+``, ``-``, ``@``) are prefixed with ``'``.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import re
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from bot.errors import ConfigError, StoreError
from bot.settings import Settings
from bot.store import AuditEntry, open_store
from bot.store.factory import sqlite_path
from bot.store.sqlite_driver import holds_schema

COLUMNS = (
    "id", "at", "outcome", "request_id", "mailroom_id", "requester_oid", "requester_upn",
    "sender_address", "sender_kind", "mode", "to", "cc", "bcc", "template", "content_hash",
    "decision_reasons", "graph_request_ids", "error_code",
)  # fmt: skip

_SPAN = re.compile(r"^(\d+)\s*([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "audit",
        help="print the audit log as CSV or JSON",
        description="Print the audit log, oldest first. Rows are never changed or deleted.",
    )
    parser.add_argument("--since", help="from this time: ISO 8601, or a span back (24h, 7d)")
    parser.add_argument("--until", help="up to this time: ISO 8601, or a span back")
    parser.add_argument("--sender", help="only this sending mailbox (address)")
    parser.add_argument("--user", help="only this requester (Entra object id or UPN)")
    parser.add_argument("--limit", type=int, help="at most this many rows")
    parser.add_argument("--format", choices=("csv", "json"), default="csv", dest="fmt")
    parser.set_defaults(handler=run)


def parse_when(value: str, now: datetime) -> datetime:
    """An ISO 8601 date/time (naive = UTC) or a span back from ``now``."""
    text = value.strip()
    span = _SPAN.match(text.lower())
    if span:
        return now - timedelta(**{_UNITS[span.group(2)]: int(span.group(1))})
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"{value!r} is neither an ISO 8601 time nor a span like 24h or 7d"
        ) from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def row_of(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": entry.at.astimezone(UTC).isoformat(),
        "outcome": entry.outcome,
        "request_id": entry.request_id,
        "mailroom_id": entry.mailroom_id,
        "requester_oid": entry.requester_oid,
        "requester_upn": entry.requester_upn,
        "sender_address": entry.sender_address,
        "sender_kind": str(entry.sender_kind),
        "mode": str(entry.mode),
        "to": list(entry.recipients.to),
        "cc": list(entry.recipients.cc),
        "bcc": list(entry.recipients.bcc),
        "template": entry.template,
        "content_hash": entry.content_hash,
        "decision_reasons": list(entry.decision_reasons),
        "graph_request_ids": list(entry.graph_request_ids),
        "error_code": entry.error_code,
    }


def _cell(value: Any) -> str:
    if value is None:
        return ""
    text = "; ".join(str(v) for v in value) if isinstance(value, list) else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def write_csv(entries: Sequence[AuditEntry], out: TextIO) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for entry in entries:
        row = row_of(entry)
        writer.writerow([_cell(row[c]) for c in COLUMNS])


def write_json(entries: Sequence[AuditEntry], out: TextIO) -> None:
    json.dump([row_of(e) for e in entries], out, indent=2, ensure_ascii=False)
    out.write("\n")


_UPGRADE = (
    "run `mailroom db upgrade` to create it (the bot also does at startup), or point "
    "MAILROOM_DATABASE_URL at the bot's database"
)


class _NoSchema(Exception):
    """The database holds no audit log yet; the text says where and what to do."""


async def read_audit(
    database_url: str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    sender: str | None = None,
    user: str | None = None,
    limit: int | None = None,
) -> list[AuditEntry]:
    """The rows asked for. A reader only: a database without the schema raises
    ``_NoSchema`` and is left exactly as it was (``check_exists`` first for SQLite)."""
    async with open_store(database_url) as store:
        if await store.existing_schema_version() == 0:
            raise _NoSchema(f"the database has no Mailroom schema yet; {_UPGRADE}")
        return await store.query_audit(
            since=since, until=until, sender=sender, user=user, limit=limit
        )


def check_exists(database_url: str) -> None:
    """A SQLite file that isn't there, or holds no schema, is reported and left as it is
    (opening the store would create it, or switch its journal)."""
    if database_url.strip().lower().startswith("sqlite:"):
        path = sqlite_path(database_url.strip())
        if path == ":memory:":
            return
        held = holds_schema(path)
        if held is None:
            raise _NoSchema(f"there is no database at {path}; {_UPGRADE}")
        if not held:
            raise _NoSchema(f"the database at {path} has no Mailroom schema yet; {_UPGRADE}")


def run(args: argparse.Namespace) -> int:
    try:
        settings = Settings.from_env(os.environ, dotenv=Path(".env"))
        now = datetime.now(UTC)
        since = parse_when(args.since, now) if args.since else None
        until = parse_when(args.until, now) if args.until else None
    except ConfigError as error:
        print(f"mailroom: configuration error: {error}", file=sys.stderr)
        return 2
    except ValueError as error:
        print(f"mailroom audit: {error}", file=sys.stderr)
        return 2
    if args.limit is not None and args.limit < 1:
        print("mailroom audit: --limit must be at least 1", file=sys.stderr)
        return 2
    try:
        check_exists(settings.database_url)
        entries = asyncio.run(
            read_audit(
                settings.database_url,
                since=since,
                until=until,
                sender=args.sender,
                user=args.user,
                limit=args.limit,
            )
        )
    except _NoSchema as missing:
        print(f"mailroom audit: {missing}", file=sys.stderr)
        return 1
    except StoreError as error:
        print(f"mailroom audit: cannot read the database: {error}", file=sys.stderr)
        return 1
    if args.fmt == "json":
        write_json(entries, sys.stdout)
    else:
        write_csv(entries, sys.stdout)
    return 0
