"""Graph's error envelope → the ``GraphError`` subclasses of ``bot.errors``.

This is the one place a Graph error answer is read. The envelope is
``{"error": {"code", "message", "innerError": {"request-id", "client-request-id", "date"}}}``;
callers branch on the resulting type and ``code``, never on ``message``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx

from bot.errors import (
    AccessDenied,
    GraphError,
    InvalidRecipients,
    MailboxNotEnabledForRest,
    MailboxNotFound,
    MessageTooLarge,
    QuotaExceeded,
    SendAsDenied,
    ServiceUnavailable,
    Throttled,
    Unauthorized,
)
from bot.netclient import parse_retry_after

_BY_CODE: Mapping[str, type[GraphError]] = {
    "ErrorSendAsDenied": SendAsDenied,
    "ErrorAccessDenied": AccessDenied,
    "ErrorInvalidRecipients": InvalidRecipients,
    "ErrorMessageSizeExceeded": MessageTooLarge,
    "ErrorQuotaExceeded": QuotaExceeded,
    "ErrorInvalidUser": MailboxNotFound,
    "ErrorNonExistentMailbox": MailboxNotFound,
    "ErrorItemNotFound": MailboxNotFound,
    "MailboxNotEnabledForRESTAPI": MailboxNotEnabledForRest,
    "InvalidAuthenticationToken": Unauthorized,
}

# When the code is not one Mailroom acts on, the status still says what kind of failure it is.
_BY_STATUS: Mapping[int, type[GraphError]] = {
    401: Unauthorized,
    403: AccessDenied,
    404: MailboxNotFound,
}

UNKNOWN_CODE = "UnknownError"


def error_from_answer(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    sent_client_request_id: str | None = None,
) -> GraphError:
    """The typed error for a Graph answer with status >= 400.

    ``headers`` must be case-insensitive (``httpx.Headers``). ``request_id`` comes from the
    envelope's ``innerError`` or else the ``request-id`` header; ``client_request_id`` from the
    envelope, the header, or the id the client sent.
    """
    code, message, inner = _read_envelope(body)
    request_id = _str(inner.get("request-id")) or headers.get("request-id")
    client_request_id = (
        _str(inner.get("client-request-id"))
        or headers.get("client-request-id")
        or sent_client_request_id
    )
    retry_after = parse_retry_after(headers.get("retry-after"))

    cls: type[GraphError]
    if status == 429:
        cls = Throttled
    elif status in (503, 504):
        cls = ServiceUnavailable
    else:
        cls = _BY_CODE.get(code) or _BY_STATUS.get(status, GraphError)
    return cls(
        status,
        code,
        message,
        request_id=request_id,
        client_request_id=client_request_id,
        retry_after=retry_after,
    )


def error_from_envelope(status: int, envelope: Mapping[str, Any]) -> GraphError:
    """The typed error for one ``$batch`` item (its body is already parsed JSON)."""
    raw_headers = envelope.get("headers") or {}
    headers = httpx.Headers({str(k): str(v) for k, v in raw_headers.items()})
    body = json.dumps(envelope.get("body") or {}).encode()
    return error_from_answer(status, headers, body)


def _read_envelope(body: bytes) -> tuple[str, str, Mapping[str, Any]]:
    try:
        data = json.loads(body) if body else None
    except (ValueError, UnicodeDecodeError):
        data = None
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        snippet = body[:200].decode("utf-8", "replace") if body else ""
        return UNKNOWN_CODE, snippet, {}
    inner = error.get("innerError") or error.get("innererror") or {}
    return (
        _str(error.get("code")) or UNKNOWN_CODE,
        _str(error.get("message")) or "",
        inner if isinstance(inner, dict) else {},
    )


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
