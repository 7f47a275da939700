"""Mailroom's configuration: one frozen ``Settings``, parsed and validated once.

This is the only module that reads the process environment (``Settings.from_env`` is
handed a mapping; the CLI passes ``os.environ``). A bad value raises ``ConfigError``
naming the variable; the CLI turns that into exit code 2 and one line.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypeVar
from urllib.parse import urlsplit

from bot.errors import ConfigError

_T = TypeVar("_T", bound=str)
LogFormat = Literal["text", "json"]
AppType = Literal["SingleTenant", "MultiTenant", "UserAssignedMSI"]

_APP_TYPES: tuple[AppType, ...] = ("SingleTenant", "MultiTenant", "UserAssignedMSI")
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_SDK_PREFIX = "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__"
# In MAILROOM_TRUSTED_CALLERS: the Bot Framework channel service (Teams), which signs its
# tokens as https://api.botframework.com (docs/decisions/0003-inbound-callers.md).
CHANNEL_CALLER = "channel"


class Secret:
    """A value that must never be printed: ``repr`` and ``str`` give ``***``."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "***"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class Settings:
    """Everything Mailroom needs to start; see docs/configuration.md for each variable."""

    app_id: str | None = None
    app_password: Secret | None = field(default=None, repr=False)
    app_tenant_id: str | None = None
    app_type: AppType = "SingleTenant"
    graph_url: str = "https://graph.microsoft.com/v1.0"
    authority_host: str = "https://login.microsoftonline.com"
    exchange_admin_url: str | None = "https://outlook.office365.com/adminapi/beta"
    ca_bundle: Path | None = None
    database_url: str = "sqlite:///./.mailroom/mailroom.db"
    config_path: Path = Path("mailroom.toml")
    templates_dir: Path = Path("templates")
    allowed_tenants: tuple[str, ...] = ()
    # Who may post activities: the channel, and Entra app ids (appid/azp) trusted to speak
    # for users. Anything else is refused with 401 whatever its audience and issuer.
    trusted_callers: tuple[str, ...] = (CHANNEL_CALLER,)
    host: str = "0.0.0.0"  # noqa: S104 - a server's production default; checked by serve
    port: int = 3978
    log_format: LogFormat = "text"
    log_level: str = "INFO"
    public_url: str | None = None
    # Who users contact about Mailroom and their data (an address or a team's name), shown on
    # the /privacy and /terms pages the Teams app package links to.
    admin_contact: str | None = None
    # Mailroom's id in the organisation's Teams app catalog: lets it install itself for an
    # approver who has no chat with it yet (None: such approvers are emailed).
    teams_app_id: str | None = None
    tenant_domain: str | None = None
    oauth_connection: str | None = None  # the Azure Bot's OAuth connection for Teams SSO
    # The Bot Framework token service that holds the OAuth connection's user tokens.
    token_service_url: str = "https://api.botframework.com"  # noqa: S105 - a URL, no secret
    # Fernet keys for the users' token caches in the database; the first encrypts, all
    # decrypt (rotation). Empty: the caches live in the process only.
    token_cache_keys: tuple[Secret, ...] = field(default=(), repr=False)
    signing_key: Secret | None = field(default=None, repr=False)
    # Microsoft Graph / Exchange credentials; default to the bot's own app registration.
    graph_client_id: str | None = None
    graph_client_secret: Secret | None = field(default=None, repr=False)
    graph_tenant_id: str | None = None
    # How long an outbox job stays claimed without a heartbeat; after a crash, another
    # process reclaims (and reconciles) the job once this has passed.
    outbox_lease_seconds: int = 90
    # A single message with more external addresses than this in To/Cc (where every
    # recipient sees them) gets the privacy prompt on its preview: Bcc, or one each.
    privacy_threshold: int = 10
    # Exchange's recipient rate limit per sender mailbox per rolling 24 hours (10,000);
    # lower it for mailboxes people also send from by hand (Mailroom only counts its own).
    recipients_per_day: int = 10_000
    # A bearer token for GET /metrics; without one only loopback peers may scrape.
    metrics_token: Secret | None = field(default=None, repr=False)
    # The tenant's message size limit in MB (Exchange Online's default is 35): a preview whose
    # files would take the email past it is refused with the limit named.
    max_message_mb: int = 35
    # Hosts a file a user sends in chat may be downloaded from (Teams puts it in OneDrive:
    # ``*.sharepoint.com``). A leading dot matches any subdomain.
    file_download_hosts: tuple[str, ...] = (".sharepoint.com",)
    # Only `mailroom dev` sets this (never from the environment): user tokens minted by the
    # local tenant emulator stand in for Teams SSO, which the Agents Playground lacks.
    dev_token_source: bool = False
    # A message whose answer is not ready after this long gets a typing indicator first
    # (Teams Store rule: answer within two seconds or show one). Fixed; tests shorten it.
    typing_after_seconds: float = 1.5

    @property
    def graph_credentials(self) -> tuple[str, Secret, str] | None:
        """(client id, secret, tenant) for Graph and Exchange, or None when not configured."""
        client = self.graph_client_id or self.app_id
        secret = self.graph_client_secret or self.app_password
        tenant = self.graph_tenant_id or self.app_tenant_id
        if client and secret and tenant:
            return client, secret, tenant
        return None

    @property
    def has_credentials(self) -> bool:
        return self.app_id is not None

    @property
    def effective_allowed_tenants(self) -> tuple[str, ...]:
        """Tenants whose activities are served; empty means any (anonymous local use)."""
        if self.allowed_tenants:
            return self.allowed_tenants
        return (self.app_tenant_id,) if self.app_tenant_id else ()

    @classmethod
    def from_env(cls, env: Mapping[str, str], *, dotenv: Path | None = None) -> Settings:
        """Parse ``env`` (plus an optional ``.env`` file, which ``env`` overrides)."""
        merged: dict[str, str] = {}
        if dotenv is not None and dotenv.is_file():
            merged.update(read_dotenv(dotenv))
        merged.update(env)
        return _parse(merged)


