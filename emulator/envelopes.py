"""Microsoft's error bodies: Graph's ``{"error": {"code", "message", "innerError"}}`` and
Entra ID's AADSTS token-endpoint errors."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

# Graph's own messages for the codes Mailroom meets.
MSG_SEND_AS_DENIED = (
    "The user account which was used to submit this request does not have the right to send "
    "mail on behalf of the specified sending account., Cannot submit message."
)
MSG_ACCESS_DENIED = "Access is denied. Check credentials and try again."
MSG_MAILBOX_CONCURRENCY = "Application is over its MailboxConcurrency limit."
MSG_NOT_ENABLED_FOR_REST = "The mailbox is either inactive, soft-deleted, or is hosted on-premise."
MSG_ITEM_NOT_FOUND = "The specified object was not found in the store."


class GraphFailure(Exception):
    """Raised inside handlers; turned into Graph's error envelope at the HTTP edge."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def new_request_id() -> str:
    return str(uuid.uuid4())


def graph_error_body(
    code: str, message: str, request_id: str, client_request_id: str | None
) -> dict[str, Any]:
    return {
        "error": {
            "code": code,
            "message": message,
            "innerError": {
                "date": now_iso(),
                "request-id": request_id,
                "client-request-id": client_request_id or request_id,
            },
        }
    }


def aad_error_body(
    error: str,
    aadsts: int,
    description: str,
    *,
    trace_id: str,
    correlation_id: str,
    suberror: str | None = None,
) -> dict[str, Any]:
    timestamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    body: dict[str, Any] = {
        "error": error,
        "error_description": (
            f"AADSTS{aadsts}: {description} Trace ID: {trace_id} "
            f"Correlation ID: {correlation_id} Timestamp: {timestamp}"
        ),
        "error_codes": [aadsts],
        "timestamp": timestamp,
        "trace_id": trace_id,
        "correlation_id": correlation_id,
        "error_uri": f"https://login.microsoftonline.com/error?code={aadsts}",
    }
    if suberror:
        body["suberror"] = suberror
    return body


def new_message_id() -> str:
    return "AAMkAD" + secrets.token_urlsafe(48)
