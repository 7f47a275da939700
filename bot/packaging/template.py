"""Fill appPackage/manifest.json: ``{{name}}`` placeholders → values.

The template is plain JSON (so editors and the schema's tooling can read it). A string that is
exactly one placeholder (``"{{commands}}"``) is replaced by the value itself, which may be a list
or an object; a placeholder inside a longer string (``"api://botid-{{botId}}"``) is replaced by
text. The values come from ``template_values``:

=================  ==========================================================
``botId``          the bot's Entra app (client) id (``MicrosoftAppId``)
``teamsAppId``     the Teams app id (defaults to ``botId``)
``version``        the Teams app version
``domain``         the host name of the public URL (for ``validDomains``)
``developerName``  / ``websiteUrl`` / ``privacyUrl`` / ``termsOfUseUrl`` (the last two
                   default to the bot's own ``/privacy`` and ``/terms`` pages)
``accentColor``    ``#RRGGBB``
``commands``       the bot's command list, from ``bot.teams.commands.COMMANDS``
=================  ==========================================================
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TypeAlias
from urllib.parse import urlsplit

from bot.errors import PackageError, PackageProblem
from bot.i18n import _
from bot.legal_pages import PRIVACY_PATH, TERMS_PATH, page_url
from bot.packaging.options import PackageOptions
from bot.teams.commands import CommandSpec

Json: TypeAlias = "dict[str, Json] | list[Json] | str | int | float | bool | None"

_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


def manifest_command(spec: CommandSpec) -> dict[str, Json]:
    """One manifest command. Its title is what Teams inserts in the compose box, so it is the
    word the bot parses (``send``); the description carries the human title and the usage."""
    description = _(
        "{title}: {description}. Usage: {usage}",
        title=_(spec.title),
        description=_(spec.description),
        usage=spec.usage,
    )
    return {"title": spec.name, "description": description}


def template_values(options: PackageOptions, commands: Sequence[CommandSpec]) -> dict[str, Json]:
    bot_id = options.bot_app_id or ""
    return {
        "botId": bot_id,
        "teamsAppId": options.teams_app_id or bot_id,
        "version": options.version or "",
        "domain": host_of(options.public_url),
        "developerName": options.developer_name or "",
        "websiteUrl": options.website_url or options.public_url or "",
        # Mailroom's own pages (bot/legal_pages.py) unless the organisation names its own.
        "privacyUrl": options.privacy_url or page_url(options.public_url, PRIVACY_PATH),
        "termsOfUseUrl": options.terms_url or page_url(options.public_url, TERMS_PATH),
        "accentColor": options.accent_color or "",
        "commands": [manifest_command(spec) for spec in commands],
    }


def host_of(url: str | None) -> str:
    """The host name of ``url`` ("" when unset or not a URL)."""
    if not url:
        return ""
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return ""


def fill(template: Json, values: Mapping[str, Json], path: str = "") -> Json:
    """A copy of ``template`` with every placeholder replaced; an unknown one is a problem."""
    if isinstance(template, dict):
        return {key: fill(item, values, f"{path}/{_escape(key)}") for key, item in template.items()}
    if isinstance(template, list):
        return [fill(item, values, f"{path}/{index}") for index, item in enumerate(template)]
    if not isinstance(template, str):
        return template
    names = _PLACEHOLDER.findall(template)
    unknown = [name for name in names if name not in values]
    if unknown:
        raise PackageError(
            [
                PackageProblem(
                    path or "/",
                    f"appPackage/manifest.json uses {{{{{unknown[0]}}}}}, which mailroom package "
                    f"does not fill; known placeholders: {', '.join(sorted(values))}",
                )
            ]
        )
    whole = _PLACEHOLDER.fullmatch(template)
    if whole:
        return values[whole.group(1)]
    return _PLACEHOLDER.sub(lambda match: _as_text(values[match.group(1)], path), template)


def _as_text(value: Json, path: str) -> str:
    if isinstance(value, str):
        return value
    raise PackageError(
        [PackageProblem(path or "/", "a list or object placeholder must be the whole string")]
    )


def _escape(key: str) -> str:
    """A JSON Pointer segment (RFC 6901)."""
    return key.replace("~", "~0").replace("/", "~1")
