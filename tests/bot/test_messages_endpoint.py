"""/api/messages over real HTTP: help card delivered to the serviceUrl, Universal Actions
answered in Teams' shape, bad input refused without a 500, tokens required with an app id."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from bot.app import create_app
from bot.settings import Settings
from tests.support.activities import TENANT, card_action, message
from tests.support.servers import ConnectorStandIn, http_client, serve


@pytest.fixture
async def connector() -> AsyncIterator[tuple[ConnectorStandIn, str]]:
    stand_in = ConnectorStandIn()
    async with serve(stand_in.app) as url:
        yield stand_in, url


@pytest.fixture
async def bot_url() -> AsyncIterator[str]:
    async with serve(create_app(Settings(host="127.0.0.1"))) as url:
        yield url


async def post(url: str, activity: object, **kwargs: object) -> httpx.Response:
    async with http_client() as client:
        return await client.post(f"{url}/api/messages", json=activity, **kwargs)  # type: ignore[arg-type]


def card_of(posted: dict[str, object]) -> dict[str, object]:
    attachments = posted["attachments"]
    assert isinstance(attachments, list)
    assert attachments[0]["contentType"] == "application/vnd.microsoft.card.adaptive"
    content = attachments[0]["content"]
    assert isinstance(content, dict)
    return content


async def test_help_command_delivers_the_help_card_to_the_service_url(
    bot_url: str, connector: tuple[ConnectorStandIn, str]
) -> None:
    stand_in, service_url = connector
    response = await post(bot_url, message("/help", service_url))
    assert response.status_code == 202
    assert len(stand_in.posted) == 1
    card = card_of(stand_in.posted[0])
    assert card["version"] == "1.5"
    text = str(card)
    for command in ("/send", "/senders", "/why <sender>", "/approvals", "/cancel <reference>"):
        assert command in text
    assert "don't know the command" not in text


async def test_unknown_text_gets_the_three_closest_commands_not_the_help_card(
    bot_url: str, connector: tuple[ConnectorStandIn, str]
) -> None:
    stand_in, service_url = connector
    await post(bot_url, message("a list of my requests please", service_url))
    card = card_of(stand_in.posted[0])
    text = str(card)
    assert "I didn't understand that." in text
    facts = [f["title"] for f in card["body"][2]["facts"]]  # type: ignore[index]
    assert facts == ["/history", "/send", "/senders"]
    assert "Send email as a colleague" not in text  # not the whole help card
    assert "help.show" in text  # the full list is one click away


async def test_a_plain_sentence_is_answered_as_the_command_it_asks_for(
    bot_url: str, connector: tuple[ConnectorStandIn, str]
) -> None:
    stand_in, service_url = connector
    await post(bot_url, message("what can you do?", service_url))
    text = str(card_of(stand_in.posted[0]))
    assert "/why <sender>" in text
    assert "understand" not in text


async def test_card_action_is_answered_with_a_universal_action_card(
    bot_url: str, connector: tuple[ConnectorStandIn, str]
) -> None:
    _, service_url = connector
    response = await post(bot_url, card_action("help.show", service_url))
    assert response.status_code == 200
    body = response.json()
    assert body["statusCode"] == 200
    assert body["type"] == "application/vnd.microsoft.card.adaptive"
    assert body["value"]["type"] == "AdaptiveCard"
    assert body["value"]["version"] == "1.5"


async def test_unknown_verb_is_a_400_in_the_body_never_an_http_500(
    bot_url: str, connector: tuple[ConnectorStandIn, str]
) -> None:
    _, service_url = connector
    response = await post(bot_url, card_action("no.such.verb", service_url))
    assert response.status_code == 200
    body = response.json()
    assert body["statusCode"] == 400
    assert body["type"] == "application/vnd.microsoft.error"
    assert body["value"]["code"] == "UnknownVerb"


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b"[]",
        b'{"type": "message"}',
        b'{"type": 5, "conversation": {"id": []}}',
        b'{"type": "invoke", "name": "adaptiveCard/action", "conversation": {"id": "c"},'
        b' "value": {"action": {"type": "Action.Execute", "verb": 7}}}',
    ],
)
async def test_malformed_activities_are_refused_without_a_500(bot_url: str, payload: bytes) -> None:
    async with http_client() as client:
        response = await client.post(
            f"{bot_url}/api/messages",
            content=payload,
            headers={"Content-Type": "application/json"},
        )
    assert response.status_code < 500


async def test_activity_from_another_tenant_is_refused(
    connector: tuple[ConnectorStandIn, str],
) -> None:
    stand_in, service_url = connector
    settings = Settings(host="127.0.0.1", allowed_tenants=(TENANT,))
    async with serve(create_app(settings)) as url:
        other = message("/help", service_url, channelData={"tenant": {"id": "0" * 8}})
        other["conversation"]["tenantId"] = "00000000-0000-0000-0000-000000000000"
        await post(url, other)
    assert len(stand_in.posted) == 1
    assert "not enabled for your organisation" in stand_in.posted[0]["text"]
    assert "attachments" not in stand_in.posted[0]


async def test_with_an_app_id_a_request_without_a_token_gets_401_and_nothing_happens(
    connector: tuple[ConnectorStandIn, str],
) -> None:
    stand_in, service_url = connector
    settings = Settings(
        host="127.0.0.1",
        app_id="11111111-2222-3333-4444-555555555555",
        app_tenant_id=TENANT,
    )
    async with serve(create_app(settings)) as url:
        missing = await post(url, message("/help", service_url))
        garbage = await post(
            url, message("/help", service_url), headers={"Authorization": "Bearer not.a.jwt"}
        )
    assert missing.status_code == 401
    assert garbage.status_code == 401
    assert stand_in.posted == []


async def test_health_and_readiness(bot_url: str) -> None:
    async with http_client() as client:
        alive = await client.get(f"{bot_url}/healthz")
        ready = await client.get(f"{bot_url}/readyz")
    assert alive.status_code == 200
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"


async def test_each_activity_logs_one_line_with_ids_duration_and_outcome(
    bot_url: str, connector: tuple[ConnectorStandIn, str], caplog: pytest.LogCaptureFixture
) -> None:
    _, service_url = connector
    caplog.set_level("INFO", logger="mailroom.activity")
    activity = message("/help", service_url)
    await post(bot_url, activity)
    lines = [r for r in caplog.records if r.name == "mailroom.activity"]
    assert len(lines) == 1
    line = lines[0]
    assert line.activity_id == activity["id"]  # type: ignore[attr-defined]
    assert line.activity_type == "message"  # type: ignore[attr-defined]
    assert line.conversation_id == "a:1personal-chat"  # type: ignore[attr-defined]
    assert line.outcome == "ok"  # type: ignore[attr-defined]
    assert isinstance(line.duration_ms, float)  # type: ignore[attr-defined]


async def test_the_message_extension_before_the_services_start_says_so_in_the_dialog(
    bot_url: str,
) -> None:
    activity = card_action("unused", "http://127.0.0.1:9")
    activity.update(
        name="composeExtension/fetchTask",
        value={"commandId": "sendAsEmail", "commandContext": "message"},
    )
    response = await post(bot_url, activity)
    assert response.status_code == 200
    task = response.json()["task"]
    assert task["type"] == "continue"
    assert "temporarily unavailable" in str(task["value"]["card"]).lower()


async def test_a_message_extension_invoke_without_a_value_is_answered_not_failed(
    bot_url: str,
) -> None:
    activity = card_action("unused", "http://127.0.0.1:9")
    activity.update(name="composeExtension/submitAction", value=None)
    response = await post(bot_url, activity)
    assert response.status_code == 200
    assert response.json()["task"]["type"] == "message"