def _parse(env: Mapping[str, str]) -> Settings:
    def get(*names: str) -> tuple[str, str] | None:
        for name in names:
            value = env.get(name, "").strip()
            if value:
                return name, value
        return None

    app_id = _optional_guid(get("MicrosoftAppId", _SDK_PREFIX + "CLIENTID"))
    tenant = _optional_guid(get("MicrosoftAppTenantId", _SDK_PREFIX + "TENANTID"))
    password_item = get("MicrosoftAppPassword", _SDK_PREFIX + "CLIENTSECRET")
    app_type = _choice(get("MicrosoftAppType"), _APP_TYPES, "SingleTenant")
    if password_item is not None and app_id is None:
        raise ConfigError(password_item[0], "is set but MicrosoftAppId is not; set both")
    if app_id is not None and password_item is None and app_type != "UserAssignedMSI":
        raise ConfigError("MicrosoftAppPassword", "is required when MicrosoftAppId is set")
    if app_type == "SingleTenant" and app_id is not None and tenant is None:
        raise ConfigError("MicrosoftAppTenantId", "is required for a SingleTenant app")

    ca_item = get("MAILROOM_CA_BUNDLE")
    ca_bundle = None
    if ca_item is not None:
        ca_bundle = Path(ca_item[1])
        if not ca_bundle.is_file():
            raise ConfigError(ca_item[0], f"file not found: {ca_bundle}")

    return Settings(
        app_id=app_id,
        app_password=Secret(password_item[1]) if password_item else None,
        app_tenant_id=tenant,
        app_type=app_type,
        graph_url=_https_url(get("MAILROOM_GRAPH_URL"), Settings.graph_url),
        authority_host=_https_url(get("MAILROOM_AUTHORITY_HOST"), Settings.authority_host),
        exchange_admin_url=_exchange_url(get("MAILROOM_EXCHANGE_ADMIN_URL")),
        ca_bundle=ca_bundle,
        database_url=_database_url(get("MAILROOM_DATABASE_URL")),
        config_path=Path(_value(get("MAILROOM_CONFIG"), str(Settings.config_path))),
        templates_dir=Path(_value(get("MAILROOM_TEMPLATES_DIR"), str(Settings.templates_dir))),
        allowed_tenants=_guid_list(get("MAILROOM_ALLOWED_TENANTS")),
        trusted_callers=_trusted_callers(get("MAILROOM_TRUSTED_CALLERS")),
        host=_host(get("MAILROOM_HOST")),
        port=_port(get("PORT")),
        log_format=_choice(get("MAILROOM_LOG_FORMAT"), ("text", "json"), "text"),
        log_level=_choice(get("MAILROOM_LOG_LEVEL"), _LOG_LEVELS, "INFO", upper=True),
        public_url=_optional_url(get("MAILROOM_PUBLIC_URL")),
        admin_contact=_value(get("MAILROOM_ADMIN_CONTACT"), "").strip()[:200] or None,
        teams_app_id=_optional_guid(get("MAILROOM_TEAMS_APP_ID")),
        tenant_domain=_domain(get("MAILROOM_TENANT_DOMAIN")),
        oauth_connection=_value(get("MAILROOM_OAUTH_CONNECTION"), "") or None,
        token_service_url=_optional_url(get("MAILROOM_TOKEN_SERVICE_URL"))
        or Settings.token_service_url,
        token_cache_keys=_fernet_keys(get("MAILROOM_TOKEN_CACHE_KEY")),
        signing_key=Secret(key[1]) if (key := get("MAILROOM_SIGNING_KEY")) else None,
        graph_client_id=_optional_guid(get("MAILROOM_GRAPH_CLIENT_ID")),
        graph_client_secret=Secret(g[1]) if (g := get("MAILROOM_GRAPH_CLIENT_SECRET")) else None,
        graph_tenant_id=_optional_guid(get("MAILROOM_GRAPH_TENANT_ID")),
        outbox_lease_seconds=_bounded_int(get("MAILROOM_OUTBOX_LEASE_SECONDS"), 90, 5, 3600),
        privacy_threshold=_bounded_int(get("MAILROOM_PRIVACY_THRESHOLD"), 10, 0, 10_000),
        recipients_per_day=_bounded_int(get("MAILROOM_RECIPIENTS_PER_DAY"), 10_000, 1, 10_000),
        metrics_token=_metrics_token(get("MAILROOM_METRICS_TOKEN")),
        max_message_mb=_bounded_int(get("MAILROOM_MAX_MESSAGE_MB"), 35, 1, 150),
        file_download_hosts=_hosts(get("MAILROOM_FILE_DOWNLOAD_HOSTS")),
    )


