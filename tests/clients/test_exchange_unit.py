"""ExchangeAdminClient against ``httpx.MockTransport`` in the admin API's wire formats
(beta InvokeCommand and the v2.0 Mailbox endpoint)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

import httpx
import pytest

from bot.errors import ExchangeError
from bot.exchange import OBJECT_NOT_FOUND, ExchangeAdminClient
from bot.netclient import RetryPolicy, Timeouts
from tests.clients.helpers import FixedTokens, SleepRecorder

BASE = "https://outlook.test"
TENANT = "07e2b795-ff98-4e03-90a4-fcf918d3baac"
ENDPOINT = f"{BASE}/adminapi/beta/{TENANT}/InvokeCommand"
MAILBOX_V2 = f"{BASE}/adminapi/v2.0/{TENANT}/Mailbox"

ExchangeHandler = Callable[[httpx.Request], Coroutine[None, None, httpx.Response]]
MakeExchange = Callable[[ExchangeHandler], ExchangeAdminClient]


@pytest.fixture
async def make_exchange(tokens: FixedTokens, sleeps: SleepRecorder) -> AsyncIterator[MakeExchange]:
    clients: list[httpx.AsyncClient] = []

    def make(handler: ExchangeHandler) -> ExchangeAdminClient:
        http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
        clients.append(http)
        return ExchangeAdminClient(
            http,
            tokens,
            BASE,
            TENANT,
            organization="contoso.com",
            retry=RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.02),
            timeouts=Timeouts(connect=1, read=5, total=30),
            page_size=2,
            sleep=sleeps,
            jitter=lambda: 0.0,
        )

    yield make
    for http in clients:
        await http.aclose()


def cmdlet_of(request: httpx.Request) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(request.content)["CmdletInput"]
    return payload


async def test_send_as_trustees_pages_through_and_sends_the_admin_headers(
    make_exchange: MakeExchange, tokens: FixedTokens
) -> None:
    seen: list[httpx.Request] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        row = {"AccessControlType": "Allow", "AccessRights": ["SendAs"], "IsInherited": False}
        if "skip=2" in str(request.url):
            return httpx.Response(200, json={"value": [{**row, "Trustee": "Grady@contoso.com"}]})
        return httpx.Response(
            200,
            json={
                "value": [
                    {**row, "Trustee": "adele.vance@contoso.com"},
                    {**row, "Trustee": "NT AUTHORITY\\SELF"},
                ],
                "@odata.nextLink": f"{ENDPOINT}?skip=2",
            },
        )

    trustees = await make_exchange(handler).send_as_trustees("support@contoso.com")

    assert trustees == {"adele.vance@contoso.com", "grady@contoso.com"}
    assert len(seen) == 2
    first, second = seen
    assert str(first.url) == ENDPOINT
    assert (
        cmdlet_of(first)
        == cmdlet_of(second)
        == {
            "CmdletName": "Get-RecipientPermission",
            "Parameters": {"Identity": "support@contoso.com"},
        }
    )
    assert first.headers["x-anchormailbox"] == (
        "APP:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@contoso.com"
    )
    assert first.headers["authorization"] == "Bearer app-token-for-https://outlook.office365.com"
    assert first.headers["prefer"] == "odata.maxpagesize=2"
    assert first.headers["client-request-id"] != second.headers["client-request-id"]
    assert set(tokens.calls) == {("app", "https://outlook.office365.com")}


async def test_deny_entries_win_over_allow(make_exchange: MakeExchange) -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            json={
                "value": [
                    {"User": "adele@contoso.com", "AccessRights": ["FullAccess"], "Deny": False},
                    {"User": "alex@contoso.com", "AccessRights": ["FullAccess"], "Deny": False},
                    {"User": "alex@contoso.com", "AccessRights": ["FullAccess"], "Deny": True},
                    {"User": "megan@contoso.com", "AccessRights": ["ReadPermission"]},
                ]
            },
        )

    trustees = await make_exchange(handler).full_access_trustees("support@contoso.com")

    assert trustees == {"adele@contoso.com"}


async def test_send_on_behalf_and_recipient_type_come_from_the_supported_mailbox_endpoint(
    make_exchange: MakeExchange,
) -> None:
    seen: list[httpx.Request] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        assert cmdlet_of(request) == {
            "CmdletName": "Get-Mailbox",
            "Parameters": {"Identity": "megan.bowen@contoso.com"},
        }
        return httpx.Response(
            200,
            json={
                "value": [
                    {
                        "PrimarySmtpAddress": "megan.bowen@contoso.com",
                        "RecipientTypeDetails": "UserMailbox",
                        "GrantSendOnBehalfTo": ["486C7190-c317-4729-9d12-d36309dc77cb"],
                    }
                ]
            },
        )

    exchange = make_exchange(handler)

    assert await exchange.send_on_behalf_trustees("megan.bowen@contoso.com") == {
        "486c7190-c317-4729-9d12-d36309dc77cb"  # a recipient name, kept as Exchange wrote it
    }
    assert await exchange.recipient_type("megan.bowen@contoso.com") == "UserMailbox"
    assert str(seen[0].url).startswith(MAILBOX_V2 + "?")
    assert "GrantSendOnBehalfTo" in seen[0].url.params["$select"]


async def test_discovery_resolves_the_identity_names_to_primary_addresses(
    make_exchange: MakeExchange,
) -> None:
    """Get-RecipientPermission -Trustee answers recipient names (often object ids) in its
    Identity column, not addresses: each is looked up to its primary SMTP address."""
    addresses = {
        "e80c0451-4917-4c80-bc33-a9367b469085": "Support@contoso.com",
        "Contoso HR": "hr@contoso.com",
    }

    async def handler(request: httpx.Request) -> httpx.Response:
        cmdlet = cmdlet_of(request)
        if cmdlet["CmdletName"] == "Get-RecipientPermission":
            assert str(request.url) == ENDPOINT
            assert cmdlet["Parameters"] == {"Trustee": "alex.wilber@contoso.com"}
            rows = [{"Identity": name, "AccessRights": ["SendAs"]} for name in addresses]
            return httpx.Response(200, json={"value": rows})
        assert str(request.url).startswith(MAILBOX_V2)
        name = cmdlet["Parameters"]["Identity"]  # Exchange matches names in any case
        address = {k.lower(): v for k, v in addresses.items()}[name.lower()]
        return httpx.Response(200, json={"value": [{"PrimarySmtpAddress": address}]})

    mailboxes = await make_exchange(handler).mailboxes_user_can_send_as("alex.wilber@contoso.com")

    assert mailboxes == {"support@contoso.com", "hr@contoso.com"}


async def test_a_trustee_name_is_resolved_to_an_identity_or_to_nobody(
    make_exchange: MakeExchange,
) -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        identity = cmdlet_of(request)["Parameters"]["Identity"]
        if identity == "Escalations Team":
            row = {
                "Name": "Escalations Team",
                "DisplayName": "Escalations Team",
                "PrimarySmtpAddress": "Escalations-Team@contoso.com",
                "RecipientTypeDetails": "MailUniversalSecurityGroup",
                "ExternalDirectoryObjectId": "C1111111-1111-4111-8111-111111111111",
            }
            return httpx.Response(200, json={"value": [row]})
        return httpx.Response(
            404,
            json={"error": {"code": "NotFound", "message": "Error executing cmdlet", "details": [
                {"message": "Ex6F9304|Microsoft.Exchange.Configuration.Tasks."
                            "ManagementObjectNotFoundException|not found"}]}},
        )  # fmt: skip

    exchange = make_exchange(handler)
    group = await exchange.recipient("Escalations Team")

    assert group is not None
    assert group.is_group
    assert group.object_id == "c1111111-1111-4111-8111-111111111111"
    assert group.primary_smtp == "escalations-team@contoso.com"
    assert await exchange.recipient("S-1-5-21-gone") is None


async def test_an_unknown_mailbox_raises_object_not_found(make_exchange: MakeExchange) -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            404,
            json={
                "error": {
                    "code": "NotFound",
                    "message": "Error executing cmdlet",
                    "details": [
                        {
                            "code": "Context",
                            "message": (
                                "Ex6F9304|Microsoft.Exchange.Configuration.Tasks."
                                "ManagementObjectNotFoundException|The operation couldn't be "
                                "performed because object 'nobody@contoso.com' couldn't be found."
                            ),
                        }
                    ],
                }
            },
        )

    with pytest.raises(ExchangeError) as caught:
        await make_exchange(handler).recipient_type("nobody@contoso.com")

    assert caught.value.status == 404
    assert caught.value.code == OBJECT_NOT_FOUND
    assert "couldn't be found" in caught.value.message


async def test_an_error_naming_its_exception_only_inside_innererror_gives_that_exception(
    make_exchange: MakeExchange,
) -> None:
    """OData writes ``innererror.internalexception`` (lower case) with a ``type``; there may
    be no ``details`` at all."""

    async def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            400,
            json={
                "error": {
                    "code": "BadRequest",
                    "message": "A parameter cannot be found that matches parameter name 'X'.",
                    "innererror": {
                        "message": "A parameter cannot be found that matches parameter name 'X'.",
                        "type": "Microsoft.Exchange.Admin.OData.Core.ODataServiceException",
                        "internalexception": {
                            "message": "A parameter cannot be found that matches parameter "
                            "name 'X'.",
                            "type": "System.Management.Automation.ParameterBindingException",
                        },
                    },
                }
            },
        )

    with pytest.raises(ExchangeError) as caught:
        await make_exchange(handler).send_as_trustees("support@contoso.com")

    assert (caught.value.status, caught.value.code) == (400, "ParameterBindingException")
    assert "matches parameter name 'X'" in caught.value.message


async def test_an_authorisation_error_keeps_its_code_and_message(
    make_exchange: MakeExchange,
) -> None:
    text = "User is not allowed to call Get-RecipientPermission"

    async def handler(request: httpx.Request) -> httpx.Response:
        inner = {
            "message": text,
            "type": "Microsoft.Exchange.Admin.OData.Core.ODataServiceException",
        }
        return httpx.Response(
            401, json={"error": {"code": "Unauthorized", "message": text, "innererror": inner}}
        )

    with pytest.raises(ExchangeError) as caught:
        await make_exchange(handler).send_as_trustees("support@contoso.com")

    assert (caught.value.status, caught.value.code) == (401, "Unauthorized")
    assert text in caught.value.message


async def test_busy_and_unreachable_are_retried_then_reported(
    make_exchange: MakeExchange, sleeps: SleepRecorder
) -> None:
    calls = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            return httpx.Response(429, headers={"Retry-After": "2"}, json={"error": {}})
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(ExchangeError) as caught:
        await make_exchange(handler).send_as_trustees("support@contoso.com")

    assert caught.value.status == 0
    assert calls == 3
    assert sleeps.waits[0] == 2


async def test_a_forbidden_answer_is_not_retried(make_exchange: MakeExchange) -> None:
    calls = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(403, json={"error": {"code": "Forbidden", "message": "no role"}})

    with pytest.raises(ExchangeError) as caught:
        await make_exchange(handler).full_access_trustees("support@contoso.com")

    assert (caught.value.status, caught.value.code) == (403, "Forbidden")
    assert calls == 1


async def test_a_next_link_elsewhere_is_refused(make_exchange: MakeExchange) -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, json={"value": [], "@odata.nextLink": "https://evil.example/InvokeCommand"}
        )

    with pytest.raises(ExchangeError, match="elsewhere"):
        await make_exchange(handler).send_as_trustees("support@contoso.com")


def test_a_tenant_id_needs_the_organization_domain_for_the_anchor() -> None:
    with pytest.raises(ValueError, match="organization"):
        ExchangeAdminClient(httpx.AsyncClient(), FixedTokens(), BASE, TENANT)
