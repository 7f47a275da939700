"""GraphClient against the emulator over real HTTPS: typed errors with request ids, honest
retries, the per-mailbox limiter, and reconciliation by Mailroom id."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

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
from bot.graph import (
    APP,
    AsUser,
    BatchRequest,
    Caller,
    EmailAddress,
    GraphClient,
    MailboxLimiter,
    MailMessage,
    MaybeSent,
    NotSent,
    SendOutcome,
    Sent,
)
from bot.identity import EXCHANGE_RESOURCE, GRAPH_RESOURCE, MsalTokenProvider
from bot.netclient import RetryPolicy
from emulator.testing import RunningEmulator
from tests.clients.conftest import LIVE_TIMEOUTS, RealSleep

NOREPLY = "noreply@contoso.com"
SUPPORT = "support@contoso.com"
CUSTOMER = "customer@fabrikam.example"


def message(mailroom_id: str, **fields: Any) -> MailMessage:
    fields.setdefault("to", (EmailAddress(CUSTOMER),))
    return MailMessage(
        mailroom_id=mailroom_id, subject=f"About {mailroom_id}", html_body="<p>Hi</p>", **fields
    )


def user(emulator: RunningEmulator, upn: str) -> AsUser:
    account = emulator.tenant.account(upn)
    assert account is not None
    return AsUser(account.id, emulator.control.mint_user_token(upn), mailbox=upn)


def sends_logged(emulator: RunningEmulator) -> list[dict[str, Any]]:
    return [e for e in emulator.control.request_log() if e["path"].endswith("/sendMail")]


def make_graph(
    emulator: RunningEmulator,
    http: httpx.AsyncClient,
    tokens: MsalTokenProvider,
    **overrides: Any,
) -> GraphClient:
    overrides.setdefault("limiter", MailboxLimiter())
    overrides.setdefault("retry", RetryPolicy(max_attempts=1))
    overrides.setdefault("timeouts", LIVE_TIMEOUTS)
    return GraphClient(http, tokens, f"{emulator.base_url}/v1.0", **overrides)


# --- each error, typed, with the request id the service logged ------------------------------


def _not_sent(outcome: SendOutcome) -> GraphError:
    assert isinstance(outcome, NotSent), outcome
    assert isinstance(outcome.error, GraphError)
    return outcome.error


async def _send_as_johanna_from_support(emulator: RunningEmulator, graph: GraphClient) -> Any:
    johanna = user(emulator, "johanna.lorenz@contoso.com")
    sender = EmailAddress(SUPPORT)
    return await graph.send_mail(johanna, message("mr-e1", sender=sender))


async def _send_from_outside_rbac_scope(emulator: RunningEmulator, graph: GraphClient) -> Any:
    return await graph.send_mail(APP, message("mr-e2"), mailbox="johanna.lorenz@contoso.com")


async def _send_to_a_bad_address(emulator: RunningEmulator, graph: GraphClient) -> Any:
    return await graph.send_mail(
        APP, message("mr-e3", to=(EmailAddress("not an address@"),)), mailbox=NOREPLY
    )


async def _send_too_large(emulator: RunningEmulator, graph: GraphClient) -> Any:
    emulator.control.set_limits(max_message_bytes=2048)
    big = MailMessage("mr-e4", "big", "<p>" + "x" * 4096 + "</p>", to=(EmailAddress(CUSTOMER),))
    return await graph.send_mail(APP, big, mailbox=NOREPLY)


async def _send_from_nobody(emulator: RunningEmulator, graph: GraphClient) -> Any:
    return await graph.send_mail(APP, message("mr-e5"), mailbox="nobody@contoso.com")


async def _send_from_a_user_without_mailbox(emulator: RunningEmulator, graph: GraphClient) -> Any:
    return await graph.send_mail(APP, message("mr-e6"), mailbox="patti.fernandez@contoso.com")


def _faulted(status: int, code: str, kind: str = "error") -> Callable[..., Any]:
    async def send(emulator: RunningEmulator, graph: GraphClient) -> Any:
        emulator.control.add_fault("POST", "/v1.0/users/*/sendMail", kind, status=status, code=code)
        return await graph.send_mail(APP, message("mr-f"), mailbox=NOREPLY)

    return send


@pytest.mark.parametrize(
    ("provoke", "expected", "code"),
    [
        (_send_as_johanna_from_support, SendAsDenied, "ErrorSendAsDenied"),
        (_send_from_outside_rbac_scope, AccessDenied, "ErrorAccessDenied"),
        (_send_to_a_bad_address, InvalidRecipients, "ErrorInvalidRecipients"),
        (_send_too_large, MessageTooLarge, "ErrorMessageSizeExceeded"),
        (_send_from_nobody, MailboxNotFound, "ErrorInvalidUser"),
        (
            _send_from_a_user_without_mailbox,
            MailboxNotEnabledForRest,
            "MailboxNotEnabledForRESTAPI",
        ),
        (_faulted(400, "ErrorQuotaExceeded"), QuotaExceeded, "ErrorQuotaExceeded"),
        (_faulted(404, "ErrorNonExistentMailbox"), MailboxNotFound, "ErrorNonExistentMailbox"),
        (_faulted(429, "TooManyRequests", "throttle"), Throttled, "TooManyRequests"),
        (_faulted(503, "ErrorServerBusy"), ServiceUnavailable, "ErrorServerBusy"),
    ],
    ids=lambda v: v if isinstance(v, str) else getattr(v, "__name__", None),
)
async def test_each_graph_error_maps_to_its_exception_with_the_request_id(
    emulator: RunningEmulator,
    live_http: httpx.AsyncClient,
    msal_tokens: MsalTokenProvider,
    provoke: Callable[..., Any],
    expected: type[GraphError],
    code: str,
) -> None:
    graph = make_graph(emulator, live_http, msal_tokens)

    error = _not_sent(await provoke(emulator, graph))

    assert type(error) is expected
    assert error.code == code
    (logged,) = sends_logged(emulator)
    assert error.request_id == logged["request_id"]
    assert error.client_request_id == logged["client_request_id"]


async def test_a_token_for_the_wrong_audience_is_unauthorized(
    emulator: RunningEmulator, live_http: httpx.AsyncClient, msal_tokens: MsalTokenProvider
) -> None:
    graph = make_graph(emulator, live_http, msal_tokens, resource=EXCHANGE_RESOURCE)

    error = _not_sent(await graph.send_mail(APP, message("mr-401"), mailbox=NOREPLY))

    assert isinstance(error, Unauthorized)
    assert error.code == "InvalidAuthenticationToken"
    assert error.request_id == sends_logged(emulator)[0]["request_id"]


# --- retries and outcomes ------------------------------------------------------------------


async def test_429_with_retry_after_1_5_is_waited_out_and_retried(
    emulator: RunningEmulator, live_graph: GraphClient, real_sleeps: RealSleep
) -> None:
    emulator.control.add_fault("POST", "/v1.0/users/*/sendMail", "throttle", retry_after=1.5)

    outcome = await live_graph.send_mail(APP, message("mr-429"), mailbox=NOREPLY)

    assert isinstance(outcome, Sent)
    assert outcome.attempts == 2
    assert real_sleeps.waits == [1.5]
    logged = sends_logged(emulator)
    assert [e["status"] for e in logged] == [429, 202]
    assert logged[0]["client_request_id"] != logged[1]["client_request_id"]
    assert len(emulator.control.mailbox(NOREPLY, "sentitems")) == 1


async def test_a_burst_of_twenty_sends_to_one_mailbox_draws_no_429(
    emulator: RunningEmulator, live_graph: GraphClient
) -> None:
    emulator.control.set_message_rate(1000)
    emulator.control.set_latency(30, 20, path_pattern="/v1.0/users/*/sendMail")

    outcomes = await asyncio.gather(
        *(live_graph.send_mail(APP, message(f"mr-b{i}"), mailbox=NOREPLY) for i in range(20))
    )

    assert all(isinstance(o, Sent) and o.attempts == 1 for o in outcomes)
    assert [e["status"] for e in sends_logged(emulator)] == [202] * 20
    assert len(emulator.control.mailbox(NOREPLY, "sentitems")) == 20


async def test_without_the_limiter_the_same_burst_is_throttled(
    emulator: RunningEmulator, live_http: httpx.AsyncClient, msal_tokens: MsalTokenProvider
) -> None:
    """The control experiment: the emulator does enforce Outlook's limit of 4."""
    emulator.control.set_message_rate(1000)
    emulator.control.set_latency(30, 20, path_pattern="/v1.0/users/*/sendMail")
    graph = make_graph(emulator, live_http, msal_tokens, limiter=MailboxLimiter(per_mailbox=20))

    outcomes = await asyncio.gather(
        *(graph.send_mail(APP, message(f"mr-c{i}"), mailbox=NOREPLY) for i in range(20))
    )

    assert 429 in [e["status"] for e in sends_logged(emulator)]
    assert any(isinstance(o, NotSent) and isinstance(o.error, Throttled) for o in outcomes)


