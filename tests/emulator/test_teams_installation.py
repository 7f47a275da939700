"""Installing Mailroom for a user through Graph, and the 1:1 chat createConversation opens
only for a user who has it (emulator/graph/teamwork.py, emulator/connector.py)."""

from __future__ import annotations

import httpx
from emu_helpers import GRAPH, Tokens, bearer

from emulator.state import TeamsApps
from emulator.testing import RunningEmulator

MEGAN = "megan.bowen@contoso.com"
BIND = f"https://graph.microsoft.com/v1.0/appCatalogs/teamsApps/{TeamsApps.catalog_id}"


def install(https: httpx.Client, token: str, user: str, bind: str = BIND) -> httpx.Response:
    return https.post(
        f"/v1.0/users/{user}/teamwork/installedApps",
        json={"teamsApp@odata.bind": bind},
        headers=bearer(token),
    )


def open_chat(https: httpx.Client, emulator: RunningEmulator, oid: str) -> httpx.Response:
    return https.post(
        "/v3/conversations",
        json={"isGroup": False, "bot": {"id": "28:mailroom"},
              "members": [{"id": oid, "aadObjectId": oid}], "tenantId": emulator.tenant_id},
    )  # fmt: skip


def test_installing_answers_201_then_409_and_the_chat_opens_only_after(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    megan = emulator.tenant.account(MEGAN)
    assert megan is not None
    assert open_chat(https, emulator, megan.id).json()["error"]["code"] == (
        "BotNotInConversationRoster"
    )
    assert install(https, tokens.app(GRAPH), MEGAN).status_code == 201
    assert install(https, tokens.app(GRAPH), MEGAN).status_code == 409
    opened = open_chat(https, emulator, megan.id)
    assert opened.status_code == 201
    assert opened.json()["id"] == open_chat(https, emulator, megan.id).json()["id"]  # one chat


def test_a_blocked_app_or_an_unknown_catalog_id_is_refused(
    emulator: RunningEmulator, https: httpx.Client, tokens: Tokens
) -> None:
    unknown = BIND.replace(TeamsApps.catalog_id, "00000000-0000-0000-0000-000000000000")
    assert install(https, tokens.app(GRAPH), MEGAN, unknown).status_code == 404
    emulator.control.teams_apps(install_blocked=True)
    assert install(https, tokens.app(GRAPH), MEGAN).status_code == 403
    assert emulator.control.teams_apps()["installed"] == []


def test_installing_without_a_valid_token_is_refused(
    emulator: RunningEmulator, https: httpx.Client
) -> None:
    answer = install(https, "not-a-token", MEGAN)
    assert answer.status_code == 401
