"""Typed keys for the aiohttp application and per-request context."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from emulator.graph.core import GraphService
from emulator.state import EmulatorState


@dataclass
class RequestContext:
    """What the edge middleware and the handlers learn about one request (for the log)."""

    request_id: str
    client_request_id: str | None
    app_id: str | None = None
    subject: str | None = None
    grant_type: str | None = None
    pending_delay: float = 0.0


STATE = web.AppKey("emulator_state", EmulatorState)
GRAPH = web.AppKey("emulator_graph", GraphService)
CTX = web.RequestKey("emulator_ctx", RequestContext)
