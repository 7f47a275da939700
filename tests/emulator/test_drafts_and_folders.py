"""Drafts, draft send, and reading folders with $filter / $select / $top / $expand."""

from __future__ import annotations

import httpx
import pytest
from emu_helpers import GRAPH, Tokens, bearer, mail

from emulator.testing import RunningEmulator

PROP_ID = "String {6f2a1c4e-7c1b-4b8e-9a55-0d7f3c2b1a90} Name MailroomId"


def _with_id(mailroom_id: str, subject: str = "Hello") -> dict:
    return mail(
        subject,
        internetMessageHeaders=[{"name": "x-mailroom-id", "value": mailroom_id}],
        singleValueExtendedProperties=[{"id": PROP_ID, "value": mailroom_id}],
    )


def _filter(mailroom_id: str) -> str:
    return (
        "singleValueExtendedProperties/any("
        f"ep: ep/id eq '{PROP_ID}' and ep/value eq '{mailroom_id}')"
    )


def test_draft_then_send_moves_it_to_sent_items(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    headers = bearer(tokens.app())
    draft = https.post(
        "/v1.0/users/hr@contoso.com/messages", headers=headers, json=_with_id("d-1")["message"]
    )

    assert draft.status_code == 201, draft.text
    created = draft.json()
    assert created["isDraft"] is True
    assert [m["id"] for m in emulator.control.mailbox("hr@contoso.com", "drafts")] == [
        created["id"]
    ]

    sent = https.post(f"/v1.0/users/hr@contoso.com/messages/{created['id']}/send", headers=headers)

    assert sent.status_code == 202
    assert sent.content == b""
    assert emulator.control.mailbox("hr@contoso.com", "drafts") == []
    (copy,) = emulator.control.mailbox("hr@contoso.com", "sentitems")
    assert copy["isDraft"] is False
    assert copy["from"]["emailAddress"]["address"] == "hr@contoso.com"
    assert len(emulator.control.mailbox("johanna.lorenz@contoso.com", "inbox")) == 1


def test_draft_with_a_non_x_header_is_refused(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    message = {**mail()["message"], "internetMessageHeaders": [{"name": "Subject", "value": "x"}]}

    answer = https.post(
        "/v1.0/users/hr@contoso.com/messages", headers=bearer(tokens.app()), json=message
    )

    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "InvalidInternetMessageHeader"


def test_sending_an_unknown_draft_is_item_not_found(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    answer = https.post(
        "/v1.0/users/hr@contoso.com/messages/AAMkADnope/send", headers=bearer(tokens.app())
    )

    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "ErrorItemNotFound"


def test_delegated_draft_needs_mail_readwrite(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    only_send = tokens.user("adele.vance@contoso.com", scope=f"{GRAPH}/Mail.Send")
    answer = https.post("/v1.0/me/messages", headers=bearer(only_send), json=mail()["message"])

    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "ErrorAccessDenied"


def test_sent_items_can_be_searched_by_extended_property(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    headers = bearer(tokens.app())
    for mailroom_id in ("m-1", "m-2", "m-3"):
        https.post(
            "/v1.0/users/support@contoso.com/sendMail", headers=headers, json=_with_id(mailroom_id)
        ).raise_for_status()

    answer = https.get(
        "/v1.0/users/support@contoso.com/mailFolders/sentitems/messages",
        headers=headers,
        params={
            "$filter": _filter("m-2"),
            "$select": "id,subject,internetMessageHeaders",
            "$top": "1",
        },
    )

    assert answer.status_code == 200, answer.text
    (found,) = answer.json()["value"]
    assert found["internetMessageHeaders"] == [{"name": "x-mailroom-id", "value": "m-2"}]
    assert "body" not in found


def test_filter_finding_nothing_is_an_empty_page(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    answer = https.get(
        "/v1.0/users/support@contoso.com/mailFolders/sentitems/messages",
        headers=bearer(tokens.app()),
        params={"$filter": _filter("never-sent")},
    )

    assert answer.json()["value"] == []


def test_default_projection_hides_headers_and_expand_shows_the_property(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    headers = bearer(tokens.app())
    https.post(
        "/v1.0/users/support@contoso.com/sendMail", headers=headers, json=_with_id("m-9")
    ).raise_for_status()

    plain = https.get(
        "/v1.0/users/support@contoso.com/mailFolders/SentItems/messages", headers=headers
    )
    expanded = https.get(
        "/v1.0/users/support@contoso.com/mailFolders/sentitems/messages",
        headers=headers,
        params={"$expand": f"singleValueExtendedProperties($filter=id eq '{PROP_ID}')"},
    )

    (message,) = plain.json()["value"]
    assert "internetMessageHeaders" not in message
    assert "singleValueExtendedProperties" not in message
    (message,) = expanded.json()["value"]
    assert message["singleValueExtendedProperties"] == [{"id": PROP_ID, "value": "m-9"}]


def test_top_pages_with_a_next_link(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    headers = bearer(tokens.app())
    for n in range(3):
        https.post(
            "/v1.0/users/support@contoso.com/sendMail", headers=headers, json=mail(f"n{n}")
        ).raise_for_status()

    first = https.get(
        "/v1.0/users/support@contoso.com/mailFolders/sentitems/messages",
        headers=headers,
        params={"$top": "2"},
    ).json()
    second = https.get(first["@odata.nextLink"], headers=headers).json()

    assert len(first["value"]) == 2
    assert len(second["value"]) == 1
    assert "@odata.nextLink" not in second


def test_inbox_is_readable_with_filter_on_a_property(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    headers = bearer(tokens.app())
    https.post(
        "/v1.0/users/support@contoso.com/sendMail", headers=headers, json=mail("needle")
    ).raise_for_status()
    https.post(
        "/v1.0/users/support@contoso.com/sendMail", headers=headers, json=mail("hay")
    ).raise_for_status()

    answer = https.get(
        "/v1.0/me/mailFolders/inbox/messages",
        headers=bearer(tokens.user("johanna.lorenz@contoso.com")),
        params={"$filter": "subject eq 'needle'"},
    )

    assert [m["subject"] for m in answer.json()["value"]] == ["needle"]


@pytest.mark.parametrize(
    "expression",
    ["subject gt 'a'", "startswith(subject,'a')", "singleValueExtendedProperties/any(ep: ep/id eq"],
)
def test_unsupported_filter_is_a_400(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens, expression: str
) -> None:
    answer = https.get(
        "/v1.0/users/support@contoso.com/mailFolders/sentitems/messages",
        headers=bearer(tokens.app()),
        params={"$filter": expression},
    )

    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "ErrorInvalidUrlQueryFilter"


def test_reading_another_users_folder_needs_full_access(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    token = tokens.user("grady.archie@contoso.com")

    answer = https.get(
        "/v1.0/users/support@contoso.com/mailFolders/sentitems/messages", headers=bearer(token)
    )

    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "ErrorAccessDenied"


def test_single_message_by_id(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    headers = bearer(tokens.app())
    draft = https.post(
        "/v1.0/users/hr@contoso.com/messages", headers=headers, json=mail("one")["message"]
    ).json()

    answer = https.get(f"/v1.0/users/hr@contoso.com/messages/{draft['id']}", headers=headers)

    assert answer.status_code == 200
    assert answer.json()["subject"] == "one"
