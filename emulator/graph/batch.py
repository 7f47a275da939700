"""JSON ``$batch``: at most 20 requests, ids unique, ``dependsOn`` sequencing (a failed
dependency answers 424), at most 4 items run at once (as Outlook does); answers in request
order."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from emulator.envelopes import GraphFailure, graph_error_body
from emulator.graph.core import GraphCall, GraphReply, GraphService, Params

MAX_REQUESTS = 20
PARALLEL = 4
Json = dict[str, Any]


def _validate(payload: Any) -> list[Json]:
    requests = payload.get("requests") if isinstance(payload, dict) else None
    if not isinstance(requests, list) or not requests:
        raise GraphFailure(400, "BadRequest", "Invalid batch payload format.")
    if len(requests) > MAX_REQUESTS:
        raise GraphFailure(
            400,
            "BadRequest",
            f"Number of batch request steps exceeds the maximum of {MAX_REQUESTS}.",
        )
    ids: list[str] = []
    for item in requests:
        if (
            not isinstance(item, dict)
            or not item.get("id")
            or not item.get("method")
            or not item.get("url")
        ):
            raise GraphFailure(
                400, "BadRequest", "Each batch request needs an id, a method and a url."
            )
        ids.append(str(item["id"]))
    if len(set(ids)) != len(ids):
        raise GraphFailure(400, "BadRequest", "Batch request contains duplicate request ids.")
    for item in requests:
        for dep in _depends_on(item):
            if dep not in ids:
                raise GraphFailure(
                    400, "BadRequest", f"Request {item['id']} depends on unknown request {dep}."
                )
        body = item.get("body")
        headers = {str(k).lower(): str(v) for k, v in (item.get("headers") or {}).items()}
        if body is not None and "content-type" not in headers:
            raise GraphFailure(
                400,
                "BadRequest",
                f"Request {item['id']}: Content-Type header must be specified for a request "
                "with a body.",
            )
    return requests


def _depends_on(item: Json) -> list[str]:
    deps = item.get("dependsOn") or []
    return [str(d) for d in deps] if isinstance(deps, list) else []


async def batch(svc: GraphService, call: GraphCall, _params: Params) -> GraphReply:
    requests = _validate(call.json())
    done: dict[str, asyncio.Future[GraphReply]] = {
        str(item["id"]): asyncio.get_running_loop().create_future() for item in requests
    }
    gate = asyncio.Semaphore(PARALLEL)

    async def run(item: Json) -> None:
        item_id = str(item["id"])
        try:
            for dep in _depends_on(item):
                reply = await done[dep]
                if reply.status >= 400:
                    done[item_id].set_result(
                        GraphReply(
                            424,
                            graph_error_body(
                                "FailedDependency",
                                f"The request depends on request {dep}, which failed.",
                                call.request_id,
                                call.client_request_id,
                            ),
                        )
                    )
                    return
            async with gate:
                done[item_id].set_result(await _one(svc, call, item))
        except Exception as exc:  # a bug here must not hang the other items
            if not done[item_id].done():
                done[item_id].set_exception(exc)
            raise

    await asyncio.gather(*(run(item) for item in requests))
    responses = []
    for item in requests:
        reply = done[str(item["id"])].result()
        entry: Json = {"id": str(item["id"]), "status": reply.status, "headers": reply.headers}
        if reply.body is not None:
            entry["body"] = reply.body
            entry["headers"] = {**reply.headers, "Content-Type": "application/json"}
        responses.append(entry)
    return GraphReply(200, {"responses": responses})


async def _one(svc: GraphService, outer: GraphCall, item: Json) -> GraphReply:
    url = str(item["url"])
    parts = urlsplit(url if url.startswith("/") else "/" + url)
    path = parts.path
    if path.lower().startswith("/v1.0/"):
        path = path[5:]
    body = item.get("body")
    raw = b"" if body is None else json.dumps(body).encode()
    headers = {str(k).lower(): str(v) for k, v in (item.get("headers") or {}).items()}
    sub = GraphCall(
        method=str(item["method"]).upper(),
        path=path,
        query=dict(parse_qsl(parts.query)),
        headers=headers,
        body=raw,
        principal=outer.principal,
        request_id=outer.request_id,
        client_request_id=outer.client_request_id,
    )
    delay = svc.state.latency.delay_for("/v1.0" + path)
    return await svc.dispatch(sub, delay)


def register(svc: GraphService) -> None:
    svc.add("POST", "/$batch", batch)
