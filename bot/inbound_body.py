"""Reading an activity off the wire, before anyone is authenticated.

Whatever an unauthenticated client sends costs at most a bounded read and ends in a 4xx
with a short JSON body and one WARNING line, never a 5xx or a traceback:

==============================================  ======  =====================================
what arrives                                    status  why
==============================================  ======  =====================================
a media type other than ``application/json``    415     Bot Framework posts JSON activities
a charset other than UTF-8                      415     JSON between systems is UTF-8 (RFC 8259
                                                        §8.1); an unknown codec name is refused
                                                        before any decoder is looked up
a ``Content-Encoding`` other than ``identity``  415     the channel does not compress; nothing
                                                        is decompressed (no zip bombs)
more than ``max_bytes`` (declared or sent)      413     an activity is small; the size is checked
                                                        as chunks arrive, never buffered past it
a body not complete within ``read_seconds``     408     a client trickling bytes holds no
                                                        handler for longer (connection closed)
invalid UTF-8, not JSON, ``NaN``/``Infinity``,  400     strict JSON only: non-finite numbers
numbers out of range                                    would not survive being stored or sent
nesting deeper than ``max_depth``               400     no recursion on hostile structure later
==============================================  ======  =====================================

Logged values are labels of ours or short, escaped excerpts (bot/logs.py escapes control
characters), never the body.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
from dataclasses import dataclass
from typing import Any

from aiohttp import web

logger = logging.getLogger("mailroom.activity")

_JSON = "application/json"
_UTF8 = frozenset({"utf-8", "utf8"})


@dataclass(frozen=True)
class BodyLimits:
    """How much an unauthenticated request may cost. ``read_seconds`` bounds the whole
    body read, well inside the 15 s the Bot Service waits for an answer; ``max_bytes`` can
    only tighten the application's ``client_max_size``, which aiohttp enforces as it reads."""

    max_bytes: int = 256 * 1024
    read_seconds: float = 10.0
    max_depth: int = 64


@dataclass(frozen=True)
class Refusal:
    """Why a body was not read as an activity: the status and message the client gets, the
    reason the log gets."""

    status: int
    message: str
    reason: str

    def response(self) -> web.Response:
        response = web.json_response({"error": self.message}, status=self.status)
        if self.status in (408, 413):
            response.force_close()  # the rest of the body is not worth reading
        return response


async def read_activity(request: web.Request, limits: BodyLimits) -> Any | Refusal:
    """The parsed JSON body, or the refusal to answer (already logged, one WARNING)."""
    refusal = _header_problem(request, limits) or await _body(request, limits)
    if isinstance(refusal, Refusal):
        logger.warning("activity refused before authentication: %s", refusal.reason)
    return refusal


def _header_problem(request: web.Request, limits: BodyLimits) -> Refusal | None:
    if request.content_type != _JSON:
        return Refusal(415, "The body must be application/json.", _label(request.content_type))
    charset = request.charset
    if charset is not None and charset.lower() not in _UTF8:
        return Refusal(415, "The body must be UTF-8 JSON.", f"charset {_label(charset)}")
    encoding = request.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        return Refusal(415, "Compressed bodies are not accepted.", f"encoding {_label(encoding)}")
    length = request.content_length
    if length is not None and length > limits.max_bytes:
        return Refusal(413, "The activity is too large.", f"{length} bytes declared")
    return None


async def _body(request: web.Request, limits: BodyLimits) -> Any | Refusal:
    try:
        async with asyncio.timeout(limits.read_seconds):
            # aiohttp stops at the app's client_max_size as the chunks arrive, and keeps the
            # bytes for the SDK's adapter, which reads the body again.
            raw = await request.read()
    except TimeoutError:
        return Refusal(408, "The body did not arrive in time.", "body read deadline passed")
    except web.HTTPRequestEntityTooLarge:
        return Refusal(413, "The activity is too large.", "body beyond the size limit")
    except (web.RequestPayloadError, web.HTTPException, ConnectionError, ValueError) as error:
        return Refusal(400, "The body could not be read.", type(error).__name__)
    if len(raw) > limits.max_bytes:
        return Refusal(413, "The activity is too large.", f"more than {limits.max_bytes} bytes")
    try:
        text = raw.decode("utf-8")
        body = json.loads(text, parse_constant=_no_constant, parse_float=_finite_float)
    except UnicodeDecodeError:
        return Refusal(400, "The body must be UTF-8 JSON.", "invalid UTF-8")
    except RecursionError:
        return Refusal(400, "The activity is nested too deeply.", "nesting beyond the parser")
    except ValueError as error:  # JSONDecodeError, NaN/Infinity, oversized integers
        return Refusal(
            400, "The body must be a JSON activity.", f"not JSON ({type(error).__name__})"
        )
    if _deeper_than(body, limits.max_depth):
        return Refusal(400, "The activity is nested too deeply.", f"deeper than {limits.max_depth}")
    return body


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("number out of range")
    return value


def _deeper_than(value: Any, limit: int) -> bool:
    """Iterative, so the check itself never recurses."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def _label(value: str) -> str:
    return value[:40] or "none"