async def test_drop_after_accept_is_maybe_sent_not_retried_and_found_in_sent_items(
    emulator: RunningEmulator, live_graph: GraphClient
) -> None:
    emulator.control.add_fault("POST", "/v1.0/users/*/sendMail", "drop_after_accept")

    outcome = await live_graph.send_mail(APP, message("mr-drop"), mailbox=NOREPLY)

    assert isinstance(outcome, MaybeSent)
    assert outcome.attempts == 1
    assert len(sends_logged(emulator)) == 1
    found = await live_graph.find_by_mailroom_id(NOREPLY, "mr-drop")
    assert found is not None
    assert found.folder == "sentitems"
    assert not found.is_draft


async def test_close_before_read_is_not_sent_and_retried(
    emulator: RunningEmulator, live_graph: GraphClient, msal_tokens: MsalTokenProvider
) -> None:
    await msal_tokens.app_token(GRAPH_RESOURCE)  # msal's pooled connection is already open
    emulator.control.add_fault("POST", "/v1.0/users/*/sendMail", "close_before_read")

    outcome = await live_graph.send_mail(APP, message("mr-cbr"), mailbox=NOREPLY)

    assert isinstance(outcome, Sent)
    assert outcome.attempts == 2
    assert len(emulator.control.mailbox(NOREPLY, "sentitems")) == 1