def _value(item: tuple[str, str] | None, default: str) -> str:
    return item[1] if item else default


def _optional_guid(item: tuple[str, str] | None) -> str | None:
    if item is None:
        return None
    name, value = item
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise ConfigError(name, f"must be a GUID, got {value!r}") from None


def _guid_list(item: tuple[str, str] | None) -> tuple[str, ...]:
    if item is None:
        return ()
    name, value = item
    parts = [p.strip() for p in value.split(",") if p.strip()]
    return tuple(_optional_guid((name, p)) or "" for p in parts)


def _trusted_callers(item: tuple[str, str] | None) -> tuple[str, ...]:
    """``channel`` and/or app ids, comma-separated; the list replaces the default."""
    if item is None:
        return Settings.trusted_callers
    name, value = item
    callers: list[str] = []
    for part in (p.strip() for p in value.split(",")):
        if not part:
            continue
        try:
            caller = CHANNEL_CALLER if part.lower() == CHANNEL_CALLER else str(uuid.UUID(part))
        except ValueError:
            raise ConfigError(name, f"entries must be channel or an app id, got {part!r}") from None
        if caller not in callers:
            callers.append(caller)
    if not callers:
        raise ConfigError(name, "must name at least one caller: channel or an app id")
    return tuple(callers)


def _choice(
    item: tuple[str, str] | None, options: tuple[_T, ...], default: _T, *, upper: bool = False
) -> _T:
    if item is None:
        return default
    name, value = item
    wanted = value.upper() if upper else value
    for option in options:
        if option == wanted:
            return option
    raise ConfigError(name, f"must be one of {', '.join(options)}; got {value!r}")


