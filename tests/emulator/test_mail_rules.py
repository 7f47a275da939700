"""sendMail's validation and delivery: headers, recipients, size, mailboxes, external mail."""

from __future__ import annotations

import httpx
import pytest
from emu_helpers import Tokens, bearer, mail, to

from emulator.testing import RunningEmulator


def _app_send(
    https: httpx.Client, tokens: Tokens, body: dict, mailbox: str = "support@contoso.com"
) -> httpx.Response:
    return https.post(f"/v1.0/users/{mailbox}/sendMail", headers=bearer(tokens.app()), json=body)


def _error(answer: httpx.Response) -> str:
    return str(answer.json()["error"]["code"])


def test_only_x_headers_are_accepted(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    body = mail(internetMessageHeaders=[{"name": "References", "value": "<a@b>"}])

    answer = _app_send(https, tokens, body)

    assert answer.status_code == 400
    assert _error(answer) == "InvalidInternetMessageHeader"


@pytest.mark.parametrize("count", [0, 6])
@pytest.mark.parametrize("path", ["/sendMail", "/messages"])
def test_internet_headers_are_one_to_five_per_message(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens, count: int, path: str
) -> None:
    headers = [{"name": f"x-h{n}", "value": "v"} for n in range(count)]
    body = mail(internetMessageHeaders=headers)
    payload = body if path == "/sendMail" else body["message"]

    answer = https.post(
        f"/v1.0/users/support@contoso.com{path}", headers=bearer(tokens.app()), json=payload
    )

    assert answer.status_code == 400
    assert _error(answer) == "InvalidInternetMessageHeaderCollection"


def test_five_internet_headers_pass(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    headers = [{"name": f"x-h{n}", "value": "v"} for n in range(5)]

    assert _app_send(https, tokens, mail(internetMessageHeaders=headers)).status_code == 202


def test_a_request_body_over_4_mb_is_refused_whole(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    body = mail(body={"contentType": "Text", "content": "x" * (4 * 1024 * 1024)})

    answer = _app_send(https, tokens, body)

    assert answer.status_code == 413
    assert _error(answer) == "RequestEntityTooLarge"
    assert emulator.control.mailbox("johanna.lorenz@contoso.com", "inbox") == []


def test_x_headers_and_extended_properties_are_kept_on_every_copy(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    prop = {"id": "String {6f2a1c4e-7c1b-4b8e-9a55-0d7f3c2b1a90} Name MailroomId", "value": "m-1"}
    body = mail(
        internetMessageHeaders=[{"name": "x-mailroom-id", "value": "m-1"}],
        singleValueExtendedProperties=[prop],
    )

    assert _app_send(https, tokens, body).status_code == 202

    (sent,) = emulator.control.mailbox("support@contoso.com", "sentitems")
    (received,) = emulator.control.mailbox("johanna.lorenz@contoso.com", "inbox")
    for copy in (sent, received):
        assert copy["internetMessageHeaders"] == [{"name": "x-mailroom-id", "value": "m-1"}]
        assert copy["singleValueExtendedProperties"] == [prop]
        assert copy["body"] == {"contentType": "html", "content": "<p>Hi</p>"}


def test_500_recipients_pass_and_501_are_refused(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    many = [f"user{i}@fabrikam.com" for i in range(501)]

    refused = _app_send(
        https, tokens, mail(toRecipients=to(*many[:400]), bccRecipients=to(*many[400:]))
    )
    accepted = _app_send(https, tokens, mail(toRecipients=to(*many[:500])))

    assert refused.status_code == 400
    assert _error(refused) == "ErrorTooManyRecipients"
    assert accepted.status_code == 202
    assert len(emulator.control.external_deliveries()) == 500


def test_message_over_the_size_limit_is_refused(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    emulator.control.set_limits(max_message_bytes=2000)
    body = mail(body={"contentType": "Text", "content": "x" * 3000})

    answer = _app_send(https, tokens, body)

    assert answer.status_code == 400
    assert _error(answer) == "ErrorMessageSizeExceeded"


@pytest.mark.parametrize(
    "address", ["not-an-address", "a@b", "two@@contoso.com", "sp ace@contoso.com", ""]
)
def test_malformed_recipient_is_invalid_recipients(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens, address: str
) -> None:
    answer = _app_send(https, tokens, mail(toRecipients=to(address)))

    assert answer.status_code == 400
    assert _error(answer) == "ErrorInvalidRecipients"


def test_no_recipients_is_invalid_recipients(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    answer = _app_send(https, tokens, mail(toRecipients=[]))

    assert answer.status_code == 400
    assert _error(answer) == "ErrorInvalidRecipients"


def test_unknown_mailbox_is_invalid_user(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    answer = _app_send(https, tokens, mail(), mailbox="sales@contoso.com")

    assert answer.status_code == 404
    assert _error(answer) == "ErrorInvalidUser"


def test_user_without_mailbox_is_not_enabled_for_rest(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    answer = _app_send(https, tokens, mail(), mailbox="patti.fernandez@contoso.com")

    assert answer.status_code == 404
    assert _error(answer) == "MailboxNotEnabledForRESTAPI"


def test_from_an_unknown_address_is_send_as_denied(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    answer = https.post(
        "/v1.0/me/sendMail",
        headers=bearer(tokens.user("adele.vance@contoso.com")),
        json=mail(sender="ceo@fabrikam.com"),
    )

    assert answer.status_code == 403
    assert _error(answer) == "ErrorSendAsDenied"
    assert answer.json()["error"]["message"].endswith("Cannot submit message.")


def test_internal_recipients_get_inbox_copies_and_outside_ones_are_recorded(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    body = mail(
        toRecipients=to("adele.vance@contoso.com", "ann@fabrikam.com"),
        ccRecipients=to("hr@contoso.com"),
        bccRecipients=to("alex.wilber@contoso.com", "ghost@contoso.com"),
    )

    assert _app_send(https, tokens, body).status_code == 202

    control = emulator.control
    for address in ("adele.vance@contoso.com", "hr@contoso.com", "alex.wilber@contoso.com"):
        (copy,) = control.mailbox(address, "inbox")
        assert copy["bccRecipients"] == []
        assert copy["isRead"] is False
    outside = {(d["recipient"], d["kind"]) for d in control.external_deliveries()}
    assert outside == {("ann@fabrikam.com", "external"), ("ghost@contoso.com", "undeliverable")}
    (sent,) = control.mailbox("support@contoso.com", "sentitems")
    assert len(sent["bccRecipients"]) == 2


def test_save_to_sent_items_false_keeps_no_copy(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    body = {**mail(), "saveToSentItems": False}

    assert _app_send(https, tokens, body).status_code == 202

    assert emulator.control.mailbox("support@contoso.com", "sentitems") == []
    assert len(emulator.control.mailbox("johanna.lorenz@contoso.com", "inbox")) == 1


def test_body_that_is_not_json_is_a_bad_request(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    answer = https.post(
        "/v1.0/users/support@contoso.com/sendMail",
        headers=bearer(tokens.app(), **{"Content-Type": "application/json"}),
        content=b"{not json",
    )

    assert answer.status_code == 400
    assert _error(answer) == "BadRequest"
