"""The database unavailable at startup and mid-run — SQLite locked by another connection,
PostgreSQL restarted (its connections terminated) or not there yet: people get a
"temporarily unavailable" card, nothing already accepted is lost, and the same process
carries on once the database answers.

SQLite runs with ``?busy_timeout_ms=300`` (bot/store/factory.py) so a locked database
costs the suite a fraction of a second rather than production's five.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from bot.domain.send_request import SendState
from cards import verbs
from emulator.testing import RunningEmulator
from tests.reliability.botrun import ready, running_bot
from tests.reliability.figures import Figures
from tests.security.helpers import ADELE, JOHANNA, mail_submissions, preview, settle_outbox
from tests.support.botapp import BotHarness, action, card_in, settings_for, text_of
from tests.support.postgres import POSTGRES_ENV, postgres_base_url

UNAVAILABLE = "Mailroom is temporarily unavailable"


def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'mailroom.db'}?busy_timeout_ms=300"


@contextmanager
def sqlite_locked(path: Path) -> Iterator[None]:
    """Another connection holds the write lock (``BEGIN EXCLUSIVE``) for the block."""
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


async def send_once_recovered(
    bot: BotHarness, data: dict[str, Any], figures: Figures, recovery: str | None
) -> None:
    """Click Send until the bot takes it (at most a few seconds): then exactly one mail."""
    adele = bot.person(ADELE)
    shown = ""
    for _ in range(20):
        shown = text_of(card_in(await bot.act(adele, verbs.SEND, data)))
        if UNAVAILABLE not in shown:
            break
        await asyncio.sleep(0.25)
    if recovery is not None:
        figures.recoveries[recovery] += int(UNAVAILABLE not in shown)
    assert UNAVAILABLE not in shown
    assert await settle_outbox(bot, data["request"], seconds=15) == SendState.SENT
    await asyncio.sleep(0.3)
    delivered = len(bot.emulator.control.mailbox(JOHANNA, "inbox"))
    figures.mail(queued=1, delivered=delivered, lost=1 - min(delivered, 1),
                 duplicates=max(0, delivered - 1))  # fmt: skip
    assert delivered == 1


# --- SQLite ---------------------------------------------------------------------------------


async def test_sqlite_locked_mid_run_gets_the_unavailable_card_then_recovers(
    emulator: RunningEmulator, tmp_path: Path, figures: Figures
) -> None:
    settings = settings_for(emulator, tmp_path, database_url=sqlite_url(tmp_path))
    async with running_bot(settings, emulator) as bot:
        adele = bot.person(ADELE)
        card = await preview(bot, adele, "support@contoso.com", "ticket-reply", JOHANNA)
        data = action(card, verbs.SEND)["data"]
        with sqlite_locked(tmp_path / "mailroom.db"):
            figures.fault("sqlite: locked mid-run")
            click = text_of(card_in(await bot.act(adele, verbs.SEND, data)))
            pick = text_of(card_in(await bot.act(adele, verbs.PICK_SENDER,
                                                 {"sender": "support@contoso.com"})))  # fmt: skip
            message = await bot.say(adele, "/senders")  # needs no write: still answered
            assert UNAVAILABLE in click
            assert "the database" in click
            assert UNAVAILABLE in pick
            assert card_in(message)
            assert mail_submissions(emulator) == []
            request = await bot.services.store.get_request(data["request"])
            assert request.state is SendState.DRAFT  # the refused click changed nothing
        await send_once_recovered(bot, data, figures, "database: sqlite locked mid-run")


async def test_sqlite_unavailable_at_startup_recovers_without_a_restart(
    emulator: RunningEmulator, tmp_path: Path, figures: Figures
) -> None:
    path = tmp_path / "mailroom.db"
    sqlite3.connect(path).close()
    settings = settings_for(emulator, tmp_path, database_url=sqlite_url(tmp_path))
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    figures.fault("sqlite: locked at startup")
    try:
        async with running_bot(settings, emulator) as bot:
            adele = bot.person(ADELE)
            assert await ready(bot.url) == 503
            during = text_of(card_in(await bot.say(adele, "/send")))
            assert UNAVAILABLE in during
            assert "/send" in text_of(card_in(await bot.say(adele, "/help")))
            holder.execute("ROLLBACK")
            started = await _wait_ready(bot.url)
            figures.recoveries["database: sqlite locked at startup"] += int(started)
            assert started
            card = await preview(bot, adele, "support@contoso.com", "ticket-reply", JOHANNA)
            await send_once_recovered(bot, action(card, verbs.SEND)["data"], figures, None)
    finally:
        holder.close()


async def _wait_ready(url: str, within: float = 10.0) -> bool:
    for _ in range(int(within / 0.1)):
        if await ready(url) == 200:
            return True
        await asyncio.sleep(0.1)
    return False


# --- PostgreSQL ----------------------------------------------------------------------------


@pytest.fixture
async def postgres_url() -> AsyncIterator[tuple[str, str]]:
    """A fresh schema, and the application_name that marks the bot's connections."""
    base = postgres_base_url()
    schema = f"mailroom_test_{uuid.uuid4().hex[:12]}"
    app_name = f"mailroom-{uuid.uuid4().hex[:8]}"
    async with await psycopg.AsyncConnection.connect(base, autocommit=True) as conn:
        await conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    joiner = "&" if "?" in base else "?"
    url = f"{base}{joiner}options=-csearch_path%3D{schema}&application_name={app_name}"
    try:
        yield url, app_name
    finally:
        async with await psycopg.AsyncConnection.connect(base, autocommit=True) as conn:
            await conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name = %s",
                (app_name,),
            )
            await conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


