"""Shared helpers for the client tests. Unit tests talk to ``httpx.MockTransport`` handlers that
answer with Graph's and Exchange's real wire formats; integration tests use the emulator."""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine

import httpx

GRAPH = "https://graph.test/v1.0"

Handler = Callable[[httpx.Request], Coroutine[None, None, httpx.Response]]


class FixedTokens:
    """A ``TokenProvider`` for MockTransport tests: the token names who asked for what."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []

    async def app_token(self, resource: str) -> str:
        self.calls.append(("app", resource))
        return f"app-token-for-{resource}"

    async def user_token(self, user_oid: str, sso_token: str | None, resource: str) -> str:
        self.calls.append(("user", user_oid, resource))
        return f"user-token-{user_oid}"

    async def forget_user(self, user_oid: str) -> None:
        self.calls.append(("forget", user_oid))


class SleepRecorder:
    """Records each wait the client asks for and returns at once."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def graph_error(
    status: int, code: str, message: str = "", *, headers: dict[str, str] | None = None
) -> httpx.Response:
    body = {
        "error": {
            "code": code,
            "message": message or f"{code} happened",
            "innerError": {
                "date": "2026-11-26T10:00:00",
                "request-id": f"req-{code}",
                "client-request-id": "echoed",
            },
        }
    }
    return httpx.Response(status, content=json.dumps(body).encode(), headers=headers or {})


async def mark_written(request: httpx.Request) -> None:
    """What httpcore reports once the request body is on the wire."""
    trace = request.extensions.get("trace")
    if trace is not None:
        await trace("http11.send_request_body.complete", {"return_value": None})
