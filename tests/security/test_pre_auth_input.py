"""Before anyone is authenticated, nothing a client sends produces a 5xx: a bad charset, a
deep structure, invalid UTF-8, a wrong media type, a compressed, oversized or slow body, a
malformed request — each gets a 4xx with a short body and exactly one WARNING line, never a
traceback. Then a hypothesis fuzz of bodies and headers against the app over HTTP: only 4xx.

The app runs with authentication on (an app id), as in production, and with production's
library log filters (bot.logs.install_library_filters, which configure_logging installs).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.app import BODY_LIMITS, create_app
from bot.inbound_body import BodyLimits
from bot.logs import install_library_filters
from emulator.testing import RunningEmulator
from tests.reliability.figures import Figures
from tests.reliability.watch import LogWatch
from tests.security.channel import authenticated_settings
from tests.support.activities import message
from tests.support.servers import http_client, serve

READ_SECONDS = 0.5  # the body-read deadline of the app under test


@dataclass
class Endpoint:
    url: str
    http: httpx.AsyncClient

    async def post(self, body: bytes, headers: dict[str, Any]) -> httpx.Response:
        return await self.http.post(f"{self.url}/api/messages", content=body, headers=headers)


@pytest.fixture
async def endpoint(emulator: RunningEmulator, tmp_path: Path) -> AsyncIterator[Endpoint]:
    install_library_filters()
    app = create_app(authenticated_settings(emulator, tmp_path))
    app[BODY_LIMITS] = BodyLimits(read_seconds=READ_SECONDS)
    async with serve(app) as url, http_client(timeout=20) as http:
        yield Endpoint(url, http)


def activity_bytes(service_url: str = "https://smba.example/emea/") -> bytes:
    return json.dumps(message("/help", service_url)).encode()


def nested(depth: int, *, objects: bool = False) -> bytes:
    if objects:
        return b'{"a":' * depth + b"1" + b"}" * depth
    return b"[" * depth + b"]" * depth


JSON = "application/json"
CASES: dict[str, tuple[int, bytes, dict[str, Any]]] = {
    "unknown charset": (415, activity_bytes(), {"Content-Type": f"{JSON}; charset=x-nope"}),
    "utf-16 charset": (415, activity_bytes(), {"Content-Type": f"{JSON}; charset=utf-16"}),
    "latin-1 charset": (415, activity_bytes(), {"Content-Type": f"{JSON}; charset=latin-1"}),
    "charset without a value": (415, activity_bytes(), {"Content-Type": f"{JSON}; charset"}),
    "invalid utf-8": (400, b'{"type": "message", "text": "\xff\xfe\xc3"}', {"Content-Type": JSON}),
    "utf-8 bom": (400, b"\xef\xbb\xbf" + activity_bytes(), {"Content-Type": JSON}),
    "arrays nested past the parser": (400, nested(100_000), {"Content-Type": JSON}),
    "objects nested past the limit": (400, nested(65, objects=True), {"Content-Type": JSON}),
    "arrays nested past the limit": (400, nested(500), {"Content-Type": JSON}),
    "text/plain": (415, activity_bytes(), {"Content-Type": "text/plain"}),
    "no content type": (415, activity_bytes(), {}),
    "a form": (415, b"type=message", {"Content-Type": "application/x-www-form-urlencoded"}),
    "multipart": (415, activity_bytes(), {"Content-Type": "multipart/form-data; boundary=x"}),
    "gzip": (415, b"\x1f\x8b\x08\x00garbage", {"Content-Type": JSON, "Content-Encoding": "gzip"}),
    "deflate": (415, activity_bytes(), {"Content-Type": JSON, "Content-Encoding": "deflate"}),
    "oversized": (413, b"[" + b"1," * 200_000 + b"1]", {"Content-Type": JSON}),
    "NaN": (400, b'{"type": "message", "value": NaN}', {"Content-Type": JSON}),
    "Infinity": (400, b'{"type": "message", "value": -Infinity}', {"Content-Type": JSON}),
    "number out of range": (400, b'{"type": "message", "value": 1e999}', {"Content-Type": JSON}),
    "huge integer": (400, b'{"type": "message", "value": ' + b"9" * 5000 + b"}", {
        "Content-Type": JSON}),
    "not json": (400, b"{'type': 'message'}", {"Content-Type": JSON}),
    "a json string": (400, b'"message"', {"Content-Type": JSON}),
    "an activity without a conversation": (400, b'{"type": "message"}', {"Content-Type": JSON}),
}  # fmt: skip


def assert_one_warning_and_no_error(log_watch: LogWatch) -> None:
    lines = log_watch.lines()
    warnings = [line for line in lines if line.level == logging.WARNING]
    errors = [line.text for line in lines if line.level >= logging.ERROR or line.has_traceback]
    assert errors == []
    assert len(warnings) == 1, [line.text for line in warnings]


def assert_short_error(response: httpx.Response) -> None:
    assert len(response.content) < 200, response.text
    assert response.json()["error"]


@pytest.mark.parametrize("case", list(CASES))
async def test_each_bad_body_before_authentication_gets_a_4xx_and_one_warning(
    endpoint: Endpoint, log_watch: LogWatch, figures: Figures, case: str
) -> None:
    status, body, headers = CASES[case]
    response = await endpoint.post(body, headers)
    figures.bad_input("pre-auth body", answered=response.status_code == status)
    assert response.status_code == status, response.text
    assert_short_error(response)
    assert_one_warning_and_no_error(log_watch)


async def test_a_chunked_body_past_the_limit_is_refused_as_it_arrives(
    endpoint: Endpoint, log_watch: LogWatch, figures: Figures
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"["
        for _ in range(400):
            yield b"1," * 1000

    response = await endpoint.http.post(
        f"{endpoint.url}/api/messages", content=chunks(), headers={"Content-Type": JSON}
    )
    figures.bad_input("pre-auth body", answered=response.status_code == 413)
    assert response.status_code == 413
    assert_short_error(response)
    assert_one_warning_and_no_error(log_watch)


async def test_a_body_that_does_not_arrive_in_time_is_refused_with_408(
    endpoint: Endpoint, log_watch: LogWatch, figures: Figures
) -> None:
    """A client that announces a body and trickles it: the handler gives up at the
    deadline, answers 408 and closes, whatever the client does next."""
    parts = urlsplit(endpoint.url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    try:
        writer.write(
            b"POST /api/messages HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\n"
            b'Content-Length: 1000\r\n\r\n{"type": '
        )
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), READ_SECONDS * 20)
        status_line, *fields = head.decode("latin-1").split("\r\n")
        length = next(
            int(f.split(":")[1]) for f in fields if f.lower().startswith("content-length")
        )
        rest = await asyncio.wait_for(reader.readexactly(length), READ_SECONDS * 20)
    finally:
        writer.close()
    figures.bad_input("pre-auth body", answered=" 408 " in status_line)
    assert " 408 " in status_line, head
    assert "connection: close" in head.decode("latin-1").lower()
    assert json.loads(rest)["error"]
    assert_one_warning_and_no_error(log_watch)


@pytest.mark.parametrize(
    "raw_header",
    [b"X-Odd: \x7f", b"Content-Type: \x01", b"X-Line: " + b"a" * 20_000],
    ids=["DEL in a header", "control character in the media type", "header line too long"],
)
async def test_a_malformed_request_gets_400_and_one_warning(
    endpoint: Endpoint, log_watch: LogWatch, figures: Figures, raw_header: bytes
) -> None:
    parts = urlsplit(endpoint.url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    try:
        writer.write(
            b"POST /api/messages HTTP/1.1\r\nHost: bot\r\n" + raw_header + b"\r\n"
            b"Content-Length: 2\r\n\r\n{}"
        )
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), 10)
    finally:
        writer.close()
    status_line = answer.split(b"\r\n", 1)[0]
    figures.bad_input("malformed request", answered=b" 400 " in status_line)
    assert b" 400 " in status_line, answer[:200]
    assert_one_warning_and_no_error(log_watch)


# --- fuzz -----------------------------------------------------------------------------------

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)

visible = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=60)
obs_text = st.binary(max_size=20).map(
    lambda b: bytes(c for c in b if c >= 0x80 or 0x20 <= c < 0x7F)
)
header_values = st.one_of(visible, obs_text)
media_types = st.one_of(
    st.sampled_from([JSON, f"{JSON}; charset=utf-8", f"{JSON}; charset=UTF8", "text/json",
                     f"{JSON}; charset=x-nope", f"{JSON}; charset=", f'{JSON}; charset="utf-8"',
                     f"{JSON};;charset=utf-8;charset=latin-1", "application/json5", "*/*"]),
    header_values,
)  # fmt: skip
json_like = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), visible),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(visible, inner, max_size=3),
    max_leaves=20,
)
bodies = st.one_of(
    st.binary(max_size=300),
    json_like.map(lambda v: json.dumps(v).encode()),
    st.builds(nested, st.integers(1, 3000), objects=st.booleans()),
    st.just(activity_bytes()),
)
optional_headers = st.fixed_dictionaries(
    {"Content-Type": media_types},
    optional={
        "Content-Encoding": st.sampled_from(["gzip", "br", "identity", "x-zip", ""]) | visible,
        "Authorization": st.sampled_from(["Bearer", "Bearer x.y.z", "Basic Zm9vOmJhcg=="])
        | visible,
        "Transfer-Encoding": st.just("chunked"),
        "X-Anything": header_values,
    },
)


@FUZZ
@given(body=bodies, headers=optional_headers)
@example(body=activity_bytes(), headers={"Content-Type": f"{JSON}; charset=x-nope"})
@example(body=nested(100_000), headers={"Content-Type": JSON})
@example(body=b"\x1f\x8b\x08\x00", headers={"Content-Type": JSON, "Content-Encoding": "gzip"})
@example(body=activity_bytes(), headers={"Content-Type": JSON, "Authorization": "Bearer a.b.c"})
async def test_any_body_and_headers_without_a_valid_token_get_only_a_4xx(
    endpoint: Endpoint, log_watch: LogWatch, figures: Figures, body: bytes, headers: dict[str, Any]
) -> None:
    mark = len(log_watch.lines())
    if headers.get("Transfer-Encoding") == "chunked":
        headers = {k: v for k, v in headers.items() if k != "Transfer-Encoding"}

        async def once() -> AsyncIterator[bytes]:
            yield body

        response = await endpoint.http.post(
            f"{endpoint.url}/api/messages", content=once(), headers=headers
        )
    else:
        response = await endpoint.post(body, headers)
    figures.bad_input("fuzzed request", answered=400 <= response.status_code < 500)
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:200])
    new = log_watch.lines()[mark:]
    assert [line.text for line in new if line.level >= logging.ERROR or line.has_traceback] == []
