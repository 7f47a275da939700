"""The bot's environment under ``mailroom dev``: pointed at the emulator, anonymous on
loopback, SQLite under ``./.mailroom/``, the demo policy when there is one, and Mailroom's id
in the emulated Teams app catalog."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from bot.devmode.readiness import EmulatorInfo
from emulator.seed import Tenant

DATABASE_URL = "sqlite:///./.mailroom/dev.db"
EXAMPLE_CONFIG = "mailroom.example.toml"

# Cleared for the bot so that a production ./.env cannot switch on JWT checks (the
# Playground sends no token) or aim the bot at a real tenant.
_CLEARED_FOR_BOT = (
    "MicrosoftAppId",
    "MicrosoftAppPassword",
    "MicrosoftAppTenantId",
    "MicrosoftAppType",
    "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTID",
    "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTSECRET",
    "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__TENANTID",
    "MAILROOM_OAUTH_CONNECTION",
)


def bot_env(
    base: Mapping[str, str], emulator: EmulatorInfo, tenant: Tenant, workdir: Path
) -> dict[str, str]:
    """The bot's environment: pointed at the emulator, anonymous, SQLite under .mailroom/."""
    env = dict(base)
    env.update(dict.fromkeys(_CLEARED_FOR_BOT, ""))
    app = tenant.bot_app
    env.update(
        {
            "MAILROOM_GRAPH_URL": f"{emulator.base_url}/v1.0",
            "MAILROOM_AUTHORITY_HOST": emulator.base_url,
            "MAILROOM_EXCHANGE_ADMIN_URL": f"{emulator.base_url}/adminapi/beta",
            "MAILROOM_CA_BUNDLE": str(emulator.ca_path),
            "MAILROOM_DATABASE_URL": DATABASE_URL,
            "MAILROOM_ALLOWED_TENANTS": tenant.id,
            "MAILROOM_TENANT_DOMAIN": tenant.domain,
            "MAILROOM_GRAPH_CLIENT_ID": app.client_id,
            "MAILROOM_GRAPH_CLIENT_SECRET": app.secret,
            "MAILROOM_GRAPH_TENANT_ID": tenant.id,
            "NO_PROXY": "127.0.0.1,localhost,::1",
        }
    )
    # Mailroom as published in the emulated tenant's Teams app catalog: lets it install
    # itself for an approver who never opened it, as MAILROOM_TEAMS_APP_ID does in a tenant.
    if emulator.teams_app_id:
        env["MAILROOM_TEAMS_APP_ID"] = emulator.teams_app_id
    if not base.get("MAILROOM_CONFIG") and (workdir / EXAMPLE_CONFIG).is_file():
        env["MAILROOM_CONFIG"] = EXAMPLE_CONFIG
    return env