async def terminate_backends(app_name: str) -> int:
    """What a PostgreSQL restart does to the bot: every connection it holds is cut."""
    base = os.environ[POSTGRES_ENV]
    async with await psycopg.AsyncConnection.connect(base, autocommit=True) as conn:
        cursor = await conn.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE application_name = %s",
            (app_name,),
        )
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


@pytest.mark.postgres
async def test_postgres_restarted_mid_run_loses_nothing_and_recovers(
    emulator: RunningEmulator,
    tmp_path: Path,
    figures: Figures,
    postgres_url: tuple[str, str],
) -> None:
    url, app_name = postgres_url
    settings = settings_for(emulator, tmp_path, database_url=url)
    async with running_bot(settings, emulator) as bot:
        adele = bot.person(ADELE)
        card = await preview(bot, adele, "support@contoso.com", "ticket-reply", JOHANNA)
        data = action(card, verbs.SEND)["data"]
        cut = await terminate_backends(app_name)
        figures.fault("postgres: connections terminated", cut)
        assert cut >= 1
        after = [text_of(card_in(await bot.say(adele, "/history"))) for _ in range(3)]
        assert any("Your recent send requests" in t or UNAVAILABLE in t for t in after)
        await send_once_recovered(bot, data, figures, "database: postgres restarted mid-run")
        history = text_of(card_in(await bot.say(adele, "/history")))
        assert "Re: [Ticket #48213]" in history  # the request from before the cut is there


@pytest.mark.postgres
async def test_postgres_down_at_startup_serves_unavailable_then_starts_by_itself(
    emulator: RunningEmulator,
    tmp_path: Path,
    figures: Figures,
    postgres_url: tuple[str, str],
) -> None:
    url, _ = postgres_url
    port = _free_port()
    behind = url.replace("127.0.0.1:5432", f"127.0.0.1:{port}")
    assert behind != url, "the test expects PostgreSQL at 127.0.0.1:5432"
    settings = settings_for(emulator, tmp_path, database_url=behind)
    figures.fault("postgres: down at startup")
    async with running_bot(settings, emulator) as bot:
        adele = bot.person(ADELE)
        assert await ready(bot.url) == 503
        assert UNAVAILABLE in text_of(card_in(await bot.say(adele, "/send")))
        async with _forward(port, 5432):  # PostgreSQL "comes back" on the bot's port
            started = await _wait_ready(bot.url, within=20)
            figures.recoveries["database: postgres down at startup"] += int(started)
            assert started
            card = await preview(bot, adele, "support@contoso.com", "ticket-reply", JOHANNA)
            await send_once_recovered(bot, action(card, verbs.SEND)["data"], figures, None)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def _forward(port: int, target: int) -> AsyncIterator[None]:
    """A loopback TCP forwarder: 127.0.0.1:port → 127.0.0.1:target."""
    tasks: set[asyncio.Task[None]] = set()

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", target)
        for coro in (pipe(reader, up_writer), pipe(up_reader, writer)):
            task = asyncio.create_task(coro)
            tasks.add(task)
            task.add_done_callback(tasks.discard)

    server = await asyncio.start_server(handle, "127.0.0.1", port)
    try:
        yield
    finally:
        server.close()
        for task in list(tasks):
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await server.wait_closed()
