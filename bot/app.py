"""``create_app``: the aiohttp application, its routes and everything it owns.

Every dependency is built here (or handed in by a test), kept in typed app keys and
closed on shutdown; nothing lives in module globals.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from functools import partial
from typing import Any

import aiohttp
from aiohttp import web
from microsoft_agents.activity import Activity
from microsoft_agents.hosting.aiohttp import CloudAdapter
from microsoft_agents.hosting.core import TurnContext
from microsoft_agents.hosting.core.authorization import AgentAuthConfiguration
from pydantic import ValidationError

from bot.errors import StoreUnavailable
from bot.flow.preview_links import PreviewLinks
from bot.identity import MsalTokenProvider
from bot.inbound_auth import InboundAuth, SigningKeySource
from bot.inbound_body import BodyLimits, Refusal, read_activity
from bot.legal_pages import PRIVACY_PATH, TERMS_PATH, legal_handlers
from bot.metrics import Metrics, metrics_handler
from bot.netclient import tls_context
from bot.outbox.wiring import msal_tokens, running
from bot.preview_page import preview_handler
from bot.results_page import results_handler
from bot.services import Services
from bot.settings import Settings
from bot.store import Store
from bot.store.records import utc_now
from bot.teams.agent import MailroomAgent
from bot.teams.connector import AppTokenSource, MailroomConnections
from bot.teams.connector_pool import MailroomClientFactory
from bot.teams.dispatch import Dispatcher
from bot.teams.runtime import start_teams
from bot.validated_activity import ValidatedRequest, web_response

logger = logging.getLogger("mailroom.activity")

MAX_ACTIVITY_BYTES = 256 * 1024
MAX_STARTUP_RETRY_SECONDS = 30.0


SETTINGS = web.AppKey("settings", Settings)
ADAPTER = web.AppKey("adapter", CloudAdapter)
# The adapter's connector clients; whoever uses the adapter without running the app
# (tests, tools) closes them with ``aclose``.
CONNECTOR_CLIENTS = web.AppKey("connector_clients", MailroomClientFactory)
AGENT = web.AppKey("agent", MailroomAgent)
READINESS = web.AppKey("readiness", list[str])  # names of components not yet ready
AUTH = web.AppKey("auth", InboundAuth)
# What a body may cost before authentication; a test may set tighter limits on its app.
BODY_LIMITS = web.AppKey("body_limits", BodyLimits)
METRICS = web.AppKey("metrics", Metrics)
DEFAULT_BODY_LIMITS = BodyLimits(max_bytes=MAX_ACTIVITY_BYTES)


def auth_configuration(settings: Settings) -> AgentAuthConfiguration:
    """What the SDK's JWT check enforces: anonymous only without an app id. The issuer
    allow-list is on (the SDK leaves it off by default): Bot Framework's issuer (Teams
    traffic), the bot's own tenant and Microsoft's first-party tenants; a token signed by
    a Microsoft key but issued for anything else is refused (bot/inbound_auth.py)."""
    if not settings.has_credentials:
        return AgentAuthConfiguration(anonymous_allowed=True)
    return AgentAuthConfiguration(
        client_id=settings.app_id,
        tenant_id=settings.app_tenant_id,
        anonymous_allowed=False,
        validate_issuer=True,
    )


async def _no_token_source(scope: str) -> str:
    raise RuntimeError("no bot credentials are configured; replies are anonymous")


ServicesFactory = Callable[[], AbstractAsyncContextManager[Services]]


class ServicesHolder:
    """The running app's services, for checks and tools outside a turn (handlers never
    read it: they are bound to their dependencies when the services start)."""

    def __init__(self) -> None:
        self.services: Services | None = None

    def get(self) -> Services:
        if self.services is None:
            raise RuntimeError("the services are not started")
        return self.services


SERVICES = web.AppKey("services", ServicesHolder)


def _preview_sources(holder: ServicesHolder) -> tuple[Store, PreviewLinks] | None:
    services = holder.services
    return None if services is None else (services.store, services.links)


def create_app(
    settings: Settings,
    *,
    services: ServicesFactory | None = None,
    app_token_source: AppTokenSource | None = None,
    signing_keys: SigningKeySource | None = None,
    startup_retry_seconds: float = 2.0,
    metrics: Metrics | None = None,
) -> web.Application:
    """``services`` builds the store, clients and flow at startup (``build_services``);
    without it the bot answers help only (used by tests of the HTTP surface).
    ``signing_keys`` replaces Microsoft's JWKS URLs as the source of token signing keys —
    a test seam (docs/decisions/0002-jwt-test-seam.md); production passes nothing.
    ``startup_retry_seconds``: the first wait before trying an unreachable database again.
    ``metrics``: the series ``GET /metrics`` serves; pass the same one to ``build_services``
    so the outbox, Graph and token series are among them."""
    # Bodies are read raw: a compressed one is refused, never inflated (bot/inbound_body.py).
    app = web.Application(
        client_max_size=MAX_ACTIVITY_BYTES, handler_args={"auto_decompress": False}
    )
    holder = ServicesHolder()
    configuration = auth_configuration(settings)
    bot_tokens = None
    if app_token_source is None and settings.app_password and settings.app_tenant_id:
        # With credentials, replies need a Bot Framework token for the bot's own app id.
        bot_tokens = msal_tokens(settings)
        app_token_source = bot_tokens.app_token
    connections = MailroomConnections(configuration, app_token_source or _no_token_source)
    client_factory = MailroomClientFactory(connections, tls_context(settings.ca_bundle))
    adapter = CloudAdapter(channel_service_client_factory=client_factory)
    adapter.on_turn_error = _on_turn_error
    readiness: list[str] = []
    agent = MailroomAgent(
        Dispatcher(lambda: tuple(readiness), typing_after=settings.typing_after_seconds),
        allowed_tenants=settings.effective_allowed_tenants,
    )

    app[SETTINGS] = settings
    app[ADAPTER] = adapter
    app[CONNECTOR_CLIENTS] = client_factory
    app[AGENT] = agent
    app[READINESS] = readiness
    app[SERVICES] = holder
    app[AUTH] = InboundAuth(configuration, signing_keys)
    app[METRICS] = metrics = metrics or Metrics()
    if services is not None:
        app.cleanup_ctx.append(_services_lifecycle(services, startup_retry_seconds))
    if bot_tokens is not None:
        app.on_cleanup.append(_closing(bot_tokens))
    app.on_cleanup.append(lambda _app: client_factory.aclose())

    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/preview/{request_id}", preview_handler(partial(_preview_sources, holder)))
    app.router.add_get(
        "/results/{request_id}.csv", results_handler(partial(_preview_sources, holder))
    )
    app.router.add_get("/readyz", readyz)
    privacy, terms = legal_handlers(settings.admin_contact, partial(_retention_days, holder))
    app.router.add_get(PRIVACY_PATH, privacy)
    app.router.add_get(TERMS_PATH, terms)
    app.router.add_get(
        "/metrics",
        metrics_handler(metrics, settings.metrics_token, partial(_refresh_metrics, holder)),
    )
    return app


def _retention_days(holder: ServicesHolder) -> int | None:
    services = holder.services
    return None if services is None else services.policy.retention_days


async def _refresh_metrics(holder: ServicesHolder, metrics: Metrics) -> None:
    """The gauges read from the database; left as they were while it cannot be read."""
    services = holder.services
    if services is None:
        return
    try:
        queues = await services.store.outbox_queues()
        waiting = await services.store.count_waiting_approvals()
    except StoreUnavailable:
        logger.warning("metrics: the database cannot be read; outbox gauges not refreshed")
        return
    metrics.outbox(queues, utc_now())
    metrics.approvals_waiting(waiting)


def _services_lifecycle(
    factory: ServicesFactory, retry_seconds: float
) -> Callable[[web.Application], AsyncIterator[None]]:
    """Start the services with the app. A database that cannot be reached at startup does
    not stop the app: it serves (every step answers "temporarily unavailable", /readyz says
    503) while a background task tries again, with backoff up to 30 s, and starts the
    services as soon as the database answers — no restart needed. Any other startup
    failure (bad policy, bad settings) still stops the app at once."""

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        app[READINESS].append("services")
        stop = asyncio.Event()
        settled = asyncio.Event()  # started, or waiting for the database
        task = asyncio.create_task(
            _keep_services(app, factory, retry_seconds, stop, settled), name="mailroom-services"
        )
        waiter = asyncio.create_task(settled.wait())
        await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        if task.done():
            task.result()  # a startup failure other than the database: raise it here
        try:
            yield
        finally:
            stop.set()
            await task

    return lifecycle


async def _keep_services(
    app: web.Application,
    factory: ServicesFactory,
    retry_seconds: float,
    stop: asyncio.Event,
    settled: asyncio.Event,
) -> None:
    delay = retry_seconds
    while not stop.is_set():
        try:
            async with factory() as built:
                services, routes = start_teams(built, app[ADAPTER])
                assert services.worker is not None
                async with running(services.worker):
                    app[SERVICES].services = services
                    app[AGENT].dispatcher.serve(routes)
                    app[READINESS][:] = []
                    settled.set()
                    try:
                        await stop.wait()
                    finally:
                        app[AGENT].dispatcher.serve(None)
                        app[SERVICES].services = None
                    return
        except Exception as error:
            if not isinstance(error, StoreUnavailable) and not settled.is_set():
                raise  # bad settings or policy: stop the app as before
            logger.warning(
                "services not started (%s); trying again in %.1f s", type(error).__name__, delay
            )
            app[READINESS][:] = ["database"]
            settled.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
            delay = min(delay * 2, MAX_STARTUP_RETRY_SECONDS)


def _closing(tokens: MsalTokenProvider) -> Callable[[web.Application], Awaitable[None]]:
    async def close(app: web.Application) -> None:
        tokens.close()

    return close


async def _on_turn_error(context: TurnContext, error: Exception) -> None:
    """Log the failure (type and ids only) and tell the user something went wrong;
    never echo exception text into the chat."""
    activity = context.activity
    logger.error(
        "turn failed: %s",
        type(error).__name__,
        exc_info=error,
        extra={"activity_id": activity.id, "activity_type": activity.type},
    )
    if activity.type == "message":
        try:
            await context.send_activity(
                "Sorry, something went wrong on my side. Please try again in a moment."
            )
        except (aiohttp.ClientError, TimeoutError) as exc:  # Teams refused this one too
            logger.warning("the error notice did not reach Teams: %s", type(exc).__name__)


async def _authorized_messages(
    request: web.Request, activity: dict[str, Any]
) -> web.StreamResponse:
    callers = request.app[SETTINGS].trusted_callers
    identity = await request.app[AUTH].authorize(request, activity, callers)
    if isinstance(identity, web.StreamResponse):
        return identity
    validated = _validated(activity)
    if isinstance(validated, str):
        logger.warning("activity refused: not a valid activity (%s)", validated)
        return _bad_request("The activity is not valid.")
    adapter = request.app[ADAPTER]
    agent = request.app[AGENT]
    answer = await adapter.process_request(ValidatedRequest(request, validated, identity), agent)
    return web_response(answer)


async def messages(request: web.Request) -> web.StreamResponse:
    """POST /api/messages: read the body within limits (bot/inbound_body.py), authenticate,
    process, log one line. Never answers 500."""
    started = time.perf_counter()
    activity: dict[str, Any] = {}
    try:
        body = await read_activity(request, request.app.get(BODY_LIMITS, DEFAULT_BODY_LIMITS))
        activity = body if isinstance(body, dict) else {}
        problem = None if isinstance(body, Refusal) else _shape_problem(body)
        if isinstance(body, Refusal):
            response: web.StreamResponse = body.response()
        elif problem is not None:
            logger.warning("activity refused before authentication: %s", problem)
            response = _bad_request(problem)
        else:
            response = await _authorized_messages(request, activity)
    except ValidationError:
        response = _bad_request("The activity is not valid.")
    except Exception as error:  # the endpoint's contract: never a 500
        logger.exception("activity processing failed: %s", type(error).__name__)
        response = web.json_response({"error": "The activity could not be processed."}, status=502)
    seconds = time.perf_counter() - started
    request.app[METRICS].turn(activity, response.status, seconds)
    _log_activity(activity, response.status, seconds)
    return response


class _QuietSdkValidation(logging.Filter):
    """The SDK logs every invalid activity at ERROR with a traceback and the offending
    input values; Mailroom refuses those with one warning of its own instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Validation error for Activity")


