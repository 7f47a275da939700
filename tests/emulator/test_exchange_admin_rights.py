"""The Exchange admin API as Exchange answers it: recipient names rather than addresses,
group trustees, every error form, the directory role an app needs, and the supported v2.0
Mailbox endpoint. Against a small tenant of its own (tests/support/rights_tenant.toml)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from emu_helpers import EXCHANGE, REPORTING_APP, REPORTING_SECRET, Tokens, bearer

from emulator.testing import RunningEmulator, running_emulator

SEED = Path(__file__).resolve().parents[1] / "support" / "rights_tenant.toml"
ANCHOR = "APP:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@fabrikam.com"
JORDAN = "a1111111-1111-4111-8111-111111111111"
ESCALATIONS_TEAM = "c1111111-1111-4111-8111-111111111111"
NO_ROLE_APP = ("d2222222-2222-4222-8222-222222222222", "norole-secret-not-for-production")
READER_APP = ("d3333333-3333-4333-8333-333333333333", "reader-secret-not-for-production")


@pytest.fixture(scope="module")
def fabrikam() -> Iterator[RunningEmulator]:
    with running_emulator(seed=SEED) as emu:
        yield emu


@pytest.fixture(scope="module")
def client(fabrikam: RunningEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=fabrikam.base_url, verify=fabrikam.ssl_context(), timeout=10
    ) as http:
        yield http


@pytest.fixture(scope="module")
def tokens(fabrikam: RunningEmulator, client: httpx.Client) -> Tokens:
    return Tokens(fabrikam, client)


def invoke(
    emu: RunningEmulator, http: httpx.Client, token: str, cmdlet: str, **params: Any
) -> httpx.Response:
    return http.post(
        f"/adminapi/beta/{emu.tenant_id}/InvokeCommand",
        headers=bearer(token, **{"X-AnchorMailbox": ANCHOR}),
        json={"CmdletInput": {"CmdletName": cmdlet, "Parameters": params}},
    )


def mailbox_v2(
    emu: RunningEmulator,
    http: httpx.Client,
    token: str,
    cmdlet: str = "Get-Mailbox",
    *,
    anchor: str | None = ANCHOR,
    url: str | None = None,
    **params: Any,
) -> httpx.Response:
    headers = bearer(token, **({"X-AnchorMailbox": anchor} if anchor else {}))
    return http.post(
        url or f"/adminapi/v2.0/{emu.tenant_id}/Mailbox",
        headers=headers,
        json={"CmdletInput": {"CmdletName": cmdlet, "Parameters": params}},
    )


# --- names, not addresses -------------------------------------------------------------


def test_send_on_behalf_delegates_are_listed_by_recipient_name(
    fabrikam: RunningEmulator, client: httpx.Client, tokens: Tokens
) -> None:
    exo = tokens.app(resource=EXCHANGE)
    (pat,) = invoke(fabrikam, client, exo, "Get-Mailbox", Identity="pat.owner@fabrikam.com").json()[
        "value"
    ]

    assert pat["GrantSendOnBehalfTo"] == ["Jordan Lee"]  # Jordan's (older) Name
    assert pat["Identity"] == pat["Name"] == pat["ExternalDirectoryObjectId"]


def test_a_recipient_name_resolves_to_one_recipient_and_a_display_name_does_not(
    fabrikam: RunningEmulator, client: httpx.Client, tokens: Tokens
) -> None:
    exo = tokens.app(resource=EXCHANGE)
    (jordan,) = invoke(fabrikam, client, exo, "Get-Recipient", Identity="Jordan Lee").json()[
        "value"
    ]
    other = invoke(fabrikam, client, exo, "Get-Recipient", Identity="Dana Director")

    assert jordan["ExternalDirectoryObjectId"] == JORDAN
    assert jordan["PrimarySmtpAddress"] == "jordan.lee@fabrikam.com"
    assert other.status_code == 404  # a display name is not an identity


# --- group trustees -------------------------------------------------------------------


def test_a_group_trustee_is_listed_as_the_group_not_its_members(
    fabrikam: RunningEmulator, client: httpx.Client, tokens: Tokens
) -> None:
    exo = tokens.app(resource=EXCHANGE)
    send_as = invoke(
        fabrikam, client, exo, "Get-RecipientPermission", Identity="escalations@fabrikam.com"
    ).json()["value"]
    full = invoke(
        fabrikam, client, exo, "Get-MailboxPermission", Identity="escalations@fabrikam.com"
    ).json()["value"]
    (group,) = invoke(fabrikam, client, exo, "Get-Recipient", Identity="Escalations Team").json()[
        "value"
    ]

    assert [r["Trustee"] for r in send_as] == ["Escalations Team"]
    assert {r["User"] for r in full} == {"NT AUTHORITY\\SELF", "Escalations Team"}
    assert group["RecipientTypeDetails"] == "MailUniversalSecurityGroup"
    assert group["ExternalDirectoryObjectId"] == ESCALATIONS_TEAM


def test_a_right_given_to_a_group_lets_its_nested_members_send_as_in_graph(
    fabrikam: RunningEmulator, client: httpx.Client, tokens: Tokens
) -> None:
    """Exchange expands a group trustee when it checks a send (here: application token on
    Nestor's mailbox, ``from`` the shared mailbox his nested group may send as)."""
    fabrikam.control.reset()
    graph = tokens.app()

    def send_as_escalations(user: str) -> httpx.Response:
        message = {
            "subject": "Escalated",
            "body": {"contentType": "Text", "content": "Hi"},
            "toRecipients": [{"emailAddress": {"address": "kim.akers@fabrikam.com"}}],
            "from": {"emailAddress": {"address": "escalations@fabrikam.com"}},
        }
        return client.post(
            f"/v1.0/users/{user}/sendMail", headers=bearer(graph), json={"message": message}
        )

    answer = send_as_escalations("nestor.wilke@fabrikam.com")
    refused = send_as_escalations("omar.bennett@fabrikam.com")

    assert answer.status_code == 202, answer.text
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "ErrorSendAsDenied"


# --- the directory role ---------------------------------------------------------------


def test_an_app_with_the_exchange_permission_but_no_directory_role_is_refused(
    fabrikam: RunningEmulator, client: httpx.Client, tokens: Tokens
) -> None:
    client_id, secret = NO_ROLE_APP
    token = tokens.app(resource=EXCHANGE, client_id=client_id, secret=secret)

    answer = invoke(fabrikam, client, token, "Get-Mailbox")

    assert answer.status_code == 401
    error = answer.json()["error"]
    assert f"The role assigned to application {client_id} isn't supported" in error["message"]
    assert error["innererror"]["message"] == error["message"]
    assert "details" not in error


def test_a_global_reader_reads_mailboxes_but_not_send_as_entries(
    fabrikam: RunningEmulator, client: httpx.Client, tokens: Tokens
) -> None:
    client_id, secret = READER_APP
    token = tokens.app(resource=EXCHANGE, client_id=client_id, secret=secret)

    mailboxes = invoke(fabrikam, client, token, "Get-Mailbox")
    send_as = invoke(
        fabrikam, client, token, "Get-RecipientPermission", Identity="escalations@fabrikam.com"
    )

    assert mailboxes.status_code == 200
    assert send_as.status_code == 401
    assert (
        send_as.json()["error"]["message"] == "User is not allowed to call Get-RecipientPermission"
    )


# --- error forms ------------------------------------------------------------------------


def test_a_failed_cmdlet_answers_details_and_the_internal_exception(
    fabrikam: RunningEmulator, client: httpx.Client, tokens: Tokens
) -> None:
    exo = tokens.app(resource=EXCHANGE)
    answer = invoke(fabrikam, client, exo, "Get-Mailbox", Identity="sales@fabrikam.com")

    error = answer.json()["error"]
    assert answer.status_code == 404
    assert error["message"] == "Error executing cmdlet"
    assert (
        error["details"][0]["message"].split("|")[1].endswith("ManagementObjectNotFoundException")
    )
    assert error["innererror"]["internalexception"]["type"].endswith(
        "ManagementObjectNotFoundException"
    )


def test_an_unknown_parameter_answers_only_the_internal_exception(
    fabrikam: RunningEmulator, client: httpx.Client, tokens: Tokens
) -> None:
    token = tokens.app(resource=EXCHANGE)
    answer = mailbox_v2(fabrikam, client, token, Filter="GrantSendOnBehalfTo -eq 'x'")

    error = answer.json()["error"]
    assert answer.status_code == 400
    assert "details" not in error
    assert error["innererror"]["internalexception"]["type"].endswith("ParameterBindingException")
    assert "'filter'" in error["innererror"]["internalexception"]["message"].lower()


# --- the supported v2.0 Mailbox endpoint ----------------------------------------------


def test_v2_get_mailbox_answers_send_on_behalf_delegates_with_select(
    fabrikam: RunningEmulator, client: httpx.Client, tokens: Tokens
) -> None:
    token = tokens.app(resource=EXCHANGE)
    answer = client.post(
        f"/adminapi/v2.0/{fabrikam.tenant_id}/Mailbox?$select=PrimarySmtpAddress,GrantSendOnBehalfTo",
        headers=bearer(token, **{"X-AnchorMailbox": ANCHOR}),
        json={
            "CmdletInput": {
                "CmdletName": "Get-Mailbox",
                "Parameters": {"Identity": "pat.owner@fabrikam.com"},
            }
        },
    )

    assert answer.status_code == 200, answer.text
    assert answer.json()["value"] == [
        {"PrimarySmtpAddress": "pat.owner@fabrikam.com", "GrantSendOnBehalfTo": ["Jordan Lee"]}
    ]


def test_v2_pages_by_post_only(
    fabrikam: RunningEmulator, client: httpx.Client, tokens: Tokens
) -> None:
    token = tokens.app(resource=EXCHANGE)
    first = client.post(
        f"/adminapi/v2.0/{fabrikam.tenant_id}/Mailbox",
        headers=bearer(token, **{"X-AnchorMailbox": ANCHOR, "Prefer": "odata.maxpagesize=2"}),
        json={"CmdletInput": {"CmdletName": "Get-Mailbox", "Parameters": {}}},
    ).json()
    link = first["@odata.nextLink"]
    second = mailbox_v2(fabrikam, client, token, url=link)
    by_get = client.get(link, headers=bearer(token, **{"X-AnchorMailbox": ANCHOR}))

    assert "/adminapi/v2.0/" in link
    assert second.status_code == 200
    assert second.json()["value"]
    assert by_get.status_code == 405


def test_v2_exposes_only_its_documented_cmdlets_and_wants_a_routing_hint(
    fabrikam: RunningEmulator, client: httpx.Client, tokens: Tokens
) -> None:
    token = tokens.app(resource=EXCHANGE)

    permission = mailbox_v2(fabrikam, client, token, "Get-RecipientPermission")
    no_anchor = mailbox_v2(fabrikam, client, token, anchor=None)
    elsewhere = client.post(
        f"/adminapi/v2.0/{fabrikam.tenant_id}/RecipientPermission",
        headers=bearer(token, **{"X-AnchorMailbox": ANCHOR}),
        json={"CmdletInput": {"CmdletName": "Get-RecipientPermission", "Parameters": {}}},
    )

    assert permission.status_code == 400
    assert no_anchor.status_code == 400
    assert elsewhere.status_code == 404


def test_v2_needs_the_v2_application_permission(
    emulator: RunningEmulator, https: httpx.Client
) -> None:
    tokens = Tokens(emulator, https)
    token = tokens.app(resource=EXCHANGE, client_id=REPORTING_APP, secret=REPORTING_SECRET)

    answer = mailbox_v2(emulator, https, token)

    assert answer.status_code == 403
    assert "Exchange.ManageAsAppV2" in answer.json()["error"]["message"]