def _https_url(item: tuple[str, str] | None, default: str) -> str:
    if item is None:
        return default
    name, value = item
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.netloc:
        raise ConfigError(name, f"must be an https:// URL, got {value!r}")
    return value.rstrip("/")


def _exchange_url(item: tuple[str, str] | None) -> str | None:
    """``off`` disables the Exchange admin API (delegated senders are then "not verified")."""
    if item is not None and item[1].lower() in ("off", "none", "disabled"):
        return None
    return _https_url(item, "https://outlook.office365.com/adminapi/beta")


def _domain(item: tuple[str, str] | None) -> str | None:
    if item is None:
        return None
    name, value = item
    if not re.fullmatch(r"[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+", value):
        raise ConfigError(name, f"must be a domain such as contoso.com, got {value!r}")
    return value.lower()


def _hosts(item: tuple[str, str] | None) -> tuple[str, ...]:
    """``.sharepoint.com,files.contoso.com``: host names, a leading dot for any subdomain."""
    if item is None:
        return Settings.file_download_hosts
    name, value = item
    hosts = tuple(h.strip().lower() for h in value.split(",") if h.strip())
    for host in hosts:
        if not re.fullmatch(r"\.?[a-z0-9-]+(\.[a-z0-9-]+)*", host):
            raise ConfigError(name, f"must be host names such as .sharepoint.com, got {host!r}")
    return hosts


def _fernet_keys(item: tuple[str, str] | None) -> tuple[Secret, ...]:
    """``KEY[,OLD_KEY...]``: each a Fernet key (32 bytes, url-safe base64)."""
    if item is None:
        return ()
    name, value = item
    keys = [k.strip() for k in value.split(",") if k.strip()]
    for index, key in enumerate(keys, start=1):
        try:
            raw = base64.urlsafe_b64decode(key.encode())
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) != 32:  # Fernet's key size
            raise ConfigError(
                name,
                f"key {index} is not a Fernet key (32 bytes, url-safe base64; see "
                "docs/configuration.md for how to make one)",
            )
    return tuple(Secret(k) for k in keys)


def _optional_url(item: tuple[str, str] | None) -> str | None:
    if item is None:
        return None
    name, value = item
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(name, f"must be an http(s):// URL, got {value!r}")
    return value.rstrip("/")


def _database_url(item: tuple[str, str] | None) -> str:
    if item is None:
        return Settings.database_url
    name, value = item
    if not re.match(r"^(sqlite:///.+|postgres(ql)?://.+)$", value):
        raise ConfigError(name, "must be sqlite:///PATH or postgresql://USER@HOST/DB")
    return value


def _bounded_int(item: tuple[str, str] | None, default: int, lo: int, hi: int) -> int:
    if item is None:
        return default
    name, value = item
    if not value.isdigit() or not lo <= int(value) <= hi:
        raise ConfigError(name, f"must be a whole number from {lo} to {hi}, got {value!r}")
    return int(value)


def _host(item: tuple[str, str] | None) -> str:
    if item is None:
        return Settings.host
    name, value = item
    if value == "localhost":
        return value
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise ConfigError(name, f"must be an IP address or localhost, got {value!r}") from None
    return value


def _port(item: tuple[str, str] | None) -> int:
    if item is None:
        return Settings.port
    name, value = item
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise ConfigError(name, f"must be a port number 1-65535, got {value!r}")
    return int(value)


MIN_METRICS_TOKEN = 32


def _metrics_token(item: tuple[str, str] | None) -> Secret | None:
    """At least 32 printable characters without spaces: it is compared as sent in a header."""
    if item is None or not item[1]:
        return None
    name, value = item
    if (
        len(value) < MIN_METRICS_TOKEN
        or not value.isascii()
        or not value.isprintable()
        or (any(c.isspace() for c in value))
    ):
        raise ConfigError(
            name, f"must be at least {MIN_METRICS_TOKEN} printable ASCII characters, no spaces"
        )
    return Secret(value)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def read_dotenv(path: Path) -> dict[str, str]:
    """Read KEY=VALUE lines; ``#`` comments and blank lines are skipped, quotes stripped."""
    values: dict[str, str] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export ") :]
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise ConfigError(str(path), "expected KEY=VALUE", line=number)
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values
