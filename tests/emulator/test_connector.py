"""Bot Connector stand-in: activities, replies, updates in place, members, bearer checks."""

from __future__ import annotations

import httpx
import jwt
import pytest
from emu_helpers import BOTFRAMEWORK, GRAPH, Tokens, bearer

from emulator.testing import RunningEmulator

CONVERSATION = "a:1personal-chat-with-adele"


def _card(text: str) -> dict:
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "content": {
                    "type": "AdaptiveCard",
                    "version": "1.5",
                    "body": [{"type": "TextBlock", "text": text}],
                },
            }
        ],
    }


def test_posted_activity_gets_an_id_and_is_inspectable(
    emulator: RunningEmulator, https: httpx.Client
) -> None:
    answer = https.post(
        f"/v3/conversations/{CONVERSATION}/activities", json={"type": "message", "text": "hello"}
    )

    assert answer.status_code == 200
    activity_id = answer.json()["id"]
    (record,) = emulator.control.connector_activities(CONVERSATION)
    assert record["id"] == activity_id
    assert record["activity"]["text"] == "hello"
    assert record["updates"] == []


def test_reply_records_the_reply_to_id(emulator: RunningEmulator, https: httpx.Client) -> None:
    https.post(
        f"/v3/conversations/{CONVERSATION}/activities/incoming-1",
        json={"type": "message", "text": "hi"},
    )

    (record,) = emulator.control.connector_activities()
    assert record["reply_to_id"] == "incoming-1"
    assert record["activity"]["replyToId"] == "incoming-1"


def test_update_replaces_the_card_and_keeps_the_old_one(
    emulator: RunningEmulator, https: httpx.Client
) -> None:
    activity_id = https.post(
        f"/v3/conversations/{CONVERSATION}/activities", json=_card("Sending…")
    ).json()["id"]

    answer = https.put(
        f"/v3/conversations/{CONVERSATION}/activities/{activity_id}", json=_card("Sent")
    )

    assert answer.status_code == 200
    assert answer.json() == {"id": activity_id}
    (record,) = emulator.control.connector_activities(CONVERSATION)
    assert record["activity"]["attachments"][0]["content"]["body"][0]["text"] == "Sent"
    (previous,) = record["updates"]
    assert previous["activity"]["attachments"][0]["content"]["body"][0]["text"] == "Sending…"


def test_updating_an_unknown_activity_is_404(
    emulator: RunningEmulator, https: httpx.Client
) -> None:
    answer = https.put(f"/v3/conversations/{CONVERSATION}/activities/42", json=_card("x"))

    assert answer.status_code == 404


def test_delete_marks_the_activity(emulator: RunningEmulator, https: httpx.Client) -> None:
    activity_id = https.post(
        f"/v3/conversations/{CONVERSATION}/activities", json={"type": "message"}
    ).json()["id"]

    assert (
        https.delete(f"/v3/conversations/{CONVERSATION}/activities/{activity_id}").status_code
        == 200
    )
    assert emulator.control.connector_activities()[0]["deleted"] is True


def test_create_conversation_for_a_proactive_message(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    megan = emulator.tenant.account("megan.bowen@contoso.com")
    assert megan is not None
    catalog = emulator.control.teams_apps()["catalog_id"]
    installed = https.post(
        f"/v1.0/users/{megan.id}/teamwork/installedApps",
        json={"teamsApp@odata.bind": f"https://graph.microsoft.com/v1.0/appCatalogs/teamsApps/{catalog}"},
        headers=bearer(tokens.app(GRAPH)),
    )  # fmt: skip
    assert installed.status_code == 201  # Teams starts a 1:1 chat only with the app installed
    answer = https.post(
        "/v3/conversations",
        json={
            "isGroup": False,
            "members": [{"id": f"29:{megan.id}"}],
            "tenantId": emulator.tenant_id,
            "activity": {"type": "message", "text": "approve?"},
        },
    )

    assert answer.status_code == 201
    conversation_id = answer.json()["id"]
    (record,) = emulator.control.connector_activities(conversation_id)
    assert record["id"] == answer.json()["activityId"]


def test_members_are_the_tenants_people(emulator: RunningEmulator, https: httpx.Client) -> None:
    one = https.get(
        f"/v3/conversations/{CONVERSATION}/members/29:0862d2f8-2a75-481c-9d98-1ef98ae00e42"
    )
    everyone = https.get(f"/v3/conversations/{CONVERSATION}/members")

    assert one.json()["userPrincipalName"] == "adele.vance@contoso.com"
    assert one.json()["aadObjectId"] == "0862d2f8-2a75-481c-9d98-1ef98ae00e42"
    assert "support@contoso.com" not in {m["userPrincipalName"] for m in everyone.json()}


def test_valid_bot_framework_token_is_accepted_and_logged(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    emulator.control.set_connector_auth(required=True)

    answer = https.post(
        f"/v3/conversations/{CONVERSATION}/activities",
        headers=bearer(tokens.app(resource=BOTFRAMEWORK)),
        json={"type": "message", "text": "signed"},
    )

    assert answer.status_code == 200
    (entry,) = [e for e in emulator.control.request_log() if e["path"].startswith("/v3/")]
    assert entry["app_id"] == emulator.bot_app.client_id


@pytest.mark.parametrize("required", [True, False])
def test_a_bad_token_is_always_refused(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens, required: bool
) -> None:
    emulator.control.set_connector_auth(required=required)

    answer = https.post(
        f"/v3/conversations/{CONVERSATION}/activities",
        headers=bearer(tokens.app(resource=GRAPH)),
        json={"type": "message"},
    )

    assert answer.status_code == 401
    assert emulator.control.connector_activities() == []


def test_missing_token_is_refused_when_auth_is_required(
    emulator: RunningEmulator, https: httpx.Client
) -> None:
    emulator.control.set_connector_auth(required=True)

    answer = https.post(f"/v3/conversations/{CONVERSATION}/activities", json={"type": "message"})

    assert answer.status_code == 401


def test_the_channels_token_to_the_bot_carries_what_bot_framework_documents(
    emulator: RunningEmulator, https: httpx.Client
) -> None:
    token = emulator.control.mint_channel_token(service_url="https://smba.example/emea/")

    (key,) = https.get(f"/{emulator.tenant_id}/discovery/v2.0/keys").json()["keys"]
    claims = jwt.decode(
        token,
        jwt.PyJWK(key).key,
        algorithms=["RS256"],
        audience=emulator.bot_app.client_id,
        issuer="https://api.botframework.com",
    )
    assert set(claims) == {"serviceurl", "nbf", "exp", "iss", "aud"}
    assert claims["serviceurl"] == "https://smba.example/emea/"
    assert jwt.get_unverified_header(token)["kid"] == key["kid"]
