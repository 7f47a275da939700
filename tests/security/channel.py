"""The whole bot with authentication on, spoken to as Teams' channel does — and as other
callers of the tenant could.

Signing keys come through the seam (docs/decisions/0002-jwt-test-seam.md): the emulator's
JWKS stands in for Microsoft's, so the emulator's connector signs the channel's tokens and
its Entra signs every app's client-credentials tokens, each exactly as Microsoft would.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
from aiohttp import web

from bot.settings import Secret, Settings
from emulator.testing import RunningEmulator
from tests.security.tokens import emulator_keys
from tests.support.botapp import BotHarness, running_bot, settings_for
from tests.support.servers import http_client

REPORTING_APP = "9b799f5e-3895-4108-9ea0-0ef517425fa7"  # "Contoso Reporting", demo seed
REPORTING_SECRET = "reporting-secret-not-for-production"


def authenticated_settings(emulator: RunningEmulator, tmp_path: Path, **overrides: Any) -> Settings:
    app = emulator.bot_app
    base = settings_for(emulator, tmp_path)
    return replace(
        base,
        app_id=app.client_id,
        app_password=Secret(app.secret),
        app_tenant_id=emulator.tenant_id,
        **overrides,
    )


class ChannelBot(BotHarness):
    """``BotHarness`` whose posts carry the channel's token (``serviceurl`` = the
    emulator's connector); ``post_as`` sends with any other ``Authorization``."""

    def __init__(self, url: str, emulator: RunningEmulator, app: web.Application) -> None:
        self.channel_token = emulator.control.mint_channel_token(service_url=emulator.base_url)
        super().__init__(
            url, emulator, app, headers={"Authorization": f"Bearer {self.channel_token}"}
        )

    async def post_as(self, authorization: str | None, activity: dict[str, Any]) -> httpx.Response:
        headers = {} if authorization is None else {"Authorization": authorization}
        async with http_client(timeout=30) as http:
            return await http.post(f"{self.url}/api/messages", json=activity, headers=headers)


def authenticated_bot(
    settings: Settings, emulator: RunningEmulator
) -> AbstractAsyncContextManager[ChannelBot]:
    return running_bot(settings, emulator, signing_keys=emulator_keys(emulator), harness=ChannelBot)


def client_credentials(
    emulator: RunningEmulator, client_id: str, secret: str, resource: str
) -> str:
    """A token from the emulator's Entra, as any confidential client of the tenant gets one."""
    answer = httpx.post(
        f"{emulator.authority}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": secret,
            "scope": f"{resource}/.default",
        },
        verify=emulator.ssl_context(),
    )
    answer.raise_for_status()
    return str(answer.json()["access_token"])
