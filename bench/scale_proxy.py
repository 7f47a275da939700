"""A round-robin HTTP proxy on loopback, standing in for the load balancer in front of
several ``mailroom serve`` replicas.

``python -m bench.scale_proxy --port P --backend http://127.0.0.1:A --backend ...``

Every request goes to the next backend in turn (whatever its path or conversation: no
stickiness, the strictest a balancer can be for a bot that keeps its state in the store),
with its method, path, query, headers and body; the answer comes back as it is. Kept
deliberately small: it is the benchmark's balancer, not a product.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import aiohttp
from aiohttp import web
from multidict import CIMultiDict

from bench.procs import BotProcess, Process, free_port, ready_on

# Hop-by-hop headers (RFC 9110 §7.6.1) belong to one connection, not to the message; the
# length and encoding are set again by whoever writes the body next.
_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
        "content-encoding",
    }
)


class RoundRobin:
    """The backends in turn, starting with the first."""

    def __init__(self, backends: Sequence[str]) -> None:
        if not backends:
            raise ValueError("a proxy needs at least one backend")
        self.backends = tuple(b.rstrip("/") for b in backends)
        self._next = itertools.cycle(self.backends)

    def next(self) -> str:
        return next(self._next)


def forwardable(headers: Mapping[str, str]) -> CIMultiDict[str]:
    """``headers`` without the hop-by-hop ones (repeated headers kept)."""
    return CIMultiDict((k, v) for k, v in headers.items() if k.lower() not in _HOP)


def make_app(backends: Sequence[str]) -> web.Application:
    ring = RoundRobin(backends)
    app = web.Application(client_max_size=64 * 1024 * 1024)
    sessions: list[aiohttp.ClientSession] = []

    async def open_session(_: web.Application) -> None:
        connector = aiohttp.TCPConnector(limit=0)
        timeout = aiohttp.ClientTimeout(total=120)
        sessions.append(
            aiohttp.ClientSession(connector=connector, timeout=timeout, auto_decompress=False)
        )

    async def close_session(_: web.Application) -> None:
        for session in sessions:
            await session.close()

    async def forward(request: web.Request) -> web.StreamResponse:
        target = ring.next() + request.rel_url.path_qs
        body = await request.read()
        try:
            async with sessions[0].request(
                request.method,
                target,
                headers=forwardable(request.headers),
                data=body,
                allow_redirects=False,
            ) as answer:
                payload = await answer.read()
                return web.Response(
                    status=answer.status, body=payload, headers=forwardable(answer.headers)
                )
        except (aiohttp.ClientError, TimeoutError) as exc:
            # What a balancer answers when its backend is unreachable.
            return web.Response(status=502, text=f"backend unreachable: {type(exc).__name__}")

    app.on_startup.append(open_session)
    app.on_cleanup.append(close_session)
    app.router.add_route("*", "/{tail:.*}", forward)
    return app


def start_proxy(backends: Sequence[BotProcess], log: Path) -> BotProcess:
    """The proxy as its own process in front of ``backends``, once its ``/readyz`` (the
    first backend's, forwarded) answers 200."""
    port = free_port()
    argv = [sys.executable, "-m", "bench.scale_proxy", "--port", str(port)]
    for backend in backends:
        argv += ["--backend", backend.url]
    return ready_on(Process("proxy", argv, log), port)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale_proxy")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--backend", action="append", required=True, help="repeat per backend")
    args = parser.parse_args(argv)
    web.run_app(
        make_app(args.backend), host="127.0.0.1", port=args.port, print=None, access_log=None
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
