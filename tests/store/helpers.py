"""Helpers for the store tests: a settable clock, draft builders, raw SQL on a test database."""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import psycopg

from bot.domain.send_request import (
    OutgoingMessage,
    Recipients,
    RenderedContent,
    SenderKind,
    SendMode,
    SendRequest,
    new_draft,
)
from bot.store.factory import sqlite_path

T0 = datetime(2025, 3, 1, 9, 0, 0, tzinfo=UTC)


@dataclass
class Clock:
    """The store's injected clock; tests move it by hand."""

    now: datetime = field(default=T0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


def message(n: int = 0, *, to: str = "") -> OutgoingMessage:
    return OutgoingMessage(
        recipients=Recipients(to=(to or f"customer{n}@example.com",), cc=("desk@contoso.com",)),
        content=RenderedContent(
            subject=f"Ticket {n} — update",
            html=f"<p>Hello n°{n},</p>\r\n<p>Your ticket is <b>closed</b>.</p>  ",
            text=f"Hello n°{n},\r\nYour ticket is closed.  ",
        ),
        values={"ticket": n, "name": f"Customer {n}"},
    )


def draft(
    now: datetime,
    *,
    messages: int = 1,
    sender: str = "Support@Contoso.com",
    requester_oid: str = "oid-alice",
    requester_upn: str = "alice@contoso.com",
    expires_at: datetime | None = None,
) -> tuple[SendRequest, list[OutgoingMessage]]:
    outgoing = [message(n) for n in range(messages)]
    request = new_draft(
        requester_oid=requester_oid,
        requester_upn=requester_upn,
        tenant_id="tenant-contoso",
        sender_address=sender,
        sender_kind=SenderKind.SHARED,
        mode=SendMode.DELEGATED,
        template="ticket-reply",
        values={"ticket": 0},
        messages=outgoing,
        now=now,
        decision_reasons=("full_access", "send_as"),
        expires_at=expires_at,
    )
    return request, outgoing


async def run_raw_sql(database_url: str, statement: str) -> None:
    """Run one statement outside the store, as someone with a database client would."""
    if database_url.startswith("sqlite"):

        def run() -> None:
            conn = sqlite3.connect(sqlite_path(database_url), isolation_level=None)
            try:
                conn.execute(statement)
            finally:
                conn.close()

        await asyncio.to_thread(run)
    else:
        async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as pg:
            await pg.execute(statement.encode())