async def test_a_reset_after_the_request_was_written_is_maybe_sent_and_reconciliation_finds_nothing(
    emulator: RunningEmulator, live_graph: GraphClient
) -> None:
    """The connection is reset after the request was written but before Exchange accepted
    it: the client cannot know, says MaybeSent, and the lookup by Mailroom id shows it is
    safe to send again."""
    emulator.control.add_fault("POST", "/v1.0/users/*/sendMail", "drop_before_accept")

    outcome = await live_graph.send_mail(APP, message("mr-cbr2"), mailbox=NOREPLY)

    assert isinstance(outcome, MaybeSent)
    assert len(sends_logged(emulator)) == 1
    assert await live_graph.find_by_mailroom_id(NOREPLY, "mr-cbr2") is None
    resent = await live_graph.send_mail(APP, message("mr-cbr2"), mailbox=NOREPLY)
    assert isinstance(resent, Sent)


async def test_a_gateway_timeout_on_a_send_is_maybe_sent_not_retried(
    emulator: RunningEmulator, live_graph: GraphClient
) -> None:
    emulator.control.add_fault("POST", "/v1.0/users/*/sendMail", "error", status=504, code="x")

    outcome = await live_graph.send_mail(APP, message("mr-504"), mailbox=NOREPLY)

    assert isinstance(outcome, MaybeSent)
    assert outcome.status == 504
    assert outcome.request_id == sends_logged(emulator)[0]["request_id"]
    assert len(sends_logged(emulator)) == 1


