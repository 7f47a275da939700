"""``mailroom dev`` can reach an approver who never opened Mailroom: the bot knows Mailroom's
id in the emulated tenant's Teams app catalog, installs itself for them through Graph, opens
their 1:1 chat and posts the approval card there — as MAILROOM_TEAMS_APP_ID does in a tenant.
Driven through the bot's /api/messages as Teams would (no Node.js needed)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from emulator.seed import DEMO_SEED, load_seed
from emulator.state import TeamsApps
from emulator.testing import RunningEmulator
from tests.e2e.devrun import DevRun, running_dev
from tests.support.botapp import BotHarness
from tests.teams.test_approvals import approval_card_of, request_approval

pytestmark = [pytest.mark.slow, pytest.mark.timeout(200)]


def emulator_of(dev: DevRun) -> RunningEmulator:
    """The dev run's emulator, as the bot harness addresses it."""
    tenant = load_seed(DEMO_SEED)
    return RunningEmulator(
        base_url=dev.info["emulator_url"],
        ca_path=Path(dev.info["ca_path"]),
        tenant_id=dev.info["tenant_id"],
        domain=tenant.domain,
        control=dev.emulator(),
        tenant=tenant,
        state_dir=dev.workdir / ".mailroom" / "emulator",
    )


def test_an_approver_who_never_opened_mailroom_gets_it_installed_and_the_card(
    tmp_path: Path,
) -> None:
    no_node = tmp_path / "empty-bin"
    no_node.mkdir()
    with running_dev(tmp_path, [], env={**os.environ, "PATH": str(no_node)}) as dev:
        assert dev.info["teams_app_id"] == TeamsApps.catalog_id
        emulator = emulator_of(dev)
        try:
            asyncio.run(asks_for_approval(dev, emulator))
        finally:
            emulator.control.close()
        assert dev.interrupt() == 0


async def asks_for_approval(dev: DevRun, emulator: RunningEmulator) -> None:
    bot = BotHarness(dev.info["bot_url"], emulator, app=None)  # type: ignore[arg-type]
    try:
        megan = bot.person("megan.bowen@contoso.com")
        assert megan.oid not in emulator.control.teams_apps()["installed"]
        await request_approval(bot, bot.person("adele.vance@contoso.com"), approvers_opened=False)
        assert megan.oid in emulator.control.teams_apps()["installed"], dev.logs()
        approval_card_of(bot, megan)  # in the chat opened for her
    finally:
        await bot.close()
