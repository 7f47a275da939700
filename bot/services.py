"""Everything the bot needs at run time, built once from ``Settings`` and closed together.

``build_services`` is called from the app's lifecycle (``bot/app.py``); tests call it
too, pointed at the emulator and a temporary database, so production wiring is what the
integration tests exercise.
"""

from __future__ import annotations

import inspect
import logging
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bot.domain.senders import Policy
from bot.errors import ConfigError
from bot.exchange.client import ExchangeAdminClient
from bot.flow.approvals import ApprovalFlow
from bot.flow.facts import FactsService
from bot.flow.preview_links import PreviewLinks
from bot.flow.send_flow import SendFlow
from bot.graph import GraphClient, MailboxLimiter
from bot.identity.msal_provider import MsalTokenProvider
from bot.identity.provider import TokenProvider
from bot.identity.sso import BotServiceSso, EmulatorSso, SsoSource
from bot.identity.token_cache import MemoryCaches, SealedCaches, UserCaches
from bot.identity.token_service import TokenServiceClient
from bot.metrics import Metrics
from bot.netclient import Timeouts, build_http_client
from bot.outbox.worker import Worker
from bot.policy.loader import load_policy
from bot.rendering import TemplateCatalog
from bot.settings import Settings
from bot.store import Store, open_store

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Services:
    settings: Settings
    policy: Policy
    catalog: TemplateCatalog
    store: Store
    tokens: TokenProvider
    graph: GraphClient
    exchange: ExchangeAdminClient | None
    facts: FactsService
    flow: SendFlow
    links: PreviewLinks
    http: httpx.AsyncClient
    sso: SsoSource
    approvals: ApprovalFlow
    metrics: Metrics
    # Set once the Agents SDK adapter exists (``bot.teams.runtime.start_teams``).
    worker: Worker | None = None


# A card click must be answered before Teams gives up on it (10-15 s): the Graph, Exchange
# and Entra calls made during a turn get at most 10 s in all, then the card says
# "temporarily unavailable". The outbox has its own, longer send deadline.
INTERACTIVE = Timeouts(connect=3.0, read=8.0, total=10.0)


def load_static(settings: Settings) -> tuple[Policy, TemplateCatalog]:
    """The policy and templates: loaded (and validated) before anything connects."""
    policy = load_policy(settings.config_path)
    catalog = TemplateCatalog.load(settings.templates_dir)
    return policy, catalog


