"""ExchangeAdminClient against the emulator's admin API (InvokeCommand and the v2.0
Mailbox endpoint) over HTTPS."""

from __future__ import annotations

import httpx
import pytest

from bot.errors import ExchangeError
from bot.exchange import OBJECT_NOT_FOUND, ExchangeAdminClient
from bot.identity import MsalTokenProvider
from bot.netclient import RetryPolicy
from emulator.testing import RunningEmulator
from tests.clients.conftest import LIVE_TIMEOUTS

ADELE = "adele.vance@contoso.com"
ALEX = "alex.wilber@contoso.com"
GRADY = "grady.archie@contoso.com"
SUPPORT = "support@contoso.com"


@pytest.fixture
def exchange(
    emulator: RunningEmulator, live_http: httpx.AsyncClient, msal_tokens: MsalTokenProvider
) -> ExchangeAdminClient:
    return ExchangeAdminClient(
        live_http,
        msal_tokens,
        emulator.base_url,
        emulator.tenant_id,
        organization=emulator.domain,
        retry=RetryPolicy(max_attempts=3, base_delay=0.05, max_delay=0.2),
        timeouts=LIVE_TIMEOUTS,
        page_size=1,
    )


def invocations(emulator: RunningEmulator) -> list[dict[str, object]]:
    return [e for e in emulator.control.request_log() if str(e["path"]).endswith("InvokeCommand")]


async def test_send_as_trustees_are_read_across_pages(
    emulator: RunningEmulator, exchange: ExchangeAdminClient
) -> None:
    trustees = await exchange.send_as_trustees(SUPPORT)

    assert trustees == {ADELE, ALEX, GRADY}
    calls = invocations(emulator)
    assert len(calls) == 3
    assert all(c["status"] == 200 for c in calls)
    assert [bool(c["query"]) for c in calls] == [False, True, True]


async def test_full_access_leaves_out_send_as_only_trustees(exchange: ExchangeAdminClient) -> None:
    assert await exchange.full_access_trustees(SUPPORT) == {ADELE, ALEX}


async def test_send_on_behalf_trustees_come_from_the_mailbox(
    exchange: ExchangeAdminClient,
) -> None:
    # Exchange lists delegates by recipient name: Lynne's object id, not her UPN.
    assert await exchange.send_on_behalf_trustees("megan.bowen@contoso.com") == {
        "486c7190-c317-4729-9d12-d36309dc77cb"
    }
    assert await exchange.send_on_behalf_trustees(SUPPORT) == frozenset()


async def test_recipient_type_tells_shared_from_user_mailboxes(
    exchange: ExchangeAdminClient,
) -> None:
    assert await exchange.recipient_type(SUPPORT) == "SharedMailbox"
    assert await exchange.recipient_type(ADELE) == "UserMailbox"


async def test_mailboxes_a_user_can_send_as(exchange: ExchangeAdminClient) -> None:
    assert await exchange.mailboxes_user_can_send_as(GRADY) == {SUPPORT}
    assert await exchange.mailboxes_user_can_send_as("johanna.lorenz@contoso.com") == frozenset()


async def test_an_unknown_mailbox_is_object_not_found(exchange: ExchangeAdminClient) -> None:
    with pytest.raises(ExchangeError) as caught:
        await exchange.recipient_type("nobody@contoso.com")

    assert caught.value.status == 404
    assert caught.value.code == OBJECT_NOT_FOUND
    assert "nobody@contoso.com" in caught.value.message


async def test_a_busy_exchange_is_retried(
    emulator: RunningEmulator, exchange: ExchangeAdminClient
) -> None:
    emulator.control.add_fault("POST", "/adminapi/*", "error", status=503, count=1)

    assert await exchange.full_access_trustees(SUPPORT) == {ADELE, ALEX}
    assert [c["status"] for c in invocations(emulator)][:2] == [503, 200]


async def test_an_app_without_the_exchange_role_is_refused(
    emulator: RunningEmulator, live_http: httpx.AsyncClient
) -> None:
    reporting = next(a for a in emulator.tenant.apps if not a.is_bot)
    tokens = MsalTokenProvider(
        emulator.base_url,
        emulator.tenant_id,
        reporting.client_id,
        reporting.secret,
        emulator.ca_path,
        timeouts=LIVE_TIMEOUTS,
    )
    client = ExchangeAdminClient(
        live_http, tokens, emulator.base_url, emulator.tenant_id, organization=emulator.domain
    )
    try:
        with pytest.raises(ExchangeError) as caught:
            await client.send_as_trustees(SUPPORT)
    finally:
        tokens.close()

    assert caught.value.status == 403
    assert len(invocations(emulator)) == 1
