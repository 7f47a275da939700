"""One HTTPS port for everything, routed by path:

* Entra ID ``/{tenant}/v2.0/.well-known/openid-configuration``, ``/{tenant}/discovery/v2.0/keys``,
  ``/{tenant}/oauth2/v2.0/token``;
* Graph ``/v1.0/...``; Exchange admin ``/adminapi/beta/{tenant}/InvokeCommand`` and
  ``/adminapi/v2.0/{tenant}/{endpoint}``;
* Bot Connector ``/v3/conversations/...``; the Bot Framework token service ``/api/usertoken/...``
  and ``/api/botsignin/...``; control ``/_emulator/...``.

The edge middleware gives every response ``request-id`` and ``client-request-id``, applies faults
and latency, and writes the request log.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
import struct
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from emulator import (
    connector,
    control,
    entra,
    exchange_admin,
    teams_files,
    token_service,
    upload_sessions,
)
from emulator.appkeys import CTX, GRAPH, STATE, RequestContext
from emulator.envelopes import aad_error_body, graph_error_body, new_request_id
from emulator.faults import Fault
from emulator.graph.http import build_graph, handle_graph
from emulator.seed import DEMO_SEED, load_seed
from emulator.state import EmulatorState
from emulator.tls import CONTROL_SNI, LOOPBACK_NAMES, TlsFiles, ensure_signing_key, ensure_tls
from emulator.tokens import TokenService, entra_issuer, unverified_claims

log = logging.getLogger("emulator")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
MAX_BODY = 160 * 1024 * 1024
_ENTRA_MARKERS = ("/oauth2/", "/discovery/", "/.well-known/")


def _abort(request: web.Request, *, reset: bool) -> None:
    """Drop the TCP connection without an HTTP answer (RST when ``reset``)."""
    transport = request.transport
    if transport is None:
        return
    if reset:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


def _is_entra(path: str) -> bool:
    return any(marker in path for marker in _ENTRA_MARKERS)


def _fault_response(request: web.Request, fault: Fault, ctx: RequestContext) -> web.Response:
    if fault.kind == "throttle":
        status, code = 429, fault.code or "TooManyRequests"
        message = fault.message or "Too many requests. Please retry after the period given."
    else:
        status, code = fault.status or 503, fault.code or "ErrorServerBusy"
        message = fault.message or "The server is busy. Try again later."
    headers: dict[str, str] = {}
    retry_after = fault.retry_after if fault.kind != "throttle" else (fault.retry_after or 1)
    if retry_after is not None:
        headers["Retry-After"] = f"{retry_after:g}"
    if _is_entra(request.path):
        body = aad_error_body(
            code if code.islower() else "temporarily_unavailable",
            50196 if status == 429 else 90033,
            message,
            trace_id=ctx.request_id,
            correlation_id=ctx.client_request_id or ctx.request_id,
        )
    else:
        body = graph_error_body(code, message, ctx.request_id, ctx.client_request_id)
    return web.json_response(body, status=status, headers=headers)


def _log_entry(
    request: web.Request,
    ctx: RequestContext,
    status: int | None,
    started: float,
    fault: Fault | None,
) -> dict[str, Any]:
    app_id, subject, oid = ctx.app_id, ctx.subject, None
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        claims = unverified_claims(header[7:].strip())
        app_id = app_id or claims.get("azp") or claims.get("appid")
        oid = claims.get("oid")
        subject = subject or claims.get("upn") or (f"app:{app_id}" if app_id else None)
    return {
        "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "method": request.method,
        "path": request.path,
        "query": request.query_string,
        "status": status,
        "request_id": ctx.request_id,
        "client_request_id": ctx.client_request_id,
        "app_id": app_id,
        "subject": subject,
        "oid": oid,
        "grant_type": ctx.grant_type,
        "fault": fault.kind if fault is not None else None,
        "duration_ms": round((time.monotonic() - started) * 1000, 1),
    }


@web.middleware
async def edge(request: web.Request, handler: Handler) -> web.StreamResponse:
    state = request.app[STATE]
    ctx = RequestContext(new_request_id(), request.headers.get("client-request-id"))
    request[CTX] = ctx
    if request.path.startswith("/_emulator/"):
        answer = await handler(request)
        answer.headers["request-id"] = ctx.request_id
        return answer
    started = time.monotonic()
    fault = state.faults.take(request.method, request.path)
    status: int | None = None
    try:
        if fault is not None and fault.kind == "drop_before_accept":
            _abort(request, reset=True)
            return web.Response(status=503)
        delay = state.latency.delay_for(request.path)
        if fault is not None and fault.kind == "delay":
            delay += fault.delay or 0.0
        if fault is not None and fault.kind in ("error", "throttle"):
            await asyncio.sleep(delay)
            response: web.StreamResponse = _fault_response(request, fault, ctx)
        else:
            if request.path.startswith("/v1.0/"):
                ctx.pending_delay = delay
            elif delay > 0:
                await asyncio.sleep(delay)
            response = await _guarded(request, handler, ctx)
            if fault is not None and fault.kind == "error_after_accept":
                response = _fault_response(request, fault, ctx)
        status = response.status
        response.headers["request-id"] = ctx.request_id
        response.headers["client-request-id"] = ctx.client_request_id or ctx.request_id
        if _is_entra(request.path):
            response.headers["x-ms-request-id"] = ctx.request_id
        if fault is not None and fault.kind == "drop_after_accept":
            _abort(request, reset=False)
        return response
    finally:
        state.log.append(_log_entry(request, ctx, status, started, fault))


async def _guarded(
    request: web.Request, handler: Handler, ctx: RequestContext
) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException as exc:
        message = exc.text or exc.reason
        body = graph_error_body(
            "NotFound" if exc.status == 404 else "BadRequest",
            f"{message} ({request.method} {request.path})",
            ctx.request_id,
            ctx.client_request_id,
        )
        return web.json_response(body, status=exc.status)
    except Exception:
        log.exception("emulator handler failed on %s %s", request.method, request.path)
        body = graph_error_body(
            "InternalServerError",
            "The emulator failed on this request (see its log).",
            ctx.request_id,
            ctx.client_request_id,
        )
        return web.json_response(body, status=500)


def create_app(state: EmulatorState) -> web.Application:
    app = web.Application(middlewares=[edge], client_max_size=MAX_BODY)
    app[STATE] = state
    app[GRAPH] = build_graph(state)
    control.add_routes(app)
    connector.add_routes(app)
    token_service.add_routes(app)
    upload_sessions.add_routes(app)
    teams_files.add_routes(app)
    r = app.router
    r.add_route("*", "/v1.0/{tail:.*}", handle_graph)
    r.add_post("/adminapi/beta/{tenant}/InvokeCommand", exchange_admin.handle_invoke)
    r.add_get("/adminapi/beta/{tenant}/InvokeCommand", exchange_admin.handle_invoke)
    r.add_post("/adminapi/v2.0/{tenant}/{endpoint}", exchange_admin.handle_v2)
    r.add_get("/{tenant}/v2.0/.well-known/openid-configuration", entra.handle_openid_configuration)
    r.add_get("/{tenant}/discovery/v2.0/keys", entra.handle_keys)
    r.add_post("/{tenant}/oauth2/v2.0/token", entra.handle_token)
    r.add_get("/{tenant}/oauth2/v2.0/authorize", entra.handle_authorize)
    return app


def _handshake_gate(
    state: EmulatorState,
) -> Callable[[ssl.SSLObject, str | None, ssl.SSLContext], int | None]:
    """Runs in every TLS handshake: an armed ``close_before_read`` fault fails it."""

    def gate(_obj: ssl.SSLObject, name: str | None, _ctx: ssl.SSLContext) -> int | None:
        if name == CONTROL_SNI:
            return None
        fault = state.faults.take_connection()
        if fault is None:
            return None
        state.log.append(
            {
                "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "method": None,
                "path": None,
                "query": "",
                "status": None,
                "request_id": None,
                "client_request_id": None,
                "app_id": None,
                "subject": None,
                "oid": None,
                "grant_type": None,
                "fault": fault.kind,
                "duration_ms": 0.0,
            }
        )
        return ssl.ALERT_DESCRIPTION_HANDSHAKE_FAILURE

    return gate


def _closer(runner: web.AppRunner) -> Callable[[object], None]:
    def close_others(keep: object) -> None:
        server = runner.server
        if server is None:
            return
        for handler in server.connections:
            if handler is keep:
                continue
            if getattr(handler, "_request_in_progress", False) or handler.transport is None:
                handler.close()  # after the answer it is writing
            else:
                handler.transport.close()  # idle keep-alive connection: close now

    return close_others


@dataclass
class EmulatorServer:
    """A started emulator on its own event loop; ``await stop()`` on that loop."""

    base_url: str
    tls: TlsFiles
    state: EmulatorState
    runner: web.AppRunner

    @classmethod
    async def start(
        cls,
        *,
        seed: Path | None,
        state_dir: Path,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> EmulatorServer:
        extra = () if host in LOOPBACK_NAMES else (host,)
        tls = await asyncio.to_thread(ensure_tls, state_dir, extra)
        key = await asyncio.to_thread(ensure_signing_key, state_dir)
        tenant = load_seed(seed or DEMO_SEED)
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
        sock.setblocking(False)
        bound_port = sock.getsockname()[1]
        shown = f"[{host}]" if ":" in host else host
        base_url = f"https://{shown}:{bound_port}"
        tokens = TokenService(key, tenant, entra_issuer(tenant.id))
        state = EmulatorState(tenant, tokens, base_url)
        runner = web.AppRunner(create_app(state), access_log=None, handle_signals=False)
        await runner.setup()
        context = tls.server_context()
        context.sni_callback = _handshake_gate(state)
        state.close_other_connections = _closer(runner)
        site = web.SockSite(runner, sock, ssl_context=context)
        await site.start()
        return cls(base_url=base_url, tls=tls, state=state, runner=runner)

    async def stop(self) -> None:
        # Open keep-alive connections are dropped at once: a TLS goodbye with a client that
        # never answers would outlive the loop.
        server = self.runner.server
        if server is not None:
            for handler in server.connections:
                if handler.transport is not None:
                    handler.transport.abort()
        await self.runner.cleanup()
