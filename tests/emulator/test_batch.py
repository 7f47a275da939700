"""JSON $batch: limits, duplicate ids, dependsOn and 424."""

from __future__ import annotations

import httpx
from emu_helpers import Tokens, bearer, mail

from emulator.testing import RunningEmulator

JSON = {"Content-Type": "application/json"}


def _send_item(item_id: str, mailbox: str = "support@contoso.com", **extra: object) -> dict:
    return {
        "id": item_id,
        "method": "POST",
        "url": f"/users/{mailbox}/sendMail",
        "headers": JSON,
        "body": mail(item_id),
        **extra,
    }


def test_batch_runs_each_request_and_answers_in_order(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    requests = [
        _send_item("1"),
        {"id": "2", "method": "GET", "url": "/users/adele.vance@contoso.com?$select=displayName"},
        _send_item("3", mailbox="nobody@contoso.com"),
    ]

    answer = https.post("/v1.0/$batch", headers=bearer(tokens.app()), json={"requests": requests})

    assert answer.status_code == 200
    responses = answer.json()["responses"]
    assert [(r["id"], r["status"]) for r in responses] == [("1", 202), ("2", 200), ("3", 404)]
    assert responses[1]["body"]["displayName"] == "Adele Vance"
    assert responses[2]["body"]["error"]["code"] == "ErrorInvalidUser"
    assert len(emulator.control.mailbox("support@contoso.com", "sentitems")) == 1


def test_more_than_20_requests_is_a_400(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    requests = [_send_item(str(n)) for n in range(21)]

    answer = https.post("/v1.0/$batch", headers=bearer(tokens.app()), json={"requests": requests})

    assert answer.status_code == 400
    assert emulator.control.mailbox("support@contoso.com", "sentitems") == []


def test_twenty_requests_are_fine(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    emulator.control.set_message_rate(1000)
    requests = [_send_item(str(n)) for n in range(20)]

    answer = https.post("/v1.0/$batch", headers=bearer(tokens.app()), json={"requests": requests})

    assert {r["status"] for r in answer.json()["responses"]} == {202}


def test_duplicate_ids_are_a_400(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    answer = https.post(
        "/v1.0/$batch",
        headers=bearer(tokens.app()),
        json={"requests": [_send_item("1"), _send_item("1")]},
    )

    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "BadRequest"


def test_failed_dependency_answers_424_and_is_not_run(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    requests = [
        _send_item("1", mailbox="nobody@contoso.com"),
        _send_item("2", dependsOn=["1"]),
        _send_item("3", dependsOn=["2"]),
    ]

    answer = https.post("/v1.0/$batch", headers=bearer(tokens.app()), json={"requests": requests})

    assert [r["status"] for r in answer.json()["responses"]] == [404, 424, 424]
    assert emulator.control.mailbox("support@contoso.com", "sentitems") == []


def test_depends_on_sequences_the_requests(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    requests = [_send_item("b", dependsOn=["a"]), _send_item("a")]

    answer = https.post("/v1.0/$batch", headers=bearer(tokens.app()), json={"requests": requests})

    assert [r["status"] for r in answer.json()["responses"]] == [202, 202]
    sent = emulator.control.mailbox("support@contoso.com", "sentitems")
    assert [m["subject"] for m in sent] == ["a", "b"]


def test_a_body_without_content_type_is_a_400(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    item = _send_item("1")
    del item["headers"]

    answer = https.post("/v1.0/$batch", headers=bearer(tokens.app()), json={"requests": [item]})

    assert answer.status_code == 400


def test_batch_needs_a_token(emulator: RunningEmulator, https: httpx.Client) -> None:
    answer = https.post("/v1.0/$batch", json={"requests": [_send_item("1")]})

    assert answer.status_code == 401
