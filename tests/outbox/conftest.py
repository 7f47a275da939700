"""Fixtures for the outbox tests: the store suite's databases (SQLite, and PostgreSQL when
MAILROOM_TEST_POSTGRES_URL is set) on a real clock, the client tests' msal provider and HTTP
client against the emulator, and a factory for workers that are stopped after the test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from bot.app import ADAPTER, CONNECTOR_CLIENTS, create_app
from bot.graph import GraphClient
from bot.identity import MsalTokenProvider
from bot.outbox import Worker
from bot.outbox.wiring import build_worker_graph
from bot.settings import Settings
from bot.store import Store, utc_now
from bot.store.records import Clock
from bot.teams.notifier import Notifier
from emulator.testing import RunningEmulator
from tests.clients.conftest import live_http, msal_tokens  # noqa: F401 - shared fixtures
from tests.outbox.helpers import AllowGuard, fast_config
from tests.store.conftest import database_url, open_another, store  # noqa: F401 - shared fixtures


@pytest.fixture
def clock() -> Clock:
    """The worker talks to a real emulator: the store runs on the real clock."""
    return utc_now


@pytest.fixture
def graph(
    emulator: RunningEmulator,
    live_http: httpx.AsyncClient,  # noqa: F811 - the imported fixture
    msal_tokens: MsalTokenProvider,  # noqa: F811
) -> GraphClient:
    return build_worker_graph(live_http, msal_tokens, f"{emulator.base_url}/v1.0")


@pytest.fixture
async def notifier_for(emulator: RunningEmulator) -> AsyncIterator[Callable[[Store], Notifier]]:
    settings = Settings(host="127.0.0.1", ca_bundle=emulator.ca_path)
    app = create_app(settings)
    adapter = app[ADAPTER]

    def make(database: Store, **kwargs: Any) -> Notifier:
        return Notifier(adapter, database, app_id=None, **kwargs)

    yield make
    await app[CONNECTOR_CLIENTS].aclose()


@pytest.fixture
async def make_worker(graph: GraphClient) -> AsyncIterator[Callable[..., Worker]]:
    """``make_worker(store, **kwargs)``: a worker with fast test settings (started by the
    test, stopped here)."""
    made: list[Worker] = []

    def make(database: Store, **kwargs: Any) -> Worker:
        kwargs.setdefault("guard", AllowGuard())
        kwargs.setdefault("config", fast_config())
        worker = Worker(database, kwargs.pop("graph", graph), **kwargs)
        made.append(worker)
        return worker

    yield make
    for worker in made:
        if worker.running:
            await worker.stop()
