"""The emulator answers Microsoft's documented requests with responses of the documented shape."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from emulator.testing import RunningEmulator
from tests.contract.examples import example, fits

GRAPH = "https://graph.microsoft.com"
ADELE = "adele.vance@contoso.com"


@pytest.fixture
def https(emulator: RunningEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emulator.base_url, verify=emulator.ssl_context()) as client:
        yield client


def token_url(emulator: RunningEmulator) -> str:
    return f"/{emulator.tenant_id}/oauth2/v2.0/token"


def app_form(emulator: RunningEmulator, resource: str = GRAPH) -> dict[str, str]:
    app = emulator.bot_app
    return {
        "client_id": app.client_id,
        "client_secret": app.secret,
        "scope": f"{resource}/.default",
        "grant_type": "client_credentials",
    }


def obo_form(emulator: RunningEmulator, scope: str) -> dict[str, str]:
    app = emulator.bot_app
    return {
        "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
        "client_id": app.client_id,
        "client_secret": app.secret,
        "assertion": emulator.control.mint_user_token(ADELE, connection=True),
        "scope": scope,
        "requested_token_use": "on_behalf_of",
    }


def user_headers(emulator: RunningEmulator, https: httpx.Client) -> dict[str, str]:
    answer = https.post(token_url(emulator), data=obo_form(emulator, f"{GRAPH}/.default"))
    answer.raise_for_status()
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def graph_path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def test_documented_sendmail_is_accepted_with_202_and_an_empty_body(
    emulator: RunningEmulator, https: httpx.Client
) -> None:
    request = example("graph-sendmail")["request"]

    answer = https.post(
        graph_path(request["url"]), json=request["body"], headers=user_headers(emulator, https)
    )

    assert answer.status_code == example("graph-sendmail")["response"]["status"], answer.text
    assert answer.content == b""
    # saveToSentItems "false" (a string, as documented) keeps no copy.
    assert emulator.control.mailbox(ADELE, "sentitems") == []


def test_documented_draft_with_extended_property_then_lookup_then_send(
    emulator: RunningEmulator, https: httpx.Client
) -> None:
    headers = user_headers(emulator, https)
    create = example("graph-create-message-extended-property")
    lookup = example("graph-filter-extended-property")

    created = https.post(
        graph_path(create["request"]["url"]), json=create["request"]["body"], headers=headers
    )
    assert created.status_code == create["response"]["status"], created.text
    body = created.json()
    documented = create["response"]["body"]
    assert {"id", "isDraft", "subject", "@odata.context"} <= body.keys()
    assert fits({k: body[k] for k in documented if k in body}, documented) == []
    assert body["isDraft"] is True

    found = https.get(graph_path(lookup["request"]["url"]), headers=headers)
    assert found.status_code == lookup["response"]["status"], found.text
    (item,) = found.json()["value"]
    assert item["id"] == body["id"]
    assert "singleValueExtendedProperties" not in item  # "does not include the property"

    send = example("graph-send-message")["request"]
    sent = https.post(graph_path(send["url"].replace("{id}", body["id"])), headers=headers)
    assert sent.status_code == example("graph-send-message")["response"]["status"], sent.text


def test_documented_invoke_command_answers_an_odata_collection(
    emulator: RunningEmulator, https: httpx.Client
) -> None:
    documented = example("exchange-invokecommand")
    request = documented["request"]
    token = https.post(
        token_url(emulator), data=app_form(emulator, "https://outlook.office365.com")
    ).json()["access_token"]

    answer = https.post(
        graph_path(request["url"].replace("{tenant}", emulator.tenant_id)),
        json=request["body"],
        headers={**request["headers"], "Authorization": f"Bearer {token}"},
    )

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert {"@odata.context", "value"} <= body.keys()
    (row,) = body["value"]
    wanted = documented["response"]["body"]["value"][0]
    assert fits({k: row[k] for k in wanted}, wanted) == []
    assert row["RecipientTypeDetails"] == "SharedMailbox"


def test_client_credentials_answer_has_the_documented_fields(
    emulator: RunningEmulator, https: httpx.Client
) -> None:
    documented = example("token-client-credentials")["response"]["body"]

    answer = https.post(token_url(emulator), data=app_form(emulator))

    assert answer.status_code == 200
    body = answer.json()
    assert documented.keys() <= body.keys()
    assert fits({k: body[k] for k in documented}, documented) == []


def test_on_behalf_of_answer_has_the_documented_fields(
    emulator: RunningEmulator, https: httpx.Client
) -> None:
    documented = example("token-on-behalf-of")
    scope = f"{GRAPH}/User.Read offline_access"

    answer = https.post(token_url(emulator), data=obo_form(emulator, scope))

    assert answer.status_code == 200, answer.text
    body = answer.json()
    wanted = documented["response"]["body"]
    assert wanted.keys() <= body.keys()
    assert fits({k: body[k] for k in wanted}, wanted) == []


def test_token_errors_have_the_documented_fields(
    emulator: RunningEmulator, https: httpx.Client
) -> None:
    documented = example("token-error")["response"]["body"]
    form = {**app_form(emulator), "client_secret": "wrong"}

    answer = https.post(token_url(emulator), data=form)

    assert answer.status_code in (400, 401)
    body = answer.json()
    required = ["error", "error_description", "error_codes", "timestamp", "trace_id"]
    assert set(required) | {"correlation_id"} <= body.keys()
    assert fits({k: body[k] for k in required}, documented) == []
