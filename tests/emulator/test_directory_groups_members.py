"""GET /groups/{id}/transitiveMembers: nested members expanded, unknown group 404."""

from __future__ import annotations

import httpx

from emulator.testing import RunningEmulator

ALL_STAFF = "9630b2c5-1f85-4524-a0c3-ba242d39dcc3"
APPROVERS = "b24c3e6b-01b6-4cbf-97f5-38261ebe40d6"


def app_token(emulator: RunningEmulator) -> str:
    app = emulator.bot_app
    response = httpx.post(
        f"{emulator.authority}/oauth2/v2.0/token",
        data={"grant_type": "client_credentials", "client_id": app.client_id,
              "client_secret": app.secret, "scope": "https://graph.microsoft.com/.default"},
        verify=emulator.ssl_context(),
    )  # fmt: skip
    return str(response.json()["access_token"])


def members(emulator: RunningEmulator, group: str) -> httpx.Response:
    return httpx.get(
        f"{emulator.base_url}/v1.0/groups/{group}/transitiveMembers",
        params={"$select": "id,userPrincipalName"},
        headers={"Authorization": f"Bearer {app_token(emulator)}"},
        verify=emulator.ssl_context(),
    )


def test_nested_groups_are_expanded(emulator: RunningEmulator) -> None:
    response = members(emulator, ALL_STAFF)
    assert response.status_code == 200
    upns = {m["userPrincipalName"] for m in response.json()["value"]}
    assert "adele.vance@contoso.com" in upns  # through Support Agents
    assert "diego.siciliani@contoso.com" in upns  # through HR Team
    assert "patti.fernandez@contoso.com" not in upns


def test_approvers_group_lists_its_members(emulator: RunningEmulator) -> None:
    upns = {m["userPrincipalName"] for m in members(emulator, APPROVERS).json()["value"]}
    assert upns == {"megan.bowen@contoso.com", "diego.siciliani@contoso.com"}


def test_an_unknown_group_is_404_in_graphs_envelope(emulator: RunningEmulator) -> None:
    response = members(emulator, "00000000-0000-0000-0000-000000000000")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "Request_ResourceNotFound"


def test_a_group_is_read_by_id_with_its_display_name(emulator: RunningEmulator) -> None:
    response = httpx.get(
        f"{emulator.base_url}/v1.0/groups/{APPROVERS}",
        params={"$select": "id,displayName"},
        headers={"Authorization": f"Bearer {app_token(emulator)}"},
        verify=emulator.ssl_context(),
    )
    assert response.status_code == 200
    assert response.json()["displayName"] == "Notice Approvers"
