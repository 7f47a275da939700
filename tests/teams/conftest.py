"""The bot, wired as in production, against the emulator over real HTTPS."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.settings import Secret
from emulator.testing import RunningEmulator
from tests.support.botapp import PREVIEW_KEY, BotHarness, running_bot, settings_for


@pytest.fixture
async def bot(
    emulator: RunningEmulator, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[BotHarness]:
    """A module with ``SIGNED_LINKS = True`` gets a bot that signs its preview and results
    links with ``PREVIEW_KEY``, so its tests can follow them."""
    overrides = {}
    if getattr(request.module, "SIGNED_LINKS", False):
        overrides["signing_key"] = Secret(PREVIEW_KEY)
    async with running_bot(settings_for(emulator, tmp_path, **overrides), emulator) as harness:
        yield harness
