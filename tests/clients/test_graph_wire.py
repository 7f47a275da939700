"""The phase classification over real TLS sockets: a tiny asyncio server misbehaves in the two
ways that matter, and ``attempt`` must tell them apart."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest
import trustme

from bot.graph.wire import Answer, NoAnswer, attempt
from bot.netclient import Timeouts, build_http_client

Behaviour = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> Path:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


async def _serve(behaviour: Behaviour, tls: ssl.SSLContext | None) -> asyncio.Server:
    return await asyncio.start_server(behaviour, "127.0.0.1", 0, ssl=tls)


@pytest.fixture
async def http(ca_file: Path) -> AsyncIterator[httpx.AsyncClient]:
    client = build_http_client(ca_file, Timeouts(connect=2, read=2, total=5))
    yield client
    await client.aclose()


def _server_tls(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    return context


async def _read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    return head + await reader.readexactly(length)


async def _call(http: httpx.AsyncClient, port: int) -> Answer | NoAnswer:
    return await attempt(
        http,
        "POST",
        f"https://127.0.0.1:{port}/v1.0/users/a@contoso.com/sendMail",
        headers={"Authorization": "Bearer t"},
        json={"message": {"subject": "s"}},
        http_timeouts=httpx.Timeout(2.0),
        deadline_in=5.0,
    )


async def test_a_connection_closed_before_tls_is_not_sent(http: httpx.AsyncClient) -> None:
    async def close_at_once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    server = await _serve(close_at_once, tls=None)
    port = server.sockets[0].getsockname()[1]
    async with server:
        result = await _call(http, port)

    assert isinstance(result, NoAnswer)
    assert result.sent == "not"


async def test_a_connection_dropped_after_reading_the_request_is_maybe_sent(
    http: httpx.AsyncClient, ca: trustme.CA
) -> None:
    received: list[bytes] = []

    async def read_then_drop(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        received.append(await _read_request(reader))
        writer.transport.abort()

    server = await _serve(read_then_drop, tls=_server_tls(ca))
    port = server.sockets[0].getsockname()[1]
    async with server:
        result = await _call(http, port)

    assert isinstance(result, NoAnswer)
    assert result.sent == "maybe"
    assert b'"subject"' in received[0]
    assert b"client-request-id: " + result.client_request_id.encode() in received[0]


async def test_an_answer_is_returned_with_the_id_that_was_sent(
    http: httpx.AsyncClient, ca: trustme.CA
) -> None:
    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.write(b"HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\nrequest-id: r1\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await _serve(accept, tls=_server_tls(ca))
    port = server.sockets[0].getsockname()[1]
    async with server:
        result = await _call(http, port)

    assert isinstance(result, Answer)
    assert result.response.status_code == 202
    assert result.response.headers["request-id"] == "r1"


async def test_a_server_certificate_from_an_unknown_ca_is_refused_before_sending(
    ca: trustme.CA,
) -> None:
    other = trustme.CA()

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    server = await _serve(accept, tls=_server_tls(other))
    port = server.sockets[0].getsockname()[1]
    client = build_http_client(None, Timeouts(connect=2, read=2, total=5))
    async with server:
        result = await _call(client, port)
    await client.aclose()

    assert isinstance(result, NoAnswer)
    assert result.sent == "not"
    assert "CERTIFICATE_VERIFY_FAILED" in result.reason
