"""Exchange RBAC for Applications and Entra grants add up; extended properties need more than
Mail.ReadBasic. A tenant of its own with one app per case (the demo seed's apps are checked
against the demo mailboxes at the end)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from emu_helpers import EXCHANGE, Tokens, bearer, mail

from emulator.testing import RunningEmulator, start_emulator_thread

SCOPED = "scoped@example.com"
OTHER = "other@example.com"
SEED = """
[tenant]
id = "11111111-2222-4333-8444-555555555555"
domain = "example.com"

[[users]]
id = "00000000-0000-4000-8000-000000000001"
upn = "other@example.com"
display_name = "Other"

[[mailboxes]]
id = "00000000-0000-4000-8000-000000000002"
address = "scoped@example.com"
display_name = "Scoped"
kind = "noreply"
custom_attributes = { 15 = "app-sender" }

[[management_scopes]]
name = "senders"
recipient_filter = "CustomAttribute15 -eq 'app-sender'"

[[apps]]
client_id = "00000000-0000-4000-8000-0000000000a1"
display_name = "rbac send only"
secret = "s1"
application_permissions = []
exchange_role_assignments = [{ role = "Application Mail.Send", scope = "senders" }]

[[apps]]
client_id = "00000000-0000-4000-8000-0000000000a2"
display_name = "entra send, rbac drafts"
secret = "s2"
application_permissions = ["Mail.Send"]
exchange_role_assignments = [{ role = "Application Mail.ReadWrite", scope = "senders" }]

[[apps]]
client_id = "00000000-0000-4000-8000-0000000000a3"
display_name = "basic reader"
secret = "s3"
application_permissions = ["Mail.ReadBasic.All"]

[[apps]]
client_id = "00000000-0000-4000-8000-0000000000a4"
display_name = "rbac reader"
secret = "s4"
application_permissions = []
exchange_role_assignments = [{ role = "Application Mail.Read", scope = "senders" }]
"""
RBAC_SEND = ("00000000-0000-4000-8000-0000000000a1", "s1")
ENTRA_SEND = ("00000000-0000-4000-8000-0000000000a2", "s2")
BASIC = ("00000000-0000-4000-8000-0000000000a3", "s3")
RBAC_READ = ("00000000-0000-4000-8000-0000000000a4", "s4")
MAILROOM_PROPERTY = "String {71c4cd5a-e31c-4c9c-83b1-138216e831ed} Name MailroomId"


@pytest.fixture(scope="module")
def tenant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEmulator]:
    folder = tmp_path_factory.mktemp("rbac")
    seed = folder / "seed.toml"
    seed.write_text(SEED, encoding="utf-8")
    with start_emulator_thread(seed=Path(seed), state_dir=folder / "state") as emu:
        emu.control.set_move_delay(0)
        yield emu


@pytest.fixture(scope="module")
def client(tenant: RunningEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=tenant.base_url, verify=tenant.ssl_context(), timeout=10) as c:
        yield c


def token(tenant: RunningEmulator, client: httpx.Client, app: tuple[str, str]) -> str:
    return Tokens(tenant, client).app(client_id=app[0], secret=app[1])


def send_mail(client: httpx.Client, who: str, bearer_token: str) -> httpx.Response:
    message = mail("hi")
    message["message"]["toRecipients"] = [{"emailAddress": {"address": OTHER}}]
    return client.post(f"/v1.0/users/{who}/sendMail", headers=bearer(bearer_token), json=message)


def test_a_scoped_role_assignment_grants_sending_in_scope_without_any_entra_grant(
    tenant: RunningEmulator, client: httpx.Client
) -> None:
    app = token(tenant, client, RBAC_SEND)

    assert send_mail(client, SCOPED, app).status_code == 202
    outside = send_mail(client, OTHER, app)
    assert outside.status_code == 403
    assert outside.json()["error"]["code"] == "ErrorAccessDenied"


def test_the_role_grants_only_its_permission(tenant: RunningEmulator, client: httpx.Client) -> None:
    app = token(tenant, client, RBAC_SEND)

    draft = client.post(
        f"/v1.0/users/{SCOPED}/messages", headers=bearer(app), json=mail()["message"]
    )

    assert draft.status_code == 403  # drafts need Mail.ReadWrite


def test_entra_and_rbac_grants_add_up(tenant: RunningEmulator, client: httpx.Client) -> None:
    app = token(tenant, client, ENTRA_SEND)

    assert send_mail(client, OTHER, app).status_code == 202  # Entra: every mailbox
    in_scope = client.post(
        f"/v1.0/users/{SCOPED}/messages", headers=bearer(app), json=mail()["message"]
    )
    outside = client.post(
        f"/v1.0/users/{OTHER}/messages", headers=bearer(app), json=mail()["message"]
    )
    assert (in_scope.status_code, outside.status_code) == (201, 403)


def _by_property(client: httpx.Client, app: str) -> httpx.Response:
    query = (
        f"singleValueExtendedProperties/any(ep:ep/id eq '{MAILROOM_PROPERTY}' and ep/value eq 'x')"
    )
    return client.get(
        f"/v1.0/users/{SCOPED}/messages", headers=bearer(app), params={"$filter": query}
    )


def test_mail_readbasic_lists_messages_without_bodies_and_no_extended_properties(
    tenant: RunningEmulator, client: httpx.Client
) -> None:
    send_mail(client, SCOPED, token(tenant, client, RBAC_SEND)).raise_for_status()
    basic = token(tenant, client, BASIC)

    listed = client.get(
        f"/v1.0/users/{SCOPED}/mailFolders/sentitems/messages", headers=bearer(basic)
    )
    filtered = _by_property(client, basic)
    expanded = client.get(
        f"/v1.0/users/{SCOPED}/messages",
        headers=bearer(basic),
        params={"$expand": f"singleValueExtendedProperties($filter=id eq '{MAILROOM_PROPERTY}')"},
    )

    assert listed.status_code == 200
    assert listed.json()["value"]
    assert all("body" not in m for m in listed.json()["value"])
    for refused in (filtered, expanded):
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "ErrorAccessDenied"


def test_a_lookup_by_extended_property_needs_mail_read_and_rbac_can_grant_it(
    tenant: RunningEmulator, client: httpx.Client
) -> None:
    assert _by_property(client, token(tenant, client, RBAC_READ)).status_code == 200


def test_the_demo_bot_app_holds_rbac_roles_on_the_marked_sender_mailboxes_only(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    def authorization(resource: str) -> list[dict[str, object]]:
        answer = https.post(
            f"/adminapi/beta/{emulator.tenant_id}/InvokeCommand",
            headers=bearer(tokens.app(EXCHANGE)),
            json={
                "CmdletInput": {
                    "CmdletName": "Test-ServicePrincipalAuthorization",
                    "Parameters": {"Identity": emulator.bot_app.client_id, "Resource": resource},
                }
            },
        )
        answer.raise_for_status()
        rows: list[dict[str, object]] = answer.json()["value"]
        return rows

    inside = authorization("noreply@contoso.com")
    outside = authorization("johanna.lorenz@contoso.com")

    assert {r["RoleName"] for r in inside} == {
        "Application Mail.Send",
        "Application Mail.ReadWrite",
    }
    assert {r["InScope"] for r in inside} == {True}
    assert {r["InScope"] for r in outside} == {False}
    assert not {p for p in emulator.bot_app.application_permissions if p.startswith("Mail.")}
