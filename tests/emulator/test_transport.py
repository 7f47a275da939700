"""After Graph's 202: the message waits in Drafts until transport takes it into Sent Items; a
second send of an accepted draft is refused; a request the client gave up on still lands; a
503 or a dropped connection may come after the message was accepted; a draft the user
deleted is not sent."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from emu_helpers import Tokens, bearer, mail

from emulator.testing import RunningEmulator

SUPPORT = "support@contoso.com"
RECIPIENT = "johanna.lorenz@contoso.com"
DRAFTS = f"/v1.0/users/{SUPPORT}/messages"


def draft(https: httpx.Client, tokens: Tokens, subject: str) -> str:
    answer = https.post(DRAFTS, headers=bearer(tokens.app()), json=mail(subject)["message"])
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def send(https: httpx.Client, tokens: Tokens, item: str) -> httpx.Response:
    return https.post(f"{DRAFTS}/{item}/send", headers=bearer(tokens.app()))


def subjects(emulator: RunningEmulator, address: str, folder: str) -> list[str]:
    return [m["subject"] for m in emulator.control.mailbox(address, folder)]


def test_an_accepted_message_stays_in_drafts_until_the_move_delay_passed(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    emulator.control.set_move_delay(0.4)
    item = draft(https, tokens, "moving")

    accepted = time.monotonic()
    assert send(https, tokens, item).status_code == 202

    assert subjects(emulator, SUPPORT, "drafts") == ["moving"]
    assert subjects(emulator, SUPPORT, "sentitems") == []
    assert subjects(emulator, RECIPIENT, "inbox") == []
    done = emulator.control.transport(wait=5)
    assert time.monotonic() - accepted >= 0.4
    assert done["pending"] == 0
    assert subjects(emulator, SUPPORT, "drafts") == []
    [copy] = emulator.control.mailbox(SUPPORT, "sentitems")
    assert (copy["subject"], copy["isDraft"]) == ("moving", False)
    assert copy["id"] != item  # the Sent Items copy is another item
    assert subjects(emulator, RECIPIENT, "inbox") == ["moving"]


def test_the_default_move_delay_is_a_few_seconds(emulator: RunningEmulator) -> None:
    emulator.control.reset()
    assert 1 <= emulator.control.transport()["move_delay"] <= 5


def test_a_second_send_of_an_accepted_draft_is_refused_before_and_after_the_move(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    emulator.control.set_move_delay(0.3)
    item = draft(https, tokens, "once")
    assert send(https, tokens, item).status_code == 202

    waiting = send(https, tokens, item)  # still in Drafts, already accepted
    emulator.control.transport(wait=5)
    moved = send(https, tokens, item)  # gone from Drafts

    for refused in (waiting, moved):
        assert refused.status_code == 404
        assert refused.json()["error"]["code"] == "ErrorItemNotFound"
    assert subjects(emulator, RECIPIENT, "inbox") == ["once"]


async def test_two_sends_of_one_draft_racing_deliver_it_once(
    emulator: RunningEmulator, tokens: Tokens, https: httpx.Client
) -> None:
    item = draft(https, tokens, "race")
    emulator.control.set_latency(200, path_pattern=f"{DRAFTS}/*/send")
    async with httpx.AsyncClient(base_url=emulator.base_url, verify=emulator.ssl_context()) as c:
        first, second = await asyncio.gather(
            c.post(f"{DRAFTS}/{item}/send", headers=bearer(tokens.app())),
            c.post(f"{DRAFTS}/{item}/send", headers=bearer(tokens.app())),
        )
    assert sorted([first.status_code, second.status_code]) == [202, 404]
    assert subjects(emulator, RECIPIENT, "inbox") == ["race"]


def test_a_send_the_client_gave_up_on_is_still_accepted(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    item = draft(https, tokens, "late")
    emulator.control.add_fault("POST", f"{DRAFTS}/*/send", "delay", delay=0.6)

    with pytest.raises(httpx.ReadTimeout):
        https.post(f"{DRAFTS}/{item}/send", headers=bearer(tokens.app()), timeout=0.2)
    assert subjects(emulator, RECIPIENT, "inbox") == []

    deadline = time.monotonic() + 5
    while not subjects(emulator, RECIPIENT, "inbox") and time.monotonic() < deadline:
        emulator.control.transport(wait=0.1)
    assert subjects(emulator, RECIPIENT, "inbox") == ["late"]
    [entry] = emulator.control.transport()["record"]
    assert entry["outcome"] == "delivered"


@pytest.mark.parametrize("status", [503, 500])
def test_an_error_after_acceptance_is_answered_though_the_message_went_out(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens, status: int
) -> None:
    item = draft(https, tokens, "busy")
    emulator.control.add_fault("POST", f"{DRAFTS}/*/send", "error_after_accept", status=status)

    answer = send(https, tokens, item)

    assert answer.status_code == status
    assert subjects(emulator, RECIPIENT, "inbox") == ["busy"]


def test_a_dropped_connection_after_acceptance_delivers_the_message(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    item = draft(https, tokens, "dropped")
    emulator.control.add_fault("POST", f"{DRAFTS}/*/send", "drop_after_accept")

    with pytest.raises(httpx.RemoteProtocolError):
        send(https, tokens, item)

    assert subjects(emulator, RECIPIENT, "inbox") == ["dropped"]


def test_a_draft_the_user_deleted_is_not_sent(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    item = draft(https, tokens, "deleted")
    emulator.control.delete_message(SUPPORT, item)

    answer = send(https, tokens, item)

    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "ErrorItemNotFound"
    [moved] = emulator.control.mailbox(SUPPORT, "deleteditems")
    assert (moved["subject"], moved["isDraft"]) == ("deleted", True)
    assert subjects(emulator, RECIPIENT, "inbox") == []


def test_a_draft_deleted_after_acceptance_but_before_the_move_is_not_sent(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    emulator.control.set_move_delay(0.3)
    item = draft(https, tokens, "too late to delete?")
    assert send(https, tokens, item).status_code == 202
    emulator.control.delete_message(SUPPORT, item, hard=True)

    [entry] = emulator.control.transport(wait=5)["record"]

    assert entry["outcome"].startswith("dropped")
    assert subjects(emulator, SUPPORT, "sentitems") == []
    assert subjects(emulator, RECIPIENT, "inbox") == []


def test_send_mail_also_passes_through_drafts(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    emulator.control.set_move_delay(0.3)
    answer = https.post(
        f"/v1.0/users/{SUPPORT}/sendMail", headers=bearer(tokens.app()), json=mail("one shot")
    )

    assert answer.status_code == 202
    assert subjects(emulator, SUPPORT, "drafts") == ["one shot"]
    emulator.control.transport(wait=5)
    assert (subjects(emulator, SUPPORT, "drafts"), subjects(emulator, SUPPORT, "sentitems")) == (
        [],
        ["one shot"],
    )
