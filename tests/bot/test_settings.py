"""Settings: parsed once, bad values named, secrets never printed."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.settings import Settings

APP_ID = "11111111-2222-3333-4444-555555555555"
TENANT = "7a3d7b8e-0c5e-4d9c-9f0e-6b1a2f3c4d5e"


def test_defaults_need_no_environment() -> None:
    settings = Settings.from_env({})
    assert settings.port == 3978
    assert settings.graph_url == "https://graph.microsoft.com/v1.0"
    assert settings.database_url == "sqlite:///./.mailroom/mailroom.db"
    assert not settings.has_credentials


def test_azure_names_and_agents_sdk_names_are_both_accepted() -> None:
    azure = Settings.from_env(
        {"MicrosoftAppId": APP_ID, "MicrosoftAppPassword": "s3cret", "MicrosoftAppTenantId": TENANT}
    )
    sdk = Settings.from_env(
        {
            "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTID": APP_ID,
            "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTSECRET": "s3cret",
            "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__TENANTID": TENANT,
        }
    )
    assert azure == sdk
    assert azure.app_id == APP_ID
    assert azure.effective_allowed_tenants == (TENANT,)


def test_secret_never_prints() -> None:
    settings = Settings.from_env(
        {"MicrosoftAppId": APP_ID, "MicrosoftAppPassword": "s3cret", "MicrosoftAppTenantId": TENANT}
    )
    assert "s3cret" not in repr(settings)
    assert "s3cret" not in str(settings.app_password)
    assert settings.app_password is not None
    assert settings.app_password.reveal() == "s3cret"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"MicrosoftAppType": "Nonsense"}, "MicrosoftAppType"),
        ({"MicrosoftAppId": "not-a-guid"}, "MicrosoftAppId"),
        ({"MicrosoftAppId": APP_ID}, "MicrosoftAppPassword"),
        ({"MicrosoftAppId": APP_ID, "MicrosoftAppPassword": "x"}, "MicrosoftAppTenantId"),
        ({"MicrosoftAppPassword": "x"}, "MicrosoftAppPassword"),
        ({"PORT": "99999"}, "PORT"),
        ({"PORT": "http"}, "PORT"),
        ({"MAILROOM_GRAPH_URL": "http://graph.local"}, "MAILROOM_GRAPH_URL"),
        ({"MAILROOM_CA_BUNDLE": "/no/such/file.pem"}, "MAILROOM_CA_BUNDLE"),
        ({"MAILROOM_DATABASE_URL": "mysql://x"}, "MAILROOM_DATABASE_URL"),
        ({"MAILROOM_ALLOWED_TENANTS": "contoso.com"}, "MAILROOM_ALLOWED_TENANTS"),
        ({"MAILROOM_LOG_FORMAT": "xml"}, "MAILROOM_LOG_FORMAT"),
        ({"MAILROOM_LOG_LEVEL": "loud"}, "MAILROOM_LOG_LEVEL"),
        ({"MAILROOM_HOST": "example.com"}, "MAILROOM_HOST"),
        ({"MAILROOM_PRIVACY_THRESHOLD": "many"}, "MAILROOM_PRIVACY_THRESHOLD"),
        ({"MAILROOM_PRIVACY_THRESHOLD": "-1"}, "MAILROOM_PRIVACY_THRESHOLD"),
        ({"MAILROOM_RECIPIENTS_PER_DAY": "0"}, "MAILROOM_RECIPIENTS_PER_DAY"),
        ({"MAILROOM_RECIPIENTS_PER_DAY": "20000"}, "MAILROOM_RECIPIENTS_PER_DAY"),
        ({"MAILROOM_METRICS_TOKEN": "short"}, "MAILROOM_METRICS_TOKEN"),
        (
            {"MAILROOM_METRICS_TOKEN": "a token with spaces in it, long enough"},
            "MAILROOM_METRICS_TOKEN",
        ),
    ],
)
def test_bad_values_name_the_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(env)
    assert caught.value.setting == named


def test_the_recipients_per_day_default_to_exchanges_and_may_be_lowered() -> None:
    assert Settings.from_env({}).recipients_per_day == 10_000
    assert Settings.from_env({"MAILROOM_RECIPIENTS_PER_DAY": "2500"}).recipients_per_day == 2500


def test_the_metrics_token_is_a_secret() -> None:
    token = "m" * 40
    settings = Settings.from_env({"MAILROOM_METRICS_TOKEN": token})
    assert settings.metrics_token is not None
    assert settings.metrics_token.reveal() == token
    assert token not in repr(settings)
    assert Settings.from_env({}).metrics_token is None


def test_dotenv_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text('# comment\nPORT=4000\nMAILROOM_LOG_FORMAT="json"\n', encoding="utf-8")
    settings = Settings.from_env({"PORT": "5000"}, dotenv=dotenv)
    assert settings.port == 5000
    assert settings.log_format == "json"


def test_settings_are_frozen() -> None:
    settings = Settings.from_env({})
    with pytest.raises(AttributeError):
        settings.port = 1  # type: ignore[misc]


def test_only_the_channel_is_a_trusted_caller_unless_configured() -> None:
    assert Settings.from_env({}).trusted_callers == ("channel",)
    listed = Settings.from_env({"MAILROOM_TRUSTED_CALLERS": f" Channel , {APP_ID.upper()} "})
    assert listed.trusted_callers == ("channel", APP_ID)
    assert Settings.from_env({"MAILROOM_TRUSTED_CALLERS": APP_ID}).trusted_callers == (APP_ID,)


@pytest.mark.parametrize("value", ["teams", f"channel,{APP_ID}x", ",,"])
def test_a_bad_trusted_caller_names_the_variable(value: str) -> None:
    with pytest.raises(ConfigError, match="MAILROOM_TRUSTED_CALLERS"):
        Settings.from_env({"MAILROOM_TRUSTED_CALLERS": value})


def test_the_privacy_threshold_is_ten_unless_configured() -> None:
    assert Settings.from_env({}).privacy_threshold == 10
    assert Settings.from_env({"MAILROOM_PRIVACY_THRESHOLD": "0"}).privacy_threshold == 0
    assert Settings.from_env({"MAILROOM_PRIVACY_THRESHOLD": "25"}).privacy_threshold == 25


def test_token_cache_keys_are_fernet_keys_kept_secret_in_order() -> None:
    new, old = (
        "zbZfGWvGXKLQa8uA3RMuQgGgq3ZP7WcW3b0m0y6hM3o=",
        "m7mWcYg5V1mGqS2xWkz3cxW1yL8z7u5K2b3nq0r4s6E=",
    )
    settings = Settings.from_env({"MAILROOM_TOKEN_CACHE_KEY": f"{new}, {old}"})

    assert [k.reveal() for k in settings.token_cache_keys] == [new, old]
    assert new not in repr(settings)
    assert Settings.from_env({}).token_cache_keys == ()


@pytest.mark.parametrize(
    "value", ["not-a-key", "c2hvcnQ=", "zbZfGWvGXKLQa8uA3RMuQgGgq3ZP7WcW3b0m0y6hM3o=,x"]
)
def test_a_bad_token_cache_key_names_the_variable_not_the_key(value: str) -> None:
    with pytest.raises(ConfigError) as raised:
        Settings.from_env({"MAILROOM_TOKEN_CACHE_KEY": value})

    assert raised.value.setting == "MAILROOM_TOKEN_CACHE_KEY"
    assert value not in str(raised.value)


def test_the_token_service_url_defaults_to_the_bot_framework() -> None:
    assert Settings.from_env({}).token_service_url == "https://api.botframework.com"
    custom = Settings.from_env({"MAILROOM_TOKEN_SERVICE_URL": "https://token.example.us/"})
    assert custom.token_service_url == "https://token.example.us"


def test_the_message_size_limit_is_exchanges_default_unless_configured() -> None:
    assert Settings.from_env({}).max_message_mb == 35
    assert Settings.from_env({"MAILROOM_MAX_MESSAGE_MB": "50"}).max_message_mb == 50


@pytest.mark.parametrize("value", ["0", "151", "big"])
def test_a_message_size_limit_out_of_range_names_the_variable(value: str) -> None:
    with pytest.raises(ConfigError, match="MAILROOM_MAX_MESSAGE_MB"):
        Settings.from_env({"MAILROOM_MAX_MESSAGE_MB": value})


def test_file_download_hosts_default_to_sharepoint_and_refuse_urls() -> None:
    assert Settings.from_env({}).file_download_hosts == (".sharepoint.com",)
    with pytest.raises(ConfigError, match="MAILROOM_FILE_DOWNLOAD_HOSTS"):
        Settings.from_env({"MAILROOM_FILE_DOWNLOAD_HOSTS": "https://x.example/"})
