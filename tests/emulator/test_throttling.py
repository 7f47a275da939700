"""Outlook throttling per app per mailbox: concurrency, message rate, request budget; latency."""

from __future__ import annotations

import asyncio

import httpx
from emu_helpers import Tokens, bearer, mail

from emulator.testing import RunningEmulator

SEND = "/v1.0/users/support@contoso.com/sendMail"


async def _burst(emu: RunningEmulator, token: str, paths: list[str]) -> list[httpx.Response]:
    async with httpx.AsyncClient(
        base_url=emu.base_url, verify=emu.ssl_context(), timeout=10
    ) as client:
        return await asyncio.gather(
            *(
                client.post(p, headers=bearer(token), json=mail(f"burst {n}"))
                for n, p in enumerate(paths)
            )
        )


async def test_fifth_concurrent_request_to_a_mailbox_gets_exactly_one_429(
    emulator: RunningEmulator, tokens: Tokens
) -> None:
    emulator.control.set_latency(fixed_ms=600, path_pattern="/v1.0/users/*/sendMail")

    answers = await _burst(emulator, tokens.app(), [SEND] * 5)

    statuses = sorted(a.status_code for a in answers)
    assert statuses == [202, 202, 202, 202, 429]
    (throttled,) = [a for a in answers if a.status_code == 429]
    assert throttled.json()["error"]["code"] == "ApplicationThrottled"
    assert (
        throttled.json()["error"]["message"] == "Application is over its MailboxConcurrency limit."
    )
    assert float(throttled.headers["Retry-After"]) > 0
    assert len(emulator.control.mailbox("support@contoso.com", "sentitems")) == 4


async def test_concurrency_is_counted_per_mailbox(
    emulator: RunningEmulator, tokens: Tokens
) -> None:
    emulator.control.set_latency(fixed_ms=400, path_pattern="/v1.0/users/*/sendMail")

    answers = await _burst(
        emulator, tokens.app(), [SEND] * 4 + ["/v1.0/users/hr@contoso.com/sendMail"]
    )

    assert {a.status_code for a in answers} == {202}


async def test_a_delay_fault_also_holds_its_concurrency_slot(
    emulator: RunningEmulator, tokens: Tokens
) -> None:
    emulator.control.add_fault("POST", SEND, "delay", count=5, delay=0.6)

    answers = await _burst(emulator, tokens.app(), [SEND] * 5)

    assert sorted(a.status_code for a in answers) == [202, 202, 202, 202, 429]


def test_a_message_over_the_rate_is_accepted_and_its_delivery_carried_over(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    emulator.control.set_message_rate(3)
    headers = bearer(tokens.app())

    answers = [https.post(SEND, headers=headers, json=mail(f"m{n}")) for n in range(4)]

    assert [a.status_code for a in answers] == [202, 202, 202, 202]
    record = emulator.control.transport()["record"]
    assert [r["outcome"] for r in record] == ["delivered"] * 3 + ["pending"]
    assert record[3]["delivered_at"] is None  # held for the next minute, not refused
    inbox = emulator.control.mailbox("johanna.lorenz@contoso.com", "inbox")
    assert sorted(m["subject"] for m in inbox) == ["m0", "m1", "m2"]
    assert len(emulator.control.mailbox("support@contoso.com", "sentitems")) == 4
    other = https.post("/v1.0/users/hr@contoso.com/sendMail", headers=headers, json=mail("hr"))
    assert other.status_code == 202
    assert emulator.control.transport()["record"][-1]["outcome"] == "delivered"


def test_default_message_rate_is_30_per_minute(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    headers = bearer(tokens.app())

    answers = [https.post(SEND, headers=headers, json=mail()) for _ in range(31)]

    assert {a.status_code for a in answers} == {202}
    outcomes = [r["outcome"] for r in emulator.control.transport()["record"]]
    assert outcomes == ["delivered"] * 30 + ["pending"]


def test_request_budget_per_app_per_mailbox(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    emulator.control.set_throttle(request_budget=3)
    headers = bearer(tokens.app())
    folder = "/v1.0/users/support@contoso.com/mailFolders/inbox/messages"

    answers = [https.get(folder, headers=headers) for _ in range(4)]

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert "Retry-After" in answers[3].headers
    assert (
        https.get(
            "/v1.0/users/hr@contoso.com/mailFolders/inbox/messages", headers=headers
        ).status_code
        == 200
    )


def test_reset_clears_throttle_counters_and_settings(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    emulator.control.set_message_rate(1)
    headers = bearer(tokens.app())
    https.post(SEND, headers=headers, json=mail()).raise_for_status()

    emulator.control.reset()
    emulator.control.set_move_delay(0)

    assert https.post(SEND, headers=headers, json=mail()).status_code == 202
    assert [r["outcome"] for r in emulator.control.transport()["record"]] == ["delivered"]


def test_latency_for_a_path_slows_that_path(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    emulator.control.set_latency(fixed_ms=250, jitter_ms=10, path_pattern="/v1.0/users/*/sendMail")

    https.post(SEND, headers=bearer(tokens.app()), json=mail()).raise_for_status()

    (entry,) = emulator.control.request_log()
    assert entry["duration_ms"] >= 250


def test_latency_for_a_path_leaves_other_paths_alone(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    emulator.control.set_latency(fixed_ms=30_000, path_pattern="/v1.0/users/*/sendMail")

    # Would time out (30 s latency against a 10 s client timeout) if the rule leaked.
    answer = https.get("/v1.0/users/adele.vance@contoso.com", headers=bearer(tokens.app()))

    assert answer.status_code == 200


def test_global_latency_applies_to_entra_too(emulator: RunningEmulator, tokens: Tokens) -> None:
    emulator.control.set_latency(fixed_ms=200)

    tokens.request(
        grant_type="client_credentials",
        client_id=emulator.bot_app.client_id,
        client_secret=emulator.bot_app.secret,
        scope="https://graph.microsoft.com/.default",
    )

    (entry,) = emulator.control.request_log()
    assert entry["duration_ms"] >= 200
