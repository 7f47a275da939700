"""The whole bot against the emulator, as tests/support/botapp.py runs it, but with short
deadlines for every call to Entra ID, Graph and Exchange (``build_services(timeouts=)``)
and a short first wait before retrying a database that was down at startup."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from bot.app import create_app
from bot.netclient import Timeouts
from bot.settings import Settings
from emulator.testing import RunningEmulator
from tests.support.botapp import BotHarness, bot_services
from tests.support.servers import serve

# Far below the production defaults (5 s connect, 30 s read, 60 s per call), so "slow past
# every deadline" costs the suite a second, not a minute.
SHORT = Timeouts(connect=0.5, read=0.5, total=1.5)


@asynccontextmanager
async def running_bot(
    settings: Settings,
    emulator: RunningEmulator,
    *,
    timeouts: Timeouts = SHORT,
    startup_retry_seconds: float = 0.2,
) -> AsyncIterator[BotHarness]:
    app = create_app(
        settings,
        services=lambda: bot_services(settings, timeouts=timeouts),
        startup_retry_seconds=startup_retry_seconds,
    )
    async with serve(app) as url:
        harness = BotHarness(url, emulator, app)
        try:
            yield harness
        finally:
            await harness.close()


async def ready(url: str) -> int:
    async with httpx.AsyncClient() as http:
        return (await http.get(f"{url}/readyz")).status_code
