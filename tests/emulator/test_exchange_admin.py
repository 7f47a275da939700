"""Exchange admin API: InvokeCommand (Get-RecipientPermission, Get-MailboxPermission,
Get-Mailbox, Get-Recipient) against the demo tenant."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from emu_helpers import EXCHANGE, GRAPH, REPORTING_APP, REPORTING_SECRET, Tokens, bearer

from emulator.testing import RunningEmulator

SYSTEM_MAILBOX = "bb558c35-97f1-4cb9-8ff7-d53741dc928c"


def _invoke(
    emu: RunningEmulator,
    https: httpx.Client,
    token: str,
    cmdlet: str,
    prefer: str | None = None,
    **params: Any,
) -> httpx.Response:
    anchor = f"APP:SystemMailbox{{{SYSTEM_MAILBOX}}}@{emu.tenant_id}"
    headers = bearer(token, **{"X-AnchorMailbox": anchor})
    if prefer:
        headers["Prefer"] = prefer
    return https.post(
        f"/adminapi/beta/{emu.tenant_id}/InvokeCommand",
        headers=headers,
        json={"CmdletInput": {"CmdletName": cmdlet, "Parameters": params}},
    )


@pytest.fixture
def exo(tokens: Tokens) -> str:
    return tokens.app(resource=EXCHANGE)


def test_send_as_trustees_of_a_shared_mailbox(
    emulator: RunningEmulator, https: httpx.Client, exo: str
) -> None:
    answer = _invoke(
        emulator, https, exo, "Get-RecipientPermission", Identity="support@contoso.com"
    )

    assert answer.status_code == 200, answer.text
    rows = answer.json()["value"]
    assert {r["Trustee"] for r in rows} == {
        "adele.vance@contoso.com",
        "alex.wilber@contoso.com",
        "grady.archie@contoso.com",
    }
    support = emulator.tenant.account("support@contoso.com")
    assert support is not None
    # Identity is the mailbox's recipient Name: since 2022 its object id, not an address.
    assert all(r["AccessRights"] == ["SendAs"] and r["Identity"] == support.id for r in rows)


def test_user_mailbox_lists_self_as_send_as(
    emulator: RunningEmulator, https: httpx.Client, exo: str
) -> None:
    rows = _invoke(
        emulator, https, exo, "Get-RecipientPermission", Identity="megan.bowen@contoso.com"
    ).json()["value"]

    assert [r["Trustee"] for r in rows] == ["NT AUTHORITY\\SELF"]


def test_mailboxes_a_user_may_send_as_by_trustee_filter(
    emulator: RunningEmulator, https: httpx.Client, exo: str
) -> None:
    rows = _invoke(
        emulator, https, exo, "Get-RecipientPermission", Trustee="grady.archie@contoso.com"
    ).json()["value"]

    assert [r["Identity"] for r in rows] == ["e80c0451-4917-4c80-bc33-a9367b469085"]


def test_full_access_trustees(emulator: RunningEmulator, https: httpx.Client, exo: str) -> None:
    rows = _invoke(emulator, https, exo, "Get-MailboxPermission", Identity="support").json()[
        "value"
    ]

    users = {r["User"] for r in rows}
    assert users == {"NT AUTHORITY\\SELF", "adele.vance@contoso.com", "alex.wilber@contoso.com"}
    assert "grady.archie@contoso.com" not in users


def test_full_access_filtered_by_user(
    emulator: RunningEmulator, https: httpx.Client, exo: str
) -> None:
    rows = _invoke(
        emulator,
        https,
        exo,
        "Get-MailboxPermission",
        Identity="hr@contoso.com",
        User="diego.siciliani@contoso.com",
    ).json()["value"]

    assert [(r["User"], r["AccessRights"]) for r in rows] == [
        ("diego.siciliani@contoso.com", ["FullAccess"])
    ]


def test_get_mailbox_shows_type_and_send_on_behalf(
    emulator: RunningEmulator, https: httpx.Client, exo: str
) -> None:
    (megan,) = _invoke(
        emulator, https, exo, "Get-Mailbox", Identity="megan.bowen@contoso.com"
    ).json()["value"]
    (support,) = _invoke(
        emulator, https, exo, "Get-Mailbox", Identity="support@contoso.com"
    ).json()["value"]

    assert megan["RecipientTypeDetails"] == "UserMailbox"
    # Delegates are listed by recipient Name (Lynne's object id), not by UPN.
    assert megan["GrantSendOnBehalfTo"] == ["486c7190-c317-4729-9d12-d36309dc77cb"]
    assert megan["ExternalDirectoryObjectId"] == "11744ff5-b6c4-42b5-8c1f-a4b55da0acc3"
    assert support["RecipientTypeDetails"] == "SharedMailbox"
    assert support["GrantSendOnBehalfTo"] == []


def test_get_mailbox_by_type_and_by_send_on_behalf_filter(
    emulator: RunningEmulator, https: httpx.Client, exo: str
) -> None:
    shared = _invoke(
        emulator, https, exo, "Get-Mailbox", RecipientTypeDetails="SharedMailbox"
    ).json()["value"]
    delegated = _invoke(
        emulator,
        https,
        exo,
        "Get-Mailbox",
        Filter="GrantSendOnBehalfTo -eq 'lynne.robbins@contoso.com'",
    ).json()["value"]

    assert {m["PrimarySmtpAddress"] for m in shared} == {
        "support@contoso.com",
        "hr@contoso.com",
        "noreply@contoso.com",
        "events@contoso.com",
    }
    assert [m["PrimarySmtpAddress"] for m in delegated] == ["megan.bowen@contoso.com"]


def test_paging_follows_next_link_by_post_and_get(
    emulator: RunningEmulator, https: httpx.Client, exo: str
) -> None:
    first = _invoke(emulator, https, exo, "Get-Mailbox", prefer="odata.maxpagesize=4").json()
    body = {"CmdletInput": {"CmdletName": "Get-Mailbox", "Parameters": {}}}
    second = https.post(
        first["@odata.nextLink"], headers=bearer(exo, Prefer="odata.maxpagesize=4"), json=body
    ).json()
    third = https.get(
        second["@odata.nextLink"], headers=bearer(exo, Prefer="odata.maxpagesize=4")
    ).json()

    seen = [m["PrimarySmtpAddress"] for page in (first, second, third) for m in page["value"]]
    assert len(seen) == len(set(seen)) == 11  # 7 people with mailboxes + 4 shared/no-reply
    assert "@odata.nextLink" not in third


def test_default_page_size_is_settable(
    emulator: RunningEmulator, https: httpx.Client, exo: str
) -> None:
    emulator.control.set_limits(exchange_page_size=3)

    page = _invoke(emulator, https, exo, "Get-Mailbox").json()

    assert len(page["value"]) == 3
    assert "@odata.nextLink" in page


def test_unknown_identity_is_not_found(
    emulator: RunningEmulator, https: httpx.Client, exo: str
) -> None:
    answer = _invoke(emulator, https, exo, "Get-Mailbox", Identity="sales@contoso.com")

    assert answer.status_code == 404
    error = answer.json()["error"]
    ident, exception, text = error["details"][0]["message"].split("|")
    assert ident
    assert exception.endswith(".ManagementObjectNotFoundException")
    assert "'sales@contoso.com' couldn't be found" in text
    assert error["innererror"]["internalexception"]["type"] == exception


def test_a_display_name_is_not_an_identity(
    emulator: RunningEmulator, https: httpx.Client, exo: str
) -> None:
    answer = _invoke(emulator, https, exo, "Get-Mailbox", Identity="Megan Bowen")

    assert answer.status_code == 404


def test_unknown_cmdlet_is_a_bad_request(
    emulator: RunningEmulator, https: httpx.Client, exo: str
) -> None:
    answer = _invoke(emulator, https, exo, "Set-Mailbox", Identity="support@contoso.com")

    assert answer.status_code == 400


def test_needs_exchange_manage_as_app(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    token = tokens.app(resource=EXCHANGE, client_id=REPORTING_APP, secret=REPORTING_SECRET)

    answer = _invoke(emulator, https, token, "Get-Mailbox")

    assert answer.status_code == 403


def test_graph_token_is_refused(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    answer = _invoke(emulator, https, tokens.app(resource=GRAPH), "Get-Mailbox")

    assert answer.status_code == 401


def test_delegated_token_is_refused(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    token = tokens.user("adele.vance@contoso.com", scope=f"{GRAPH}/.default")

    assert _invoke(emulator, https, token, "Get-Mailbox").status_code == 401
