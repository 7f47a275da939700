"""The SDK is handed the activity Mailroom validated, not the body to parse again."""

from __future__ import annotations

import json

from microsoft_agents.activity import Activity
from microsoft_agents.hosting.core import HttpResponse

from bot.validated_activity import web_response

MESSAGE = {
    "type": "message",
    "id": "a-1",
    "channelId": "msteams",
    "serviceUrl": "https://smba.trafficmanager.net/emea/",
    "from": {"id": "29:user", "aadObjectId": "00000000-0000-0000-0000-000000000001"},
    "recipient": {"id": "28:bot"},
    "conversation": {"id": "a:conversation"},
    "text": "/senders",
}


def test_the_sdk_takes_a_validated_activity_as_it_is() -> None:
    """``process_request`` validates what ``json()`` returns: a model instance comes back
    as the same object (pydantic's default: instances are not validated again), so the
    turn validates its activity once."""
    activity = Activity.model_validate(MESSAGE)

    assert Activity.model_validate(activity) is activity


def test_an_invoke_answer_keeps_its_status_and_body() -> None:
    body = {"statusCode": 200, "value": {"text": "Grüße \u2028 \U0001f4e7"}}
    response = web_response(HttpResponse(status_code=200, body=body))

    assert response.status == 200
    assert response.content_type == "application/json"
    assert response.charset == "utf-8"
    assert response.body == json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def test_an_accepted_activity_has_no_body() -> None:
    response = web_response(HttpResponse(status_code=202))

    assert response.status == 202
    assert response.body is None
