"""GraphClient against ``httpx.MockTransport``: retries, outcomes, limits, request shape.

The handlers answer in Graph's wire format. A handler that "writes" the request first calls
the trace hook httpcore would call (``mark_written``), so a failure after it is a failure
after the request reached the network.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from urllib.parse import unquote

import httpx
import pytest

from bot.errors import (
    AccessDenied,
    GraphError,
    GraphTransportError,
    InvalidRecipients,
    MailboxNotFound,
    SendAsDenied,
    ServiceUnavailable,
    Throttled,
    TokenAcquisitionError,
)
from bot.graph import (
    APP,
    AsUser,
    BatchRequest,
    Created,
    DraftRef,
    EmailAddress,
    GraphClient,
    MailboxLimiter,
    MailMessage,
    MaybeSent,
    NotSent,
    Sent,
)
from bot.netclient import RetryPolicy, Timeouts
from tests.clients.helpers import (
    GRAPH,
    FixedTokens,
    SleepRecorder,
    graph_error,
    mark_written,
)

MakeGraph = Callable[..., GraphClient]

MESSAGE = MailMessage(
    mailroom_id="mr-42",
    subject="Hello",
    html_body="<p>Hi</p>",
    to=(EmailAddress("customer@example.com"),),
)


def accepted() -> httpx.Response:
    return httpx.Response(202, headers={"request-id": "graph-req-1"})


# --- request shape -----------------------------------------------------------------------


async def test_app_send_posts_the_message_to_the_mailbox_with_app_token(
    make_graph: MakeGraph,
) -> None:
    seen: list[httpx.Request] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return accepted()

    outcome = await make_graph(handler).send_mail(APP, MESSAGE, mailbox="noreply@contoso.com")

    assert isinstance(outcome, Sent)
    assert outcome.request_id == "graph-req-1"
    (request,) = seen
    assert request.method == "POST"
    assert str(request.url) == f"{GRAPH}/users/noreply@contoso.com/sendMail"
    assert request.headers["authorization"] == "Bearer app-token-for-https://graph.microsoft.com"
    body = json.loads(request.content)
    assert body["saveToSentItems"] is True
    assert body["message"]["subject"] == "Hello"
    assert request.headers["client-request-id"] == outcome.client_request_id


async def test_delegated_send_without_mailbox_uses_me_and_the_users_token(
    make_graph: MakeGraph, tokens: FixedTokens
) -> None:
    seen: list[httpx.Request] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return accepted()

    user = AsUser(oid="user-1", sso_token="sso", mailbox="adele@contoso.com")
    sender = EmailAddress("support@contoso.com")
    message = MailMessage("mr-1", "s", "<p>b</p>", to=MESSAGE.to, sender=sender)

    outcome = await make_graph(handler).send_mail(user, message)

    assert isinstance(outcome, Sent)
    assert seen[0].url.path == "/v1.0/me/sendMail"
    assert seen[0].headers["authorization"] == "Bearer user-token-user-1"
    assert json.loads(seen[0].content)["message"]["from"]["emailAddress"]["address"] == (
        "support@contoso.com"
    )
    assert tokens.calls == [("user", "user-1", "https://graph.microsoft.com")]


async def test_an_app_call_must_name_its_mailbox(make_graph: MakeGraph) -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        return accepted()

    with pytest.raises(ValueError, match="mailbox"):
        await make_graph(handler).send_mail(APP, MESSAGE)


async def test_every_attempt_carries_a_fresh_client_request_id(make_graph: MakeGraph) -> None:
    ids: list[str] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        ids.append(request.headers["client-request-id"])
        if len(ids) < 3:
            return graph_error(429, "ApplicationThrottled", headers={"Retry-After": "0.1"})
        return accepted()

    outcome = await make_graph(handler).send_mail(APP, MESSAGE, mailbox="a@contoso.com")

    assert isinstance(outcome, Sent)
    assert outcome.attempts == 3
    assert len(set(ids)) == 3
    assert outcome.client_request_id == ids[-1]


# --- outcomes of a send ------------------------------------------------------------------


async def test_429_with_retry_after_is_waited_out_and_retried(
    make_graph: MakeGraph, sleeps: SleepRecorder
) -> None:
    answers = [graph_error(429, "TooManyRequests", headers={"Retry-After": "1.5"}), accepted()]

    async def handler(request: httpx.Request) -> httpx.Response:
        return answers.pop(0)

    outcome = await make_graph(handler).send_mail(APP, MESSAGE, mailbox="a@contoso.com")

    assert isinstance(outcome, Sent)
    assert outcome.attempts == 2
    assert sleeps.waits == [1.5]


async def test_a_retry_after_longer_than_the_cap_gives_up_with_the_throttle(
    make_graph: MakeGraph, sleeps: SleepRecorder
) -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        return graph_error(429, "TooManyRequests", headers={"Retry-After": "300"})

    outcome = await make_graph(handler).send_mail(APP, MESSAGE, mailbox="a@contoso.com")

    assert isinstance(outcome, NotSent)
    assert isinstance(outcome.error, Throttled)
    assert outcome.error.retry_after == 300
    assert sleeps.waits == []


async def test_a_retry_after_beyond_the_total_time_gives_up(
    make_graph: MakeGraph, sleeps: SleepRecorder
) -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        return graph_error(429, "TooManyRequests", headers={"Retry-After": "20"})

    graph = make_graph(handler, timeouts=Timeouts(connect=1, read=5, total=10))
    outcome = await graph.send_mail(APP, MESSAGE, mailbox="a@contoso.com")

    assert isinstance(outcome, NotSent)
    assert outcome.attempts == 1
    assert sleeps.waits == []


async def test_a_503_to_a_read_is_retried_with_backoff_until_attempts_run_out(
    make_graph: MakeGraph, sleeps: SleepRecorder
) -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        return graph_error(503, "ErrorServerBusy")

    graph = make_graph(handler, retry=RetryPolicy(max_attempts=3, base_delay=0.1, max_delay=1))
    with pytest.raises(ServiceUnavailable):
        await graph.get_user(APP, "adele@contoso.com")

    assert sleeps.waits == pytest.approx([0.075, 0.15])  # jitter 0.5: 3/4 of each step


async def test_a_503_to_a_send_is_maybe_sent_with_its_retry_after_and_never_retried(
    make_graph: MakeGraph,
) -> None:
    calls = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return graph_error(503, "ErrorServerBusy", headers={"Retry-After": "2"})

    outcome = await make_graph(handler).send_mail(APP, MESSAGE, mailbox="a@contoso.com")

    assert isinstance(outcome, MaybeSent)
    assert (outcome.status, outcome.retry_after, calls) == (503, 2.0, 1)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_other_5xx_after_a_send_is_maybe_sent_and_never_retried(
    make_graph: MakeGraph, status: int
) -> None:
    calls = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return graph_error(status, "UnknownError")

    outcome = await make_graph(handler).send_mail(APP, MESSAGE, mailbox="a@contoso.com")

    assert isinstance(outcome, MaybeSent)
    assert outcome.status == status
    assert outcome.request_id == "req-UnknownError"
    assert calls == 1


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (403, "ErrorSendAsDenied", SendAsDenied),
        (400, "ErrorInvalidRecipients", InvalidRecipients),
        (404, "ErrorNonExistentMailbox", MailboxNotFound),
    ],
)
async def test_a_4xx_answer_is_not_sent_and_not_retried(
    make_graph: MakeGraph, status: int, code: str, expected: type[GraphError]
) -> None:
    calls = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return graph_error(status, code)

    outcome = await make_graph(handler).send_mail(APP, MESSAGE, mailbox="a@contoso.com")

    assert isinstance(outcome, NotSent)
    assert type(outcome.error) is expected
    assert outcome.error.request_id == f"req-{code}"
    assert calls == 1


async def test_a_failure_before_the_request_was_written_is_not_sent_and_retried(
    make_graph: MakeGraph,
) -> None:
    calls = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise httpx.ConnectError("connection refused", request=request)
        return accepted()

    outcome = await make_graph(handler).send_mail(APP, MESSAGE, mailbox="a@contoso.com")

    assert isinstance(outcome, Sent)
    assert outcome.attempts == 2


async def test_a_failure_after_the_request_was_written_is_maybe_sent_and_not_retried(
    make_graph: MakeGraph,
) -> None:
    calls = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        await mark_written(request)
        raise httpx.RemoteProtocolError("Server disconnected", request=request)

    outcome = await make_graph(handler).send_mail(APP, MESSAGE, mailbox="a@contoso.com")

    assert isinstance(outcome, MaybeSent)
    assert outcome.status is None
    assert "after the request was written" in outcome.reason
    assert calls == 1


async def test_a_read_timeout_after_writing_is_maybe_sent(make_graph: MakeGraph) -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        await mark_written(request)
        raise httpx.ReadTimeout("timed out", request=request)

    outcome = await make_graph(handler).send_mail(APP, MESSAGE, mailbox="a@contoso.com")

    assert isinstance(outcome, MaybeSent)


async def test_not_sent_transport_failures_end_as_not_sent_when_attempts_run_out(
    make_graph: MakeGraph,
) -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("connect timeout", request=request)

    outcome = await make_graph(handler).send_mail(APP, MESSAGE, mailbox="a@contoso.com")

    assert isinstance(outcome, NotSent)
    assert isinstance(outcome.error, GraphTransportError)
    assert outcome.error.sent == "not"
    assert outcome.attempts == 4


async def test_a_refused_token_is_not_sent(make_graph: MakeGraph) -> None:
    class RefusingTokens(FixedTokens):
        async def app_token(self, resource: str) -> str:
            raise TokenAcquisitionError("invalid_client", "AADSTS7000215: Invalid client secret")

    async def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError("nothing may be sent without a token")

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    graph = GraphClient(http, RefusingTokens(), GRAPH, limiter=MailboxLimiter())
    outcome = await graph.send_mail(APP, MESSAGE, mailbox="a@contoso.com")
    await http.aclose()

    assert isinstance(outcome, NotSent)
    assert isinstance(outcome.error, TokenAcquisitionError)
    assert outcome.attempts == 0


async def test_a_hanging_answer_ends_at_the_total_deadline_as_maybe_sent(
    make_graph: MakeGraph,
) -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        await mark_written(request)
        await asyncio.Event().wait()  # never answers
        raise AssertionError("unreachable")

    graph = make_graph(handler, timeouts=Timeouts(connect=0.05, read=0.05, total=0.05))
    outcome = await graph.send_mail(APP, MESSAGE, mailbox="a@contoso.com")

    assert isinstance(outcome, MaybeSent)
    assert "total time" in outcome.reason


# --- concurrency -------------------------------------------------------------------------


async def test_no_more_than_four_requests_are_in_flight_per_mailbox(
    make_graph: MakeGraph,
) -> None:
    in_flight = {"support@contoso.com": 0, "hr@contoso.com": 0}
    peak = dict.fromkeys(in_flight, 0)
    release = asyncio.Event()
    arrived = asyncio.Condition()

    async def handler(request: httpx.Request) -> httpx.Response:
        mailbox = unquote(request.url.path.split("/")[3])
        in_flight[mailbox] += 1
        peak[mailbox] = max(peak[mailbox], in_flight[mailbox])
        async with arrived:
            arrived.notify_all()
        await release.wait()
        in_flight[mailbox] -= 1
        return accepted()

    limiter = MailboxLimiter(per_mailbox=4)
    graph = make_graph(handler, limiter=limiter)
    sends = [
        asyncio.create_task(graph.send_mail(APP, MESSAGE, mailbox=mailbox))
        for mailbox in ("support@contoso.com", "hr@contoso.com")
        for _ in range(10)
    ]
    async with arrived:
        await arrived.wait_for(lambda: sum(in_flight.values()) == 8)
    assert limiter.in_flight("SUPPORT@contoso.com") == 4
    release.set()
    outcomes = await asyncio.gather(*sends)

    assert all(isinstance(o, Sent) for o in outcomes)
    assert peak == {"support@contoso.com": 4, "hr@contoso.com": 4}
    assert limiter.in_flight("support@contoso.com") == 0


async def test_waiting_for_a_slot_past_the_deadline_is_not_sent(make_graph: MakeGraph) -> None:
    limiter = MailboxLimiter(per_mailbox=1)

    async def handler(request: httpx.Request) -> httpx.Response:
        return accepted()

    graph = make_graph(
        handler, limiter=limiter, timeouts=Timeouts(connect=0.05, read=0.05, total=0.05)
    )
    async with limiter.slot("a@contoso.com"):
        outcome = await graph.send_mail(APP, MESSAGE, mailbox="a@contoso.com")

    assert isinstance(outcome, NotSent)
    assert isinstance(outcome.error, GraphTransportError)
    assert outcome.error.sent == "not"
    assert outcome.attempts == 0


# --- reads -------------------------------------------------------------------------------


async def test_reads_are_retried_even_after_the_request_was_written(
    make_graph: MakeGraph,
) -> None:
    calls = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            await mark_written(request)
            raise httpx.ReadError("reset", request=request)
        if calls == 2:
            return graph_error(504, "GatewayTimeout")
        return httpx.Response(200, json={"id": "u1", "displayName": "Adele Vance"})

    user = await make_graph(handler).get_user(APP, "adele@contoso.com")

    assert user.id == "u1"
    assert user.display_name == "Adele Vance"
    assert calls == 3


async def test_find_by_mailroom_id_searches_the_whole_mailbox_on_the_extended_property(
    make_graph: MakeGraph,
) -> None:
    seen: list[httpx.Request] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            200,
            json={
                "value": [
                    {"id": "draft-1", "isDraft": True, "parentFolderId": "AQMk=", "subject": "Hi"},
                    {"id": "sent-1", "isDraft": False, "sentDateTime": "2026-12-01T10:00:00Z"},
                ]
            },
        )

    found = await make_graph(handler).find_by_mailroom_id("support@contoso.com", "mr-42")

    assert [(m.id, m.is_draft) for m in found] == [("draft-1", True), ("sent-1", False)]
    assert found[0].folder_id == "AQMk="
    [request] = seen
    assert request.url.path == "/v1.0/users/support@contoso.com/messages"
    raw_query = request.url.query.decode()
    assert "+" not in raw_query
    assert unquote(raw_query).startswith(
        "$filter=singleValueExtendedProperties/any(ep:ep/id eq "
        "'String {71c4cd5a-e31c-4c9c-83b1-138216e831ed} Name MailroomId' "
        "and ep/value eq 'mr-42')"
    )


async def test_find_by_mailroom_id_answers_nothing_found_as_an_empty_list(
    make_graph: MakeGraph,
) -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"value": []})

    assert await make_graph(handler).find_by_mailroom_id("a@contoso.com", "mr-9") == []


async def test_a_refused_lookup_raises_rather_than_answering_nothing_found(
    make_graph: MakeGraph,
) -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        return graph_error(404, "ErrorItemNotFound")

    with pytest.raises(GraphError):
        await make_graph(handler).find_by_mailroom_id("shared@contoso.com", "mr-9")


async def test_check_member_groups_asks_twenty_ids_at_a_time(make_graph: MakeGraph) -> None:
    batches: list[list[str]] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        ids = json.loads(request.content)["groupIds"]
        batches.append(ids)
        return httpx.Response(200, json={"value": [i for i in ids if i.endswith("7")]})

    wanted = [f"g{i}" for i in range(45)]
    found = await make_graph(handler).check_member_groups(APP, "u1", wanted)

    assert [len(b) for b in batches] == [20, 20, 5]
    assert found == {"g7", "g17", "g27", "g37"}


async def test_transitive_member_of_follows_next_links_and_keeps_only_groups(
    make_graph: MakeGraph,
) -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        if "page=2" in str(request.url):
            return httpx.Response(
                200, json={"value": [{"@odata.type": "#microsoft.graph.group", "id": "g2"}]}
            )
        return httpx.Response(
            200,
            json={
                "value": [
                    {"@odata.type": "#microsoft.graph.group", "id": "g1", "displayName": "HR"},
                    {"@odata.type": "#microsoft.graph.directoryRole", "id": "r1"},
                ],
                "@odata.nextLink": f"{GRAPH}/users/u1/transitiveMemberOf?page=2",
            },
        )

    groups = await make_graph(handler).transitive_member_of(APP, "u1")

    assert [g.id for g in groups] == ["g1", "g2"]


async def test_a_next_link_to_another_host_is_refused(make_graph: MakeGraph) -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, json={"value": [], "@odata.nextLink": "https://evil.example/v1.0/steal"}
        )

    with pytest.raises(GraphError, match="next page"):
        await make_graph(handler).transitive_member_of(APP, "u1")


# --- drafts and $batch -------------------------------------------------------------------


async def test_create_draft_then_send_it(make_graph: MakeGraph) -> None:
    seen: list[tuple[str, str]] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.method, request.url.path))
        if request.url.path.endswith("/messages"):
            return httpx.Response(201, json={"id": "AAMk=draft", "isDraft": True})
        return accepted()

    graph = make_graph(handler)
    created = await graph.create_draft(APP, MESSAGE, mailbox="hr@contoso.com")
    assert isinstance(created, Created)
    outcome = await graph.send_draft(APP, created.draft)

    assert created.draft == DraftRef(id="AAMk=draft", mailbox="hr@contoso.com")
    assert isinstance(outcome, Sent)
    assert seen == [
        ("POST", "/v1.0/users/hr@contoso.com/messages"),
        ("POST", "/v1.0/users/hr@contoso.com/messages/AAMk=draft/send"),
    ]


@pytest.mark.parametrize("status", [500, 503])
async def test_a_draft_whose_creation_may_have_happened_is_maybe_and_not_retried(
    make_graph: MakeGraph, status: int
) -> None:
    calls = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            await mark_written(request)
            raise httpx.ReadError("reset", request=request)
        return graph_error(status, "ErrorServerBusy")

    graph = make_graph(handler)
    dropped = await graph.create_draft(APP, MESSAGE, mailbox="hr@contoso.com")
    busy = await graph.create_draft(APP, MESSAGE, mailbox="hr@contoso.com")

    assert isinstance(dropped, MaybeSent)
    assert dropped.status is None
    assert isinstance(busy, MaybeSent)
    assert busy.status == status
    assert calls == 2


async def test_a_refused_draft_is_not_created(make_graph: MakeGraph) -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        return graph_error(403, "ErrorAccessDenied")

    created = await make_graph(handler).create_draft(APP, MESSAGE, mailbox="hr@contoso.com")

    assert isinstance(created, NotSent)
    assert isinstance(created.error, AccessDenied)


async def test_deleting_an_item_already_gone_is_fine(make_graph: MakeGraph) -> None:
    seen: list[str] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.method)
        return graph_error(404, "ErrorItemNotFound")

    await make_graph(handler).delete_message(APP, "hr@contoso.com", "AAMk=gone")

    assert seen == ["DELETE"]


async def test_batch_answers_in_request_order_with_typed_item_errors(
    make_graph: MakeGraph,
) -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        sent = json.loads(request.content)["requests"]
        assert sent[1]["dependsOn"] == ["1"]
        assert sent[1]["headers"] == {"Content-Type": "application/json"}
        return httpx.Response(
            200,
            json={
                "responses": [
                    {
                        "id": "2",
                        "status": 424,
                        "body": {"error": {"code": "FailedDependency", "message": "dep"}},
                    },
                    {
                        "id": "1",
                        "status": 403,
                        "body": {"error": {"code": "ErrorSendAsDenied", "message": "no"}},
                    },
                ]
            },
        )

    requests = [
        BatchRequest("1", "POST", "/users/a@contoso.com/sendMail", body={"message": {}}),
        BatchRequest(
            "2", "POST", "/users/a@contoso.com/sendMail", body={"message": {}}, depends_on=("1",)
        ),
    ]
    answers = await make_graph(handler).batch(APP, requests, mailbox="a@contoso.com")

    assert [a.id for a in answers] == ["1", "2"]
    assert isinstance(answers[0].error(), SendAsDenied)
    error = answers[1].error()
    assert error is not None
    assert error.status == 424


async def test_a_batch_holds_at_most_twenty_requests(make_graph: MakeGraph) -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError("must not be sent")

    requests = [BatchRequest(str(i), "GET", "/me") for i in range(21)]
    with pytest.raises(ValueError, match="20"):
        await make_graph(handler).batch(APP, requests)
