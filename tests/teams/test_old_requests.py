"""``/status <id>`` and ``/cancel <id>`` find a request however many came after it — here
behind a thousand newer ones — on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.domain.references import reference_of
from bot.domain.send_request import SendState
from bot.store.factory import open_store
from emulator.testing import RunningEmulator
from tests.store.conftest import database_url  # noqa: F401 - the two-database fixture
from tests.store.helpers import draft
from tests.support.botapp import BotHarness, card_in, running_bot, settings_for, text_of

NEWER = 1000


@pytest.fixture
async def bot_on(
    emulator: RunningEmulator,
    tmp_path: Path,
    database_url: str,  # noqa: F811 - the imported fixture
) -> AsyncIterator[tuple[BotHarness, str]]:
    settings = settings_for(emulator, tmp_path, database_url=database_url)
    async with running_bot(settings, emulator) as harness:
        yield harness, database_url


async def old_request_behind_newer_ones(bot: BotHarness, url: str) -> str:
    """One of Adele's requests from last week, then ``NEWER`` of hers since; its id."""
    adele = bot.person("adele.vance@contoso.com")
    start = datetime.now(UTC) - timedelta(days=7)
    mine = {"requester_oid": adele.oid, "requester_upn": adele.upn,
            "sender": "support@contoso.com"}  # fmt: skip
    async with open_store(url) as store:  # the bot already migrated the database
        old, messages = draft(start, **mine)
        await store.create_request(old, messages)
        for n in range(NEWER):
            newer, messages = draft(start + timedelta(minutes=n + 1), **mine)
            await store.create_request(newer, messages)
    return old.id


async def test_status_and_cancel_find_a_request_older_than_the_latest_thousand(
    bot_on: tuple[BotHarness, str],
) -> None:
    bot, url = bot_on
    adele = bot.person("adele.vance@contoso.com")
    johanna = bot.person("johanna.lorenz@contoso.com")
    old_id = await old_request_behind_newer_ones(bot, url)
    short = old_id[:12]

    status = text_of(card_in(await bot.say(adele, f"/status {short}")))
    assert reference_of(old_id) in status
    assert "Not found" not in status
    others = text_of(card_in(await bot.say(johanna, f"/status {short}")))
    assert "Not found" in others  # by id, yet only the requester's own

    cancelled = text_of(card_in(await bot.say(adele, f"/cancel {short}")))
    assert "cancelled" in cancelled.lower()
    request = await bot.services.store.get_request(old_id)
    assert request.state is SendState.CANCELLED