_SDK_ACTIVITY_LOGGER = logging.getLogger("microsoft_agents.activity.activity")


def _validated(activity: dict[str, Any]) -> Activity | str:
    """``activity`` as the SDK's model, or the top-level fields that make it invalid.
    Checked here, before the SDK sees it, so a malformed activity is a 400 and one warning
    (field names only, never values), not an error with a traceback. An activity the bot
    could not answer (no recipient, an empty id: no conversation reference) is invalid too."""
    quiet = _QuietSdkValidation()
    _SDK_ACTIVITY_LOGGER.addFilter(quiet)  # synchronous: no other task runs meanwhile
    try:
        model = Activity.model_validate(activity)
        model.get_conversation_reference()
    except ValidationError as error:
        names = {str(e["loc"][0])[:40] for e in error.errors() if e.get("loc")}
        return ", ".join(sorted(names)[:10]) or "the activity"
    except Exception as error:  # noqa: BLE001 - bad input, not a bug: the SDK's validators
        # also raise TypeError ("" as channelId) and a bare Exception (a sub-channel against a
        # productInfo entity) for what is only a malformed activity.
        return f"the activity ({type(error).__name__})"
    finally:
        _SDK_ACTIVITY_LOGGER.removeFilter(quiet)
    return model


def _shape_problem(body: Any) -> str | None:
    """The minimum every Bot Framework activity has; anything less is refused up front."""
    if not isinstance(body, dict):
        return "The body must be a JSON activity."
    if not isinstance(body.get("type"), str):
        return "The activity has no type."
    conversation = body.get("conversation")
    if not isinstance(conversation, dict) or not isinstance(conversation.get("id"), str):
        return "The activity has no conversation id."
    service_url = body.get("serviceUrl")
    if not isinstance(service_url, str) or not service_url.startswith(("https://", "http://")):
        return "The activity has no valid serviceUrl."
    return None


def _bad_request(message: str) -> web.Response:
    return web.json_response({"error": message}, status=400)


def _log_activity(activity: dict[str, Any], status: int, seconds: float) -> None:
    conversation = activity.get("conversation")
    value = activity.get("value")
    action = value.get("action") if isinstance(value, dict) else None
    extra: dict[str, Any] = {
        "activity_id": str(activity.get("id", ""))[:100],
        "activity_type": str(activity.get("type", ""))[:40],
        "conversation_id": str(conversation.get("id", ""))[:200]
        if isinstance(conversation, dict)
        else "",
        "duration_ms": round(seconds * 1000, 1),
        "status": status,
        "outcome": "ok" if status < 400 else "refused",
    }
    if isinstance(action, dict) and isinstance(action.get("verb"), str):
        extra["verb"] = action["verb"][:64]
    logger.info("activity", extra=extra)


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "alive"})


async def readyz(request: web.Request) -> web.Response:
    pending = request.app[READINESS]
    if pending:
        return web.json_response(
            {"status": "not ready", "reason": f"waiting for {', '.join(pending)}"}, status=503
        )
    return web.json_response({"status": "ready"})
