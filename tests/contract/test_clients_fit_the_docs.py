"""Mailroom's clients send requests of the documented shape and read the documented answers
(tests/contract/examples/, each naming its Microsoft source page)."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import unquote

import httpx
import pytest

from bot.errors import ConsentRequired
from bot.exchange import ExchangeAdminClient
from bot.graph import APP, EmailAddress, GraphClient, MailboxLimiter, MailMessage
from bot.graph.models import DraftRef
from bot.graph.outcome import Created
from bot.identity.msal_provider import _token_or_raise
from bot.teams.invoke import (
    CardResult,
    ErrorResult,
    InvokeAction,
    LoginResult,
    MessageResult,
    parse_invoke_action,
    to_invoke_response,
)
from tests.clients.helpers import FixedTokens
from tests.contract.examples import example, fits

GRAPH = "https://graph.test/v1.0"
SUPPORT = "support@contoso.com"


class Recorder:
    """A MockTransport handler that answers with a documented response and keeps requests."""

    def __init__(self, status: int, body: Any) -> None:
        self.status = status
        self.body = body
        self.requests: list[httpx.Request] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        content = b"" if self.body is None else json.dumps(self.body).encode()
        return httpx.Response(self.status, content=content)


@pytest.fixture
async def http_for() -> AsyncIterator[Any]:
    clients: list[httpx.AsyncClient] = []

    def make(recorder: Recorder) -> httpx.AsyncClient:
        client = httpx.AsyncClient(transport=httpx.MockTransport(recorder))
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


def message() -> MailMessage:
    return MailMessage(
        mailroom_id="mr-contract-1",
        subject="Meet for lunch?",
        html_body="<p>The new cafeteria is open.</p>",
        to=(EmailAddress("frannis@contoso.com"),),
        cc=(EmailAddress("danas@contoso.com"),),
    )


async def test_sendmail_request_has_the_documented_shape(http_for: Any) -> None:
    documented = example("graph-sendmail")
    recorder = Recorder(202, None)
    graph = GraphClient(http_for(recorder), FixedTokens(), GRAPH, limiter=MailboxLimiter())

    await graph.send_mail(APP, message(), mailbox=SUPPORT)

    (request,) = recorder.requests
    body = json.loads(request.content)
    sent = {
        k: v for k, v in body["message"].items() if k in documented["request"]["body"]["message"]
    }
    assert fits(sent, documented["request"]["body"]["message"]) == []
    assert {"subject", "body", "toRecipients", "ccRecipients"} <= sent.keys()
    assert isinstance(body["saveToSentItems"], bool)
    assert request.url.path == f"/v1.0/users/{SUPPORT}/sendMail"


async def test_draft_request_carries_the_extended_property_in_the_documented_form(
    http_for: Any,
) -> None:
    documented = example("graph-create-message-extended-property")
    recorder = Recorder(201, documented["response"]["body"])
    graph = GraphClient(http_for(recorder), FixedTokens(), GRAPH, limiter=MailboxLimiter())

    created = await graph.create_draft(APP, message(), mailbox=SUPPORT)

    assert isinstance(created, Created)
    assert created.draft.id == documented["response"]["body"]["id"]
    body = json.loads(recorder.requests[0].content)
    (prop,) = body["singleValueExtendedProperties"]
    assert fits(prop, documented["request"]["body"]["singleValueExtendedProperties"][0]) == []
    assert re.fullmatch(r"String \{[0-9a-f-]{36}\} Name \S+", prop["id"])
    assert prop["value"] == "mr-contract-1"


async def test_lookup_by_extended_property_sends_the_documented_filter_and_reads_the_answer(
    http_for: Any,
) -> None:
    documented = example("graph-filter-extended-property")
    recorder = Recorder(200, documented["response"]["body"])
    graph = GraphClient(http_for(recorder), FixedTokens(), GRAPH, limiter=MailboxLimiter())

    found = await graph.find_by_mailroom_id(SUPPORT, "mr-contract-1")

    assert [f.id for f in found] == [documented["response"]["body"]["value"][0]["id"]]
    query = unquote(recorder.requests[0].url.query.decode())
    pattern = (
        r"\$filter=singleValueExtendedProperties/any\(ep:\s*ep/id eq 'String \{[0-9a-f-]{36}\} "
        r"Name \S+' and ep/value eq 'mr-contract-1'\)"
    )
    assert re.search(pattern, query, re.IGNORECASE), query


async def test_send_of_a_draft_posts_to_the_documented_path(http_for: Any) -> None:
    recorder = Recorder(202, None)
    graph = GraphClient(http_for(recorder), FixedTokens(), GRAPH, limiter=MailboxLimiter())
    documented = example("graph-send-message")["request"]["url"]

    await graph.send_draft(APP, DraftRef(id="AAMkADA1MTAAAAqldOAAA=", mailbox=SUPPORT))

    (request,) = recorder.requests
    assert request.method == "POST"
    assert request.content == b""
    assert documented.endswith("/messages/{id}/send")
    assert request.url.path == f"/v1.0/users/{SUPPORT}/messages/AAMkADA1MTAAAAqldOAAA=/send"


async def test_exchange_client_sends_the_documented_body_and_reads_the_answer(
    http_for: Any,
) -> None:
    documented = example("exchange-invokecommand")
    recorder = Recorder(200, documented["response"]["body"])
    exchange = ExchangeAdminClient(
        http_for(recorder), FixedTokens(), "https://outlook.test", "contoso.com"
    )

    kind = await exchange.recipient_type(SUPPORT)

    # Get-Mailbox goes to the supported v2.0 Mailbox endpoint, with the documented body.
    assert kind == "SharedMailbox"
    (request,) = recorder.requests
    v2 = example("exchange-v2-mailbox")["request"]
    sent = json.loads(request.content)
    assert request.url.path == "/adminapi/v2.0/contoso.com/Mailbox"
    assert sent.keys() == v2["body"].keys()
    assert sent["CmdletInput"]["CmdletName"] == v2["body"]["CmdletInput"]["CmdletName"]
    assert sent["CmdletInput"]["Parameters"]["Identity"] == SUPPORT
    assert request.headers["X-AnchorMailbox"]
    # The cmdlets v2.0 lacks go to InvokeCommand, in the same CmdletInput form.
    await exchange.send_as_trustees(SUPPORT)
    invoked = recorder.requests[1]
    assert invoked.url.path.endswith("/InvokeCommand")
    assert json.loads(invoked.content).keys() == documented["request"]["body"].keys()
    assert invoked.headers["X-AnchorMailbox"] == documented["request"]["headers"]["X-AnchorMailbox"]


def test_the_documented_token_error_becomes_consent_required_with_its_correlation_id() -> None:
    body = example("token-error")["response"]["body"]

    with pytest.raises(ConsentRequired) as refused:
        _token_or_raise(body, what="a Graph token")

    assert refused.value.correlation_id == body["correlation_id"]
    assert refused.value.error == "interaction_required"


@pytest.mark.parametrize("name", ["token-client-credentials", "token-on-behalf-of"])
def test_documented_token_answers_give_their_access_token(name: str) -> None:
    body = example(name)["response"]["body"]

    assert _token_or_raise(body, what="a token") == body["access_token"]


@pytest.mark.parametrize("name", ["invoke", "invoke_after_sign_in", "invoke_after_oauth_sign_in"])
def test_the_documented_universal_actions_invoke_is_understood(name: str) -> None:
    activity = example("universal-actions")[name]

    action = parse_invoke_action(activity["value"])

    assert isinstance(action, InvokeAction)
    assert action.verb == activity["value"]["action"]["verb"]
    assert action.data == activity["value"]["action"]["data"]
    token = activity["value"].get("authentication", {}).get("token")
    assert action.sso_token == token
    assert action.magic_code == (activity["value"].get("state") or None)  # empty: no code


RESULTS = {
    "card": CardResult({"type": "AdaptiveCard", "version": "1.5", "body": []}),
    "message": MessageResult("Done"),
    "error": ErrorResult(400, "BadRequest", "The action is missing."),
    "loginRequest": LoginResult(
        "sso",
        "api://botid-00000000-0000-0000-0000-000000000000",
        "https://token.botframework.com/api/oauth/signin?signin=x",
    ),
    "preconditionFailed": ErrorResult(412, "PreconditionFailed", "The token exchange failed."),
    "invalidAuthCode": ErrorResult(401, "InvalidAuthCode", "The sign-in code is not valid."),
}


@pytest.mark.parametrize("answer", sorted(RESULTS))
def test_mailroom_answers_invokes_in_the_documented_shapes(answer: str) -> None:
    documented = example("universal-actions")["answers"][answer]

    response = to_invoke_response(RESULTS[answer])

    assert response.status == 200
    body = response.body
    assert isinstance(body, dict)
    assert body.keys() == documented.keys()
    assert (body["statusCode"], body["type"]) == (documented["statusCode"], documented["type"])
    if "value" in documented:
        assert fits(body["value"], documented["value"]) == []
