"""One HTTP attempt, and an honest account of how far it got.

httpx's exceptions alone cannot say whether the server could have acted on a request: a
``RemoteProtocolError`` looks the same whether the server closed before reading or after
processing. httpcore's ``trace`` extension can: it reports when the request body has been
completely written. So a failure is classified by phase:

* before the request was completely written (no connection, TLS failed, pool timeout, write
  failed) → ``sent="not"``;
* after it was written (read timeout, connection dropped, total deadline hit while waiting)
  → ``sent="maybe"``.

This module is the one boundary where httpx's exceptions become data.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import httpx


@dataclass(frozen=True)
class Answer:
    """The server answered (any status). The body has been read."""

    response: httpx.Response
    client_request_id: str


@dataclass(frozen=True)
class NoAnswer:
    """No HTTP answer; ``sent`` says whether the server could have received the request."""

    sent: Literal["not", "maybe"]
    reason: str
    client_request_id: str


class _Progress:
    __slots__ = ("written",)

    def __init__(self) -> None:
        self.written = False

    async def trace(self, event: str, _info: Mapping[str, Any]) -> None:
        if event.endswith("send_request_body.complete"):
            self.written = True


async def attempt(
    http: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    headers: Mapping[str, str],
    http_timeouts: httpx.Timeout,
    deadline_in: float,
    json: Any = None,
    content: bytes | None = None,
    query: str | None = None,
) -> Answer | NoAnswer:
    """Send one request with a fresh ``client-request-id`` and read the whole answer.

    ``deadline_in`` bounds the attempt as a whole (httpx's own timeouts are per operation).
    ``query`` is an already-encoded query string (OData wants ``%20``, not ``+``).
    """
    client_request_id = str(uuid.uuid4())
    progress = _Progress()
    request_headers = {
        **headers,
        "client-request-id": client_request_id,
        "return-client-request-id": "true",
    }
    target = f"{url}?{query}" if query else url
    try:
        async with asyncio.timeout(max(deadline_in, 0.001)):
            response = await http.request(
                method,
                target,
                headers=request_headers,
                json=json,
                content=content,
                timeout=http_timeouts,
                extensions={"trace": progress.trace},
            )
    except TimeoutError:
        return _no_answer(progress, "the call's total time ran out", client_request_id)
    except httpx.RequestError as exc:
        return _no_answer(progress, f"{type(exc).__name__}: {exc}", client_request_id)
    return Answer(response, client_request_id)


def _no_answer(progress: _Progress, reason: str, client_request_id: str) -> NoAnswer:
    if progress.written:
        return NoAnswer("maybe", f"{reason} (after the request was written)", client_request_id)
    return NoAnswer("not", f"{reason} (before the request was written)", client_request_id)
