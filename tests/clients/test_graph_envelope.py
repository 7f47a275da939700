"""Graph's error envelope becomes the typed exception Mailroom branches on."""

from __future__ import annotations

import httpx
import pytest

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
from bot.graph.envelope import UNKNOWN_CODE, error_from_answer, error_from_envelope
from tests.clients.helpers import graph_error


def _error(response: httpx.Response) -> GraphError:
    return error_from_answer(response.status_code, response.headers, response.content)


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (403, "ErrorSendAsDenied", SendAsDenied),
        (403, "ErrorAccessDenied", AccessDenied),
        (400, "ErrorInvalidRecipients", InvalidRecipients),
        (400, "ErrorMessageSizeExceeded", MessageTooLarge),
        (400, "ErrorQuotaExceeded", QuotaExceeded),
        (404, "ErrorItemNotFound", MailboxNotFound),
        (404, "ErrorNonExistentMailbox", MailboxNotFound),
        (400, "ErrorInvalidUser", MailboxNotFound),
        (400, "MailboxNotEnabledForRESTAPI", MailboxNotEnabledForRest),
        (401, "InvalidAuthenticationToken", Unauthorized),
        (429, "TooManyRequests", Throttled),
        (503, "ErrorServerBusy", ServiceUnavailable),
        (504, "GatewayTimeout", ServiceUnavailable),
    ],
)
def test_each_graph_code_maps_to_its_exception_with_ids(
    status: int, code: str, expected: type[GraphError]
) -> None:
    error = _error(graph_error(status, code))

    assert type(error) is expected
    assert (error.status, error.code) == (status, code)
    assert error.request_id == f"req-{code}"
    assert error.client_request_id == "echoed"


def test_unknown_code_falls_back_on_the_status() -> None:
    assert type(_error(graph_error(403, "Authorization_RequestDenied"))) is AccessDenied
    assert type(_error(graph_error(404, "Request_ResourceNotFound"))) is MailboxNotFound
    assert type(_error(graph_error(400, "BadRequest"))) is GraphError


def test_throttled_carries_a_fractional_retry_after() -> None:
    error = _error(graph_error(429, "TooManyRequests", headers={"Retry-After": "1.5"}))

    assert isinstance(error, Throttled)
    assert error.retry_after == 1.5


def test_request_id_comes_from_the_header_when_the_body_is_not_an_envelope() -> None:
    response = httpx.Response(
        502, content=b"<html>Bad gateway</html>", headers={"request-id": "from-header"}
    )
    error = error_from_answer(
        response.status_code, response.headers, response.content, sent_client_request_id="mine"
    )

    assert error.code == UNKNOWN_CODE
    assert error.request_id == "from-header"
    assert error.client_request_id == "mine"
    assert "Bad gateway" in error.message


def test_a_batch_item_error_is_typed_like_a_direct_answer() -> None:
    item = {
        "headers": {"Retry-After": "3"},
        "body": {"error": {"code": "ErrorSendAsDenied", "message": "no right"}},
    }

    error = error_from_envelope(403, item)

    assert isinstance(error, SendAsDenied)
    assert error_from_envelope(429, item).retry_after == 3  # type: ignore[attr-defined]
