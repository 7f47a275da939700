"""Building the worker's Graph client, and running a worker for the length of a block.

The worker's ``GraphClient`` makes a single attempt per call (``RetryPolicy(max_attempts=1)``):
the outbox retries through the store instead, so a 429 pauses the mailbox on every replica
(``block_mailbox``) rather than one task sleeping on it. Share the app's ``TokenProvider``
with it: delegated sends reuse the user tokens msal cached when the user clicked Send.

In ``create_app``::

    async def outbox(app: web.Application) -> AsyncIterator[None]:
        async with running(Worker(store, build_worker_graph(http, tokens, settings.graph_url),
                                  guard=guard, senders=policy.sender, notifier=notifier)):
            yield

    app.cleanup_ctx.append(outbox)
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from bot.errors import ConfigError
from bot.graph import GraphClient, MailboxLimiter
from bot.identity import MsalTokenProvider, TokenProvider
from bot.metrics import Metrics
from bot.netclient import RetryPolicy, Timeouts, build_http_client
from bot.outbox.worker import Worker
from bot.settings import Settings

SINGLE_ATTEMPT = RetryPolicy(max_attempts=1)


def build_worker_graph(
    http: httpx.AsyncClient,
    tokens: TokenProvider,
    graph_url: str,
    *,
    limiter: MailboxLimiter | None = None,
    timeouts: Timeouts | None = None,
    metrics: Metrics | None = None,
) -> GraphClient:
    return GraphClient(
        http,
        tokens,
        graph_url,
        limiter=limiter or MailboxLimiter(),
        retry=SINGLE_ATTEMPT,
        timeouts=timeouts,
        metrics=metrics,
    )


def msal_tokens(settings: Settings, timeouts: Timeouts | None = None) -> MsalTokenProvider:
    """The app's msal token provider; raises ``ConfigError`` without app credentials."""
    if settings.app_id is None or settings.app_password is None:
        raise ConfigError("MicrosoftAppId", "the outbox needs the bot's app id and password")
    if settings.app_tenant_id is None:
        raise ConfigError("MicrosoftAppTenantId", "the outbox needs the tenant id for tokens")
    return MsalTokenProvider(
        settings.authority_host,
        settings.app_tenant_id,
        settings.app_id,
        settings.app_password.reveal(),
        settings.ca_bundle,
        timeouts=timeouts,
    )


@asynccontextmanager
async def worker_graph(
    settings: Settings, timeouts: Timeouts | None = None
) -> AsyncIterator[GraphClient]:
    """A worker ``GraphClient`` with its own http client and msal provider, for a process
    that runs only the worker."""
    limits = timeouts or Timeouts()
    tokens = msal_tokens(settings, limits)
    http = build_http_client(settings.ca_bundle, limits)
    try:
        yield build_worker_graph(http, tokens, settings.graph_url, timeouts=limits)
    finally:
        await http.aclose()
        tokens.close()


@asynccontextmanager
async def running(worker: Worker) -> AsyncIterator[Worker]:
    """Start ``worker`` for the block; stop it (gracefully) when the block ends."""
    await worker.start()
    try:
        yield worker
    finally:
        await worker.stop()
