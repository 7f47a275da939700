"""Mailroom's Prometheus series: one ``Metrics`` per app, each with its own registry.

Nothing is registered at import time and nothing uses prometheus-client's global registry,
so two apps (or two tests) in one process never share or clash over a series. The app
builds one ``Metrics`` and hands it to what it counts (the Graph client, the token
provider, the outbox worker); a part built without one gets a private ``Metrics`` nobody
scrapes. ``GET /metrics`` (``metrics_handler``) answers in the text exposition format and
refreshes the gauges read from the database (outbox depth and age per sender mailbox,
approvals waiting) on each scrape.

Every label value is bounded: activity types, verbs and invoke names outside the known sets
count as ``other``, so a caller cannot grow the series by sending odd values. Sender
mailboxes are the policy's, a bounded set too.

| series | labels |
|---|---|
| ``mailroom_turns_total`` | ``type``, ``verb``, ``outcome`` (ok, refused, error) |
| ``mailroom_turn_duration_seconds`` | ``type`` (histogram) |
| ``mailroom_outbox_depth`` | ``mailbox``: messages queued, sending or being reconciled |
| ``mailroom_outbox_oldest_age_seconds`` | ``mailbox``: how long the oldest of those waits |
| ``mailroom_sends_total`` | ``outcome`` (sent, failed, unknown, cancelled, retry, …) |
| ``mailroom_graph_throttled_total`` | — (Graph answered 429) |
| ``mailroom_graph_retries_total`` | ``status`` (429, 503, 504, transport) |
| ``mailroom_reconciliations_total`` | ``result`` (delivered, send_draft, …, lookup_failed) |
| ``mailroom_token_requests_total`` | ``kind`` (app, user), ``source`` (cache, entra) |
| ``mailroom_approvals_waiting`` | — |
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import generate_latest

from bot.settings import Secret, is_loopback
from bot.store.records import MailboxQueue
from cards.verbs import all_verbs

ACTIVITY_TYPES = frozenset(
    {"message", "invoke", "conversationUpdate", "installationUpdate", "messageReaction", "event"}
)
INVOKE_NAMES = frozenset(
    {
        "adaptiveCard/action",
        "composeExtension/fetchTask",
        "composeExtension/submitAction",
        "signin/tokenExchange",
        "signin/verifyState",
    }
)
OTHER = "other"
# The classic text format every Prometheus version reads; all of Mailroom's names are plain
# ASCII, so the output is the same as in the newer 1.0.0 text format.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Teams gives up on an invoke after about 15 s; the buckets resolve the range that matters.
TURN_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 15.0)


class Metrics:
    """The series above, in ``self.registry``."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self._turns = Counter(
            "mailroom_turns", "Activities served", ["type", "verb", "outcome"], registry=r
        )
        self._turn_seconds = Histogram(
            "mailroom_turn_duration_seconds",
            "Time from receiving an activity to answering it",
            ["type"],
            buckets=TURN_BUCKETS,
            registry=r,
        )
        self._depth = Gauge(
            "mailroom_outbox_depth", "Outbox messages waiting per sender", ["mailbox"], registry=r
        )
        self._age = Gauge(
            "mailroom_outbox_oldest_age_seconds",
            "Age of the oldest waiting outbox message per sender",
            ["mailbox"],
            registry=r,
        )
        self._sends = Counter("mailroom_sends", "Outbox job outcomes", ["outcome"], registry=r)
        self._throttled = Counter(
            "mailroom_graph_throttled", "Graph answers with status 429", registry=r
        )
        self._retries = Counter(
            "mailroom_graph_retries", "Graph calls tried again", ["status"], registry=r
        )
        self._reconciliations = Counter(
            "mailroom_reconciliations",
            "Mailbox look-ups of a message whose send may have happened",
            ["result"],
            registry=r,
        )
        self._tokens = Counter(
            "mailroom_token_requests",
            "Tokens handed out, from the cache or from Entra ID",
            ["kind", "source"],
            registry=r,
        )
        self._approvals = Gauge(
            "mailroom_approvals_waiting", "Send requests waiting for an approver", registry=r
        )
        self._verbs = frozenset(all_verbs())

    # --- counting -------------------------------------------------------------------------

    def turn(self, activity: Mapping[str, Any], status: int, seconds: float) -> None:
        kind = activity.get("type")
        kind = kind if isinstance(kind, str) and kind in ACTIVITY_TYPES else OTHER
        outcome = "ok" if status < 400 else "refused" if status < 500 else "error"
        self._turns.labels(kind, self._verb_of(kind, activity), outcome).inc()
        self._turn_seconds.labels(kind).observe(seconds)

    def send(self, outcome: str) -> None:
        self._sends.labels(outcome).inc()

    def graph_throttled(self) -> None:
        self._throttled.inc()

    def graph_retry(self, status: int | None) -> None:
        self._retries.labels("transport" if status is None else str(status)).inc()

    def reconciliation(self, result: str) -> None:
        self._reconciliations.labels(_snake(result)).inc()

    def token(self, kind: str, *, cached: bool) -> None:
        self._tokens.labels(kind, "cache" if cached else "entra").inc()

    # --- state read at scrape time --------------------------------------------------------

    def outbox(self, queues: Iterable[MailboxQueue], now: datetime) -> None:
        self._depth.clear()
        self._age.clear()
        for queue in queues:
            self._depth.labels(queue.mailbox).set(queue.depth)
            self._age.labels(queue.mailbox).set(max(0.0, (now - queue.oldest).total_seconds()))

    def approvals_waiting(self, count: int) -> None:
        self._approvals.set(count)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)

    def _verb_of(self, kind: str, activity: Mapping[str, Any]) -> str:
        if kind == "message":
            return "message"
        if kind != "invoke":
            return "none"
        value = activity.get("value")
        action = value.get("action") if isinstance(value, Mapping) else None
        verb = action.get("verb") if isinstance(action, Mapping) else None
        if isinstance(verb, str):
            return verb if verb in self._verbs else OTHER
        name = activity.get("name")
        return name if isinstance(name, str) and name in INVOKE_NAMES else OTHER


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


# --- GET /metrics -------------------------------------------------------------------------

Refresh = Callable[[Metrics], Awaitable[None]]


def metrics_handler(
    metrics: Metrics, token: Secret | None, refresh: Refresh
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """``GET /metrics``. With ``token`` set, every caller needs ``Authorization: Bearer
    <token>`` (401 otherwise), loopback included: behind a reverse proxy on the same host
    every request comes from loopback. Without a token only loopback peers are served (403
    otherwise); the peer is the TCP address, never a forwarded header."""

    async def handler(request: web.Request) -> web.StreamResponse:
        refusal = _refusal(request, token)
        if refusal is not None:
            return refusal
        await refresh(metrics)
        return web.Response(body=metrics.exposition(), headers={"Content-Type": CONTENT_TYPE})

    return handler


def _refusal(request: web.Request, token: Secret | None) -> web.Response | None:
    if token is not None:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        expected = token.reveal().encode()
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), expected):
            return None
        return web.json_response(
            {"error": "GET /metrics needs Authorization: Bearer <MAILROOM_METRICS_TOKEN>."},
            status=401,
            headers={"WWW-Authenticate": 'Bearer realm="mailroom-metrics"'},
        )
    if request.remote is not None and is_loopback(request.remote):
        return None
    return web.json_response(
        {"error": "GET /metrics is served to loopback only; set MAILROOM_METRICS_TOKEN."},
        status=403,
    )
