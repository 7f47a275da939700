"""The bot, wired as in production, against the emulator over real HTTPS."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.settings import Secret
from emulator.testing import RunningEmulator
from tests.support.botapp import PREVIEW_KEY, BotHarness, running_bot, settings_for
from tests.support.policies import fast_support_policy, match_transport


@pytest.fixture
async def bot(
    emulator: RunningEmulator, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[BotHarness]:
    """A module with ``SIGNED_LINKS = True`` gets a bot that signs its preview and results
    links with ``PREVIEW_KEY``, so its tests can follow them; one with ``FAST_SUPPORT = True``
    gets support@ paced for bulk sends that are over at once (tests/support/policies.py)."""
    overrides: dict[str, Any] = {}
    if getattr(request.module, "SIGNED_LINKS", False):
        overrides["signing_key"] = Secret(PREVIEW_KEY)
    if getattr(request.module, "FAST_SUPPORT", False):
        overrides["policy"] = fast_support_policy(tmp_path)
        match_transport(emulator)
    async with running_bot(settings_for(emulator, tmp_path, **overrides), emulator) as harness:
        yield harness
