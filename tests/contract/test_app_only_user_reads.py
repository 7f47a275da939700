"""App-only ``GET /users/{id}`` — the first call of every permission decision — needs
``User.Read.All`` (or ``User.ReadWrite.All`` / ``Directory.Read.All``); ``GroupMember.Read.All``
does not cover it (learn.microsoft.com/graph/api/user-get, Permissions). A tenant granted what
docs/deploy.md grants lets Mailroom read the requester."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.errors import GraphError
from bot.graph import APP
from emulator.seed import DEMO_SEED
from emulator.testing import RunningEmulator, start_emulator_thread
from tests.bot.doctor_support import BOT_APP
from tests.support.botapp import bot_services, settings_for
from tests.support.deploy_guide import permission_rows

ADELE = "0862d2f8-2a75-481c-9d98-1ef98ae00e42"
SUPPORT_AGENTS = "a0353d9e-cdec-4617-8159-f7b503bf84c5"


def seed_granting(folder: Path, application: list[str], delegated: list[str]) -> Path:
    """The demo seed whose Mailroom app holds exactly these Entra grants."""
    grants = (
        f"application_permissions = {json.dumps(sorted(application))}\n"
        f"delegated_permissions = {json.dumps(sorted(delegated))}\n"
    )
    path = folder / "seed.toml"
    path.write_text(DEMO_SEED.read_text(encoding="utf-8").replace(BOT_APP, grants))
    return path


@pytest.fixture
def granted(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RunningEmulator]:
    application, delegated = request.param
    running = start_emulator_thread(seed=seed_granting(tmp_path, application, delegated))
    try:
        yield running
    finally:
        running.stop()


def _deploy_guide_grants() -> tuple[list[str], list[str]]:
    rows = permission_rows()
    application = [p for _api, kind, p in rows if kind == "Application"]
    delegated = [p for api, kind, p in rows if kind == "Delegated" and api == "Microsoft Graph"]
    return application, delegated


@pytest.mark.parametrize("granted", [_deploy_guide_grants()], indirect=True)
async def test_a_tenant_set_up_by_the_deploy_guide_lets_mailroom_read_the_requester(
    granted: RunningEmulator, tmp_path: Path
) -> None:
    async with bot_services(settings_for(granted, tmp_path)) as services:
        user = await services.graph.get_user(APP, ADELE)
        groups = await services.graph.check_member_groups(APP, ADELE, [SUPPORT_AGENTS])

    assert user.id == ADELE
    assert groups == {SUPPORT_AGENTS}


@pytest.mark.parametrize(
    "granted", [(["GroupMember.Read.All", "Exchange.ManageAsApp"], ["User.Read"])], indirect=True
)
async def test_group_member_read_all_alone_cannot_read_a_user(
    granted: RunningEmulator, tmp_path: Path
) -> None:
    async with bot_services(settings_for(granted, tmp_path)) as services:
        with pytest.raises(GraphError) as refused:
            await services.graph.get_user(APP, ADELE)

    assert refused.value.status == 403
    assert refused.value.code == "Authorization_RequestDenied"
