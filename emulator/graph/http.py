"""The aiohttp edge of Graph: ``/v1.0/{tail}`` → authenticate → ``GraphService.dispatch``."""

from __future__ import annotations

import json

from aiohttp import web

from emulator.appkeys import CTX, GRAPH
from emulator.envelopes import GraphFailure
from emulator.graph import attachments, batch, directory, mail, teamwork
from emulator.graph.core import GraphCall, GraphReply, GraphService, failure_reply
from emulator.graph.exchange_rules import MAX_REQUEST_BYTES
from emulator.state import EmulatorState

JSON_TYPE = "application/json;odata.metadata=minimal;odata.streaming=true;charset=utf-8"


def build_graph(state: EmulatorState) -> GraphService:
    svc = GraphService(state)
    batch.register(svc)
    directory.register(svc)
    mail.register(svc)
    teamwork.register(svc)
    attachments.register(svc)
    return svc


def _too_large() -> GraphFailure:
    """Graph takes request bodies up to 4 MB (Microsoft's docs team: "there is a 4MB limit on
    the size of a request", microsoft-graph-docs issue 85; "Create message": payloads over
    4 MB get "HTTP 413 Request Entity Too Large"). The error code is not documented."""
    return GraphFailure(
        413, "RequestEntityTooLarge", "The maximum request length supported is 4MB."
    )


def to_response(reply: GraphReply) -> web.Response:
    headers = dict(reply.headers)
    if reply.body is None:
        return web.Response(status=reply.status, headers=headers)
    headers["Content-Type"] = JSON_TYPE
    return web.Response(status=reply.status, body=json.dumps(reply.body).encode(), headers=headers)


async def handle_graph(request: web.Request) -> web.Response:
    svc = request.app[GRAPH]
    ctx = request[CTX]
    body = await request.read()
    if len(body) > MAX_REQUEST_BYTES:
        return to_response(failure_reply(_too_large(), ctx.request_id, ctx.client_request_id))
    try:
        principal = svc.authenticate(request.headers.get("Authorization"))
    except GraphFailure as failure:
        reply = failure_reply(failure, ctx.request_id, ctx.client_request_id)
        reply.headers["WWW-Authenticate"] = 'Bearer realm="", error="invalid_token"'
        return to_response(reply)
    ctx.app_id = principal.app_id
    ctx.subject = principal.subject
    call = GraphCall(
        method=request.method,
        path="/" + request.match_info["tail"],
        query=dict(request.query),
        headers={k.lower(): v for k, v in request.headers.items()},
        body=body,
        principal=principal,
        request_id=ctx.request_id,
        client_request_id=ctx.client_request_id,
    )
    delay, ctx.pending_delay = ctx.pending_delay, 0.0
    return to_response(await svc.dispatch(call, delay))
