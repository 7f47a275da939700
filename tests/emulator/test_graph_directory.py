"""Graph directory reads: /me, /users, transitiveMemberOf, checkMemberGroups."""

from __future__ import annotations

import httpx
import pytest
from emu_helpers import REPORTING_APP, REPORTING_SECRET, Tokens, bearer

from emulator.testing import RunningEmulator

SUPPORT_AGENTS = "a0353d9e-cdec-4617-8159-f7b503bf84c5"
ALL_STAFF = "9630b2c5-1f85-4524-a0c3-ba242d39dcc3"
HR_TEAM = "b5f44c90-245e-43d1-aeb9-4742c8f1c9e4"
OPS_NOTIFIERS = "90923460-aaee-46fb-bc99-1a4277aa90fc"


def test_me_returns_the_signed_in_user(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    answer = https.get("/v1.0/me", headers=bearer(tokens.user("megan.bowen@contoso.com")))

    assert answer.status_code == 200
    body = answer.json()
    assert body["id"] == "11744ff5-b6c4-42b5-8c1f-a4b55da0acc3"
    assert body["userPrincipalName"] == "megan.bowen@contoso.com"
    assert body["displayName"] == "Megan Bowen"
    assert body["mail"] == "megan.bowen@contoso.com"


def test_me_with_an_app_token_is_a_bad_request(https: httpx.Client, tokens: Tokens) -> None:
    answer = https.get("/v1.0/me", headers=bearer(tokens.app()))

    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "BadRequest"


@pytest.mark.parametrize("key", ["adele.vance@contoso.com", "0862d2f8-2a75-481c-9d98-1ef98ae00e42"])
def test_user_by_upn_or_object_id(https: httpx.Client, tokens: Tokens, key: str) -> None:
    answer = https.get(f"/v1.0/users/{key}", headers=bearer(tokens.app()))

    assert answer.status_code == 200
    assert answer.json()["displayName"] == "Adele Vance"


def test_user_select_returns_only_those_properties(https: httpx.Client, tokens: Tokens) -> None:
    answer = https.get(
        "/v1.0/users/support@contoso.com",
        params={"$select": "displayName,accountEnabled"},
        headers=bearer(tokens.app()),
    )

    body = {k: v for k, v in answer.json().items() if not k.startswith("@odata")}
    assert body == {
        "id": "e80c0451-4917-4c80-bc33-a9367b469085",
        "displayName": "Contoso Support",
        "accountEnabled": False,
    }


def test_unknown_user_is_request_resource_not_found(https: httpx.Client, tokens: Tokens) -> None:
    answer = https.get("/v1.0/users/nobody@contoso.com", headers=bearer(tokens.app()))

    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "Request_ResourceNotFound"


def test_delegated_user_read_cannot_read_another_user(https: httpx.Client, tokens: Tokens) -> None:
    answer = https.get(
        "/v1.0/users/adele.vance@contoso.com",
        headers=bearer(tokens.user("alex.wilber@contoso.com")),
    )

    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "Authorization_RequestDenied"


def test_transitive_member_of_includes_nested_groups(https: httpx.Client, tokens: Tokens) -> None:
    answer = https.get(
        "/v1.0/users/adele.vance@contoso.com/transitiveMemberOf", headers=bearer(tokens.app())
    )

    assert answer.status_code == 200
    ids = {g["id"] for g in answer.json()["value"]}
    assert ids == {SUPPORT_AGENTS, OPS_NOTIFIERS, ALL_STAFF}
    assert all(g["@odata.type"] == "#microsoft.graph.group" for g in answer.json()["value"])


def test_me_transitive_member_of_works_with_a_delegated_token(
    https: httpx.Client, tokens: Tokens
) -> None:
    answer = https.get(
        "/v1.0/me/transitiveMemberOf", headers=bearer(tokens.user("diego.siciliani@contoso.com"))
    )

    names = {g["displayName"] for g in answer.json()["value"]}
    assert names == {"HR Team", "Notice Approvers", "All Staff"}


def test_transitive_member_of_needs_group_member_read_all(
    https: httpx.Client, tokens: Tokens
) -> None:
    token = tokens.app(client_id=REPORTING_APP, secret=REPORTING_SECRET)

    answer = https.get(
        "/v1.0/users/adele.vance@contoso.com/transitiveMemberOf", headers=bearer(token)
    )

    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "Authorization_RequestDenied"


def test_check_member_groups_answers_the_transitive_subset(
    https: httpx.Client, tokens: Tokens
) -> None:
    answer = https.post(
        "/v1.0/users/alex.wilber@contoso.com/checkMemberGroups",
        headers=bearer(tokens.app()),
        json={"groupIds": [SUPPORT_AGENTS, HR_TEAM, ALL_STAFF, OPS_NOTIFIERS]},
    )

    assert answer.status_code == 200
    assert answer.json()["value"] == [SUPPORT_AGENTS, ALL_STAFF]


def test_check_member_groups_limits_to_20_ids(https: httpx.Client, tokens: Tokens) -> None:
    answer = https.post(
        "/v1.0/users/alex.wilber@contoso.com/checkMemberGroups",
        headers=bearer(tokens.app()),
        json={"groupIds": [SUPPORT_AGENTS] * 21},
    )

    assert answer.status_code == 400


def test_user_without_mailbox_is_still_in_the_directory(
    https: httpx.Client, tokens: Tokens
) -> None:
    answer = https.get("/v1.0/users/patti.fernandez@contoso.com", headers=bearer(tokens.app()))

    assert answer.status_code == 200
    assert answer.json()["mail"] is None


def test_unknown_segment_is_a_bad_request(https: httpx.Client, tokens: Tokens) -> None:
    answer = https.get(
        "/v1.0/users/adele.vance@contoso.com/calendarView", headers=bearer(tokens.app())
    )

    assert answer.status_code == 400
    assert answer.json()["error"]["message"] == "Resource not found for the segment 'calendarView'."


def test_a_group_is_read_by_id_with_its_display_name(https: httpx.Client, tokens: Tokens) -> None:
    answer = https.get(
        f"/v1.0/groups/{HR_TEAM}", params={"$select": "id,displayName"},
        headers=bearer(tokens.app()),
    )  # fmt: skip

    assert answer.status_code == 200
    body = answer.json()
    assert (body["id"], body["displayName"]) == (HR_TEAM, "HR Team")
    assert "mailNickname" not in body  # $select honoured


def test_reading_a_group_needs_group_member_read_all(https: httpx.Client, tokens: Tokens) -> None:
    token = tokens.app(client_id=REPORTING_APP, secret=REPORTING_SECRET)

    denied = https.get(f"/v1.0/groups/{HR_TEAM}", headers=bearer(token))
    missing = https.get(
        "/v1.0/groups/00000000-0000-0000-0000-000000000000", headers=bearer(tokens.app())
    )

    assert denied.status_code == 403
    assert denied.json()["error"]["code"] == "Authorization_RequestDenied"
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "Request_ResourceNotFound"