@asynccontextmanager
async def build_services(
    settings: Settings,
    *,
    tokens: TokenProvider | None = None,
    base_url: str | None = None,
    static: tuple[Policy, TemplateCatalog] | None = None,
    timeouts: Timeouts | None = None,
    metrics: Metrics | None = None,
) -> AsyncIterator[Services]:
    """Build and connect everything; close it all on exit, in reverse order. ``static`` is
    the already-validated policy and templates (``load_static``), when the caller has them.
    ``timeouts`` bound every interactive call to Entra ID, Graph and Exchange (default
    ``INTERACTIVE``); tests of slow dependencies pass short ones. ``metrics``: where the
    Graph, token and outbox series are counted (the app's, for ``GET /metrics``)."""
    limits = timeouts or INTERACTIVE
    metrics = metrics or Metrics()
    policy, catalog = static or load_static(settings)
    credentials = settings.graph_credentials
    store = open_store(settings.database_url)  # connected below, before anything uses it
    if tokens is None:
        if credentials is None:
            raise ConfigError(
                "MicrosoftAppId",
                "Graph credentials are needed to send mail: set MicrosoftAppId, "
                "MicrosoftAppPassword and MicrosoftAppTenantId (or MAILROOM_GRAPH_CLIENT_ID, "
                "MAILROOM_GRAPH_CLIENT_SECRET and MAILROOM_GRAPH_TENANT_ID)",
            )
        client_id, secret, tenant = credentials
        msal_tokens = MsalTokenProvider(
            settings.authority_host,
            tenant,
            client_id,
            secret.reveal(),
            settings.ca_bundle,
            timeouts=limits,
            user_caches=user_caches(settings, store),
            metrics=metrics,
        )
        tokens = msal_tokens
    tenant_id = credentials[2] if credentials else (settings.app_tenant_id or "")
    async with AsyncExitStack() as stack:
        closer = getattr(tokens, "close", None)
        if closer is not None:
            stack.push_async_callback(_maybe_await, closer)
        http = build_http_client(settings.ca_bundle, limits)
        stack.push_async_callback(http.aclose)
        _ensure_sqlite_folder(settings.database_url)
        await store.connect()
        stack.push_async_callback(store.close)
        await store.migrate()
        graph = GraphClient(
            http,
            tokens,
            settings.graph_url,
            limiter=MailboxLimiter(),
            timeouts=limits,
            metrics=metrics,
        )
        exchange = None
        if settings.exchange_admin_url is not None:
            domain = settings.tenant_domain or (policy.internal_domains or (None,))[0]
            if domain is None:
                raise ConfigError(
                    "MAILROOM_TENANT_DOMAIN",
                    "is needed for the Exchange admin API (or list internal_domains in "
                    "mailroom.toml)",
                )
            exchange = ExchangeAdminClient(
                http,
                tokens,
                _origin(settings.exchange_admin_url),
                tenant_id,
                organization=domain,
                timeouts=limits,
            )
        facts = FactsService(graph, exchange, policy)
        key = (
            settings.signing_key.reveal().encode()
            if settings.signing_key
            else secrets.token_bytes(32)  # links then die with the process: fine for one replica
        )
        links = PreviewLinks(
            key, settings.public_url or base_url or f"http://127.0.0.1:{settings.port}"
        )
        flow = SendFlow(
            store,
            facts,
            catalog,
            recipients_per_day=settings.recipients_per_day,
            max_message_bytes=settings.max_message_mb * 1024 * 1024,
        )
        yield Services(
            settings=settings,
            policy=policy,
            catalog=catalog,
            store=store,
            tokens=tokens,
            graph=graph,
            exchange=exchange,
            facts=facts,
            flow=flow,
            approvals=ApprovalFlow(store, facts, graph, flow),
            links=links,
            http=http,
            metrics=metrics,
            sso=_sso_source(settings, http, tokens),
        )


def user_caches(settings: Settings, store: Store) -> UserCaches:
    """Delegated users' token caches: sealed in the database when a key is set, so restarts
    and replicas share them; in the process otherwise."""
    if settings.token_cache_keys:
        return SealedCaches(store, [k.reveal() for k in settings.token_cache_keys])
    if settings.oauth_connection:
        logger.warning(
            "MAILROOM_TOKEN_CACHE_KEY is not set: delegated users' tokens stay in this process, "
            "so after a restart, or on another replica, users sign in again"
        )
    return MemoryCaches()


def _sso_source(settings: Settings, http: httpx.AsyncClient, tokens: TokenProvider) -> SsoSource:
    if settings.dev_token_source:
        return EmulatorSso(http, settings.authority_host)
    app_id = settings.app_id or settings.graph_client_id or ""
    client = None
    if settings.oauth_connection:
        client = TokenServiceClient(
            http, settings.token_service_url, settings.oauth_connection, tokens.app_token, app_id
        )
    return BotServiceSso(client, f"api://botid-{app_id}")


async def _maybe_await(close: Callable[[], object]) -> None:
    result = close()
    if inspect.isawaitable(result):
        await result


def _origin(exchange_admin_url: str) -> str:
    """The Exchange client appends ``/adminapi/beta/...`` and ``/adminapi/v2.0/...``."""
    for suffix in ("/adminapi/beta", "/adminapi/v2.0"):
        if exchange_admin_url.endswith(suffix):
            return exchange_admin_url[: -len(suffix)]
    return exchange_admin_url


def _ensure_sqlite_folder(database_url: str) -> None:
    prefix = "sqlite:///"
    if database_url.startswith(prefix) and ":memory:" not in database_url:
        Path(database_url[len(prefix) :]).parent.mkdir(parents=True, exist_ok=True)