async def test_a_busy_server_is_retried_until_it_accepts(
    emulator: RunningEmulator, live_graph: GraphClient
) -> None:
    emulator.control.add_fault("POST", "/v1.0/users/*/sendMail", "error", status=503, count=2)

    outcome = await live_graph.send_mail(APP, message("mr-503"), mailbox=NOREPLY)

    assert isinstance(outcome, Sent)
    assert [e["status"] for e in sends_logged(emulator)] == [503, 503, 202]


# --- the forms of sending and finding ------------------------------------------------------


@pytest.mark.parametrize(
    ("upn", "mailbox"),
    [
        ("grady.archie@contoso.com", SUPPORT),
        ("lynne.robbins@contoso.com", "megan.bowen@contoso.com"),
    ],
    ids=["send-as", "send-on-behalf"],
)
async def test_delegated_send_from_another_mailbox_sets_from(
    emulator: RunningEmulator, live_graph: GraphClient, upn: str, mailbox: str
) -> None:
    caller = user(emulator, upn)

    outcome = await live_graph.send_mail(caller, message("mr-d", sender=EmailAddress(mailbox)))

    assert isinstance(outcome, Sent)
    (copy,) = emulator.control.mailbox(upn, "sentitems")
    assert copy["from"]["emailAddress"]["address"] == mailbox
    found = await live_graph.find_by_mailroom_id(upn, "mr-d", caller=caller)
    assert found is not None


async def test_a_draft_is_found_in_drafts_then_in_sent_items_once_sent(
    emulator: RunningEmulator, live_graph: GraphClient
) -> None:
    draft = await live_graph.create_draft(APP, message("mr-draft"), mailbox="hr@contoso.com")

    in_drafts = await live_graph.find_by_mailroom_id("hr@contoso.com", "mr-draft")
    assert in_drafts is not None
    assert (in_drafts.folder, in_drafts.is_draft) == ("drafts", True)

    outcome = await live_graph.send_draft(APP, draft)

    assert isinstance(outcome, Sent)
    sent = await live_graph.find_by_mailroom_id("hr@contoso.com", "mr-draft")
    assert sent is not None
    assert sent.folder == "sentitems"
    (copy,) = emulator.control.mailbox("hr@contoso.com", "sentitems")
    headers = {h["name"].lower(): h["value"] for h in copy["internetMessageHeaders"]}
    assert headers["x-mailroom-id"] == "mr-draft"


async def test_batch_sends_items_and_types_their_errors(
    emulator: RunningEmulator, live_graph: GraphClient
) -> None:
    good = {"message": message("mr-batch").to_graph(), "saveToSentItems": True}
    requests = [
        BatchRequest("1", "POST", f"/users/{NOREPLY}/sendMail", body=good),
        BatchRequest("2", "POST", "/users/nobody@contoso.com/sendMail", body=good),
    ]

    answers = await live_graph.batch(APP, requests, mailbox=NOREPLY)

    assert [a.status for a in answers] == [202, 404]
    assert isinstance(answers[1].error(), MailboxNotFound)


# --- directory -----------------------------------------------------------------------------


async def test_group_membership_includes_nested_groups(
    emulator: RunningEmulator, live_graph: GraphClient
) -> None:
    support_agents = "a0353d9e-cdec-4617-8159-f7b503bf84c5"
    hr_team = "b5f44c90-245e-43d1-aeb9-4742c8f1c9e4"
    all_staff = "9630b2c5-1f85-4524-a0c3-ba242d39dcc3"
    adele = "adele.vance@contoso.com"

    member = await live_graph.check_member_groups(APP, adele, [support_agents, hr_team, all_staff])
    groups = await live_graph.transitive_member_of(APP, adele)

    assert member == {support_agents, all_staff}
    assert {support_agents, all_staff} <= {g.id for g in groups}
    assert hr_team not in {g.id for g in groups}


async def test_an_unknown_user_is_mailbox_not_found(live_graph: GraphClient) -> None:
    caller: Caller = APP
    with pytest.raises(MailboxNotFound) as caught:
        await live_graph.get_user(caller, "nobody@contoso.com")

    assert caught.value.request_id
