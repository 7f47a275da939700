"""What the admin chooses for the Teams app package, and where each value comes from.

``PackageOptions`` holds raw, unchecked strings: checking them is the package's job (see
``checks.py``), so that every bad value is reported at once with the manifest path it feeds.
``OPTION_SOURCES`` names, for each field, the command-line flag and the environment variable
that set it; the CLI resolves them and the problem messages quote them. These values are not
part of ``Settings``: only ``mailroom package`` needs them.
"""

from __future__ import annotations

from dataclasses import dataclass

# Keep equal to ACCENT in appPackage/draw_icons.py (a test checks).
DEFAULT_ACCENT_COLOR = "#2F5BEA"
TOKEN_SERVICE_DOMAIN = "token.botframework.com"  # noqa: S105 - a host name, not a secret


@dataclass(frozen=True)
class PackageOptions:
    """Values filled into appPackage/manifest.json. ``None`` means "not set"."""

    bot_app_id: str | None = None
    teams_app_id: str | None = None
    version: str | None = None
    public_url: str | None = None
    developer_name: str | None = None
    website_url: str | None = None
    privacy_url: str | None = None
    terms_url: str | None = None
    accent_color: str | None = DEFAULT_ACCENT_COLOR


@dataclass(frozen=True)
class OptionSource:
    """Where an option is set: a command-line flag and/or environment variables (first wins)."""

    flag: str | None
    env: tuple[str, ...]
    meaning: str

    def describe(self) -> str:
        """``MAILROOM_PACKAGE_PRIVACY_URL (or --privacy-url)``: how an admin sets it."""
        names = " or ".join(self.env[:1])
        if self.flag and names:
            return f"{names} (or {self.flag})"
        return names or str(self.flag)


OPTION_SOURCES: dict[str, OptionSource] = {
    "bot_app_id": OptionSource(
        None,
        ("MicrosoftAppId", "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTID"),
        "the Application (client) ID of Mailroom's Entra app registration, the same value "
        "the bot runs with",
    ),
    "teams_app_id": OptionSource(
        "--teams-app-id",
        ("MAILROOM_PACKAGE_APP_ID",),
        "the Teams app's own id (defaults to the bot's app id)",
    ),
    "version": OptionSource(
        "--app-version",
        ("MAILROOM_PACKAGE_VERSION",),
        "the Teams app version (defaults to Mailroom's version)",
    ),
    "public_url": OptionSource(
        "--public-url",
        ("MAILROOM_PUBLIC_URL",),
        "the https address where the bot is reachable",
    ),
    "developer_name": OptionSource(
        "--developer-name",
        ("MAILROOM_PACKAGE_DEVELOPER_NAME",),
        "who publishes the app in your organisation (shown in the Teams store)",
    ),
    "website_url": OptionSource(
        "--website-url",
        ("MAILROOM_PACKAGE_WEBSITE_URL",),
        "a support page for Mailroom users (defaults to the public URL)",
    ),
    "privacy_url": OptionSource(
        "--privacy-url",
        ("MAILROOM_PACKAGE_PRIVACY_URL",),
        "your organisation's privacy statement (defaults to the bot's own page, "
        "MAILROOM_PUBLIC_URL/privacy)",
    ),
    "terms_url": OptionSource(
        "--terms-url",
        ("MAILROOM_PACKAGE_TERMS_URL",),
        "your organisation's terms of use (defaults to the bot's own page, "
        "MAILROOM_PUBLIC_URL/terms)",
    ),
    "accent_color": OptionSource(
        "--accent-color",
        ("MAILROOM_PACKAGE_ACCENT_COLOR",),
        f"the colour behind the icon, like {DEFAULT_ACCENT_COLOR}",
    ),
}
