"""The bot under `mailroom dev`: aimed at the emulator, anonymous, never at a real tenant."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.devmode.botserver import require_loopback
from bot.devmode.environment import bot_env
from bot.devmode.readiness import EmulatorInfo
from bot.errors import ConfigError
from bot.settings import Settings
from emulator.seed import DEMO_SEED, load_seed
from emulator.state import TeamsApps

DEMO = load_seed(DEMO_SEED)
EMULATOR = EmulatorInfo(
    "https://127.0.0.1:4443", Path("/tmp/ca.pem"), DEMO.id, TeamsApps.catalog_id
)


def test_bot_is_pointed_at_the_emulator_with_the_demo_app(tmp_path: Path) -> None:
    env = bot_env({}, EMULATOR, DEMO, tmp_path)
    assert env["MAILROOM_GRAPH_URL"] == "https://127.0.0.1:4443/v1.0"
    assert env["MAILROOM_AUTHORITY_HOST"] == "https://127.0.0.1:4443"
    assert env["MAILROOM_EXCHANGE_ADMIN_URL"] == "https://127.0.0.1:4443/adminapi/beta"
    assert env["MAILROOM_CA_BUNDLE"] == "/tmp/ca.pem"
    assert env["MAILROOM_ALLOWED_TENANTS"] == DEMO.id
    assert env["MAILROOM_GRAPH_CLIENT_ID"] == DEMO.bot_app.client_id
    assert env["MAILROOM_DATABASE_URL"] == "sqlite:///./.mailroom/dev.db"


def test_bot_can_install_itself_for_approvers_from_the_emulated_catalog(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("", encoding="utf-8")
    emulator = EmulatorInfo(EMULATOR.base_url, ca, DEMO.id, TeamsApps.catalog_id)
    env = bot_env({"MAILROOM_TEAMS_APP_ID": "1b2c3d4e-0000-4000-8000-000000000000"}, emulator,
                  DEMO, tmp_path)  # fmt: skip
    assert Settings.from_env(env).teams_app_id == TeamsApps.catalog_id  # never a real catalog's


def test_bot_credentials_from_the_environment_or_dotenv_are_blanked(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("", encoding="utf-8")
    emulator = EmulatorInfo(EMULATOR.base_url, ca, DEMO.id)
    dotenv = tmp_path / ".env"
    dotenv.write_text("MicrosoftAppId=5f3b1a52-3c1e-4a53-9a0c-0d6b8f1d2e11\n", encoding="utf-8")
    env = bot_env({"MicrosoftAppPassword": "x"}, emulator, DEMO, tmp_path)
    settings = Settings.from_env(env, dotenv=dotenv)
    assert not settings.has_credentials  # anonymous: the Playground sends no token
    assert settings.graph_credentials is not None  # Graph still works, as the demo app


def test_the_example_policy_is_used_only_when_present_and_not_chosen(tmp_path: Path) -> None:
    assert "MAILROOM_CONFIG" not in bot_env({}, EMULATOR, DEMO, tmp_path)
    (tmp_path / "mailroom.example.toml").write_text("", encoding="utf-8")
    assert bot_env({}, EMULATOR, DEMO, tmp_path)["MAILROOM_CONFIG"] == "mailroom.example.toml"
    chosen = bot_env({"MAILROOM_CONFIG": "mine.toml"}, EMULATOR, DEMO, tmp_path)
    assert chosen["MAILROOM_CONFIG"] == "mine.toml"


def test_dev_bot_accepts_an_emulator_on_loopback() -> None:
    require_loopback(
        Settings(
            host="127.0.0.1",
            graph_url="https://127.0.0.1:4443/v1.0",
            authority_host="https://localhost:4443",
            exchange_admin_url=None,
        )
    )


@pytest.mark.parametrize(
    ("field", "value", "setting"),
    [
        ("graph_url", "https://graph.microsoft.com/v1.0", "MAILROOM_GRAPH_URL"),
        ("authority_host", "https://login.microsoftonline.com", "MAILROOM_AUTHORITY_HOST"),
        (
            "exchange_admin_url",
            "https://outlook.office365.com/adminapi/beta",
            "MAILROOM_EXCHANGE_ADMIN_URL",
        ),
        ("host", "0.0.0.0", "--host"),
    ],
)
def test_dev_token_source_refuses_anything_but_loopback(
    field: str, value: str, setting: str
) -> None:
    local = {
        "host": "127.0.0.1",
        "graph_url": "https://127.0.0.1:1/v1.0",
        "authority_host": "https://127.0.0.1:1",
        "exchange_admin_url": "https://127.0.0.1:1/adminapi/beta",
    }
    local[field] = value
    with pytest.raises(ConfigError) as caught:
        require_loopback(Settings(**local))  # type: ignore[arg-type]
    assert caught.value.setting == setting
