"""Run aiohttp applications on a free loopback port for a test, over real HTTP."""

from __future__ import annotations

import socket
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache
from typing import Any

import httpx
from aiohttp import web


@asynccontextmanager
async def serve(app: web.Application, host: str = "127.0.0.1") -> AsyncIterator[str]:
    """Start ``app`` on ``host`` and a free port; yield its base URL."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


@cache
def _client_tls() -> ssl.SSLContext:
    return ssl.create_default_context()


def http_client(**kwargs: Any) -> httpx.AsyncClient:
    """An httpx client for a bot's plain-HTTP port. Unless given one, httpx builds a TLS
    context (reading a whole CA bundle) for every client; these clients share one."""
    return httpx.AsyncClient(verify=_client_tls(), **kwargs)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ConnectorStandIn:
    """The smallest Bot Connector: records what the bot posts and answers with ids."""

    def __init__(self) -> None:
        self.posted: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.app = web.Application()
        self.app.router.add_post("/v3/conversations/{cid}/activities", self._post)
        self.app.router.add_post("/v3/conversations/{cid}/activities/{aid}", self._post)
        self.app.router.add_put("/v3/conversations/{cid}/activities/{aid}", self._post)

    async def _post(self, request: web.Request) -> web.Response:
        self.posted.append(await request.json())
        self.headers.append(dict(request.headers))
        return web.json_response({"id": f"reply-{len(self.posted)}"})
