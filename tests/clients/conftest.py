"""Fixtures for the client tests (helpers in ``helpers.py``)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from bot.graph import GraphClient, MailboxLimiter
from bot.identity import MsalTokenProvider
from bot.netclient import RetryPolicy, Timeouts, build_http_client
from emulator.testing import RunningEmulator
from tests.clients.helpers import GRAPH, FixedTokens, Handler, SleepRecorder


@pytest.fixture
def tokens() -> FixedTokens:
    return FixedTokens()


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
async def make_graph(
    tokens: FixedTokens, sleeps: SleepRecorder
) -> AsyncIterator[Callable[..., GraphClient]]:
    clients: list[httpx.AsyncClient] = []

    def make(handler: Handler, **kwargs: Any) -> GraphClient:
        http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
        clients.append(http)
        kwargs.setdefault("limiter", MailboxLimiter())
        kwargs.setdefault("retry", RetryPolicy(max_attempts=4, base_delay=0.01, max_delay=0.05))
        kwargs.setdefault("timeouts", Timeouts(connect=1, read=5, total=30))
        return GraphClient(http, tokens, GRAPH, sleep=sleeps, jitter=lambda: 0.5, **kwargs)

    yield make
    for http in clients:
        await http.aclose()


# --- against the emulator ----------------------------------------------------------------

LIVE_TIMEOUTS = Timeouts(connect=2, read=10, total=20)


class RealSleep:
    """Really waits, and records each wait the client asked for."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        await asyncio.sleep(seconds)


@pytest.fixture
async def msal_tokens(emulator: RunningEmulator) -> AsyncIterator[MsalTokenProvider]:
    app = emulator.bot_app
    provider = MsalTokenProvider(
        emulator.base_url,
        emulator.tenant_id,
        app.client_id,
        app.secret,
        emulator.ca_path,
        timeouts=LIVE_TIMEOUTS,
    )
    yield provider
    provider.close()


@pytest.fixture
async def live_http(emulator: RunningEmulator) -> AsyncIterator[httpx.AsyncClient]:
    client = build_http_client(emulator.ca_path, LIVE_TIMEOUTS)
    yield client
    await client.aclose()


@pytest.fixture
def real_sleeps() -> RealSleep:
    return RealSleep()


@pytest.fixture
def live_graph(
    emulator: RunningEmulator,
    live_http: httpx.AsyncClient,
    msal_tokens: MsalTokenProvider,
    real_sleeps: RealSleep,
) -> GraphClient:
    return GraphClient(
        live_http,
        msal_tokens,
        f"{emulator.base_url}/v1.0",
        limiter=MailboxLimiter(),
        retry=RetryPolicy(max_attempts=4, base_delay=0.05, max_delay=0.5),
        timeouts=LIVE_TIMEOUTS,
        sleep=real_sleeps,
    )
