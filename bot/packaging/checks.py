"""Checks of the filled manifest and its icons that Microsoft's JSON schema cannot express,
worded for the Teams admin who runs ``mailroom package``.

Each check yields a ``Finding``: the ``PackageProblem`` to show, plus the JSON paths it
already explains (``covers``), so the schema's terser complaint about the same value can be
left out. A value that comes from a setting names that setting and says how to fix it.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from bot.errors import PackageProblem
from bot.packaging import png
from bot.packaging.options import OPTION_SOURCES, TOKEN_SERVICE_DOMAIN, PackageOptions
from bot.packaging.template import Json

COLOR_ICON_SIZE = 192
OUTLINE_ICON_SIZE = 32
MAX_COMMANDS_PER_LIST = 12
MAX_DEVELOPER_NAME = 32
_SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
_HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
_COMMAND_WORD = re.compile(r"^[a-z][a-z0-9-]*$")
_GUID_EXAMPLE = "0a1b2c3d-4e5f-6789-abcd-ef0123456789"
_REDRAW = "run `.venv/bin/python appPackage/draw_icons.py` to draw it again"


@dataclass(frozen=True)
class Finding:
    problem: PackageProblem
    covers: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def at(cls, path: str, message: str, *also: str) -> Finding:
        return cls(PackageProblem(path, message), frozenset((path, *also)))


@dataclass(frozen=True)
class PackageFile:
    """A file placed at the root of the zip."""

    name: str
    data: bytes


def lookup(document: Json, pointer: str) -> Json:
    """The value at a JSON Pointer, or None when any step is missing."""
    current = document
    for raw in pointer.strip("/").split("/") if pointer.strip("/") else []:
        step = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(current, dict):
            current = current.get(step)
        elif isinstance(current, list) and step.isdigit() and int(step) < len(current):
            current = current[int(step)]
        else:
            return None
    return current


def _setting(name: str) -> str:
    return OPTION_SOURCES[name].describe()


def _text(document: Json, pointer: str) -> str:
    value = lookup(document, pointer)
    return value if isinstance(value, str) else ""


def _is_guid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return len(value) == 36


def _is_https(value: str) -> bool:
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme == "https" and bool(parts.hostname)


def check_manifest(manifest: Json) -> list[Finding]:
    """Every problem with the filled manifest's values that a setting or the template caused."""
    return [
        *_check_ids(manifest),
        *_check_version(manifest),
        *_check_developer(manifest),
        *_check_accent(manifest),
        *_check_domains(manifest),
        *_check_commands(manifest),
    ]


def _check_ids(manifest: Json) -> Iterator[Finding]:
    bot_id = _text(manifest, "/bots/0/botId")
    teams_id = _text(manifest, "/id")
    # Every copy of the bot's id: single sign-on's and the message extension's.
    sso_paths = (
        "/webApplicationInfo/id",
        "/webApplicationInfo/resource",
        "/composeExtensions/0/botId",
    )
    same = ("/id",) if teams_id == bot_id else ()
    where = "Entra admin center → App registrations → Mailroom → Overview"
    if not bot_id:
        yield Finding.at(
            "/bots/0/botId",
            f"{_setting('bot_app_id')} is not set. Set it to the Application (client) ID of "
            f"Mailroom's app registration ({where}), the same value the bot runs with.",
            *sso_paths,
            *same,
        )
    elif not _is_guid(bot_id):
        yield Finding.at(
            "/bots/0/botId",
            f"{_setting('bot_app_id')} is {bot_id!r}, which is not an Application (client) ID. "
            f"Copy the ID from {where}; it looks like {_GUID_EXAMPLE}.",
            *sso_paths,
            *same,
        )
    if teams_id != bot_id and not _is_guid(teams_id):
        yield Finding.at(
            "/id",
            f"{_setting('teams_app_id')} is {teams_id!r}, which is not a GUID. Leave it unset to "
            f"use the bot's app id, or create one (PowerShell: [guid]::NewGuid()).",
        )
    if bot_id and _is_guid(bot_id):
        if _text(manifest, "/webApplicationInfo/id") != bot_id:
            yield Finding.at(
                "/webApplicationInfo/id",
                "must be the bot's app id ({{botId}} in appPackage/manifest.json) for single "
                "sign-on to work",
            )
        if lookup(manifest, "/composeExtensions") is not None and (
            _text(manifest, "/composeExtensions/0/botId") != bot_id
        ):
            yield Finding.at(
                "/composeExtensions/0/botId",
                "must be the bot's app id ({{botId}} in appPackage/manifest.json): the bot "
                "answers the message extension",
            )
        if _text(manifest, "/webApplicationInfo/resource") != f"api://botid-{bot_id}":
            yield Finding.at(
                "/webApplicationInfo/resource",
                f"must be api://botid-{bot_id}, the Application ID URI set under Expose an API "
                "in the app registration",
            )


def _check_version(manifest: Json) -> Iterator[Finding]:
    version = _text(manifest, "/version")
    if not _SEMVER.match(version):
        shown = f"is {version!r}" if version else "is not set"
        yield Finding.at(
            "/version",
            f"{_setting('version')} {shown}, but Teams needs three numbers like 1.4.0 (and a "
            "higher one for every update you upload).",
        )


def _check_developer(manifest: Json) -> Iterator[Finding]:
    name = _text(manifest, "/developer/name").strip()
    if not name or len(name) > MAX_DEVELOPER_NAME:
        shown = "is not set" if not name else f"is {len(name)} characters long"
        yield Finding.at(
            "/developer/name",
            f"{_setting('developer_name')} {shown}. Teams shows it as the app's publisher; use "
            f"your organisation's name, at most {MAX_DEVELOPER_NAME} characters.",
        )
    urls = (
        ("/developer/websiteUrl", "website_url", "a page where users find help with Mailroom"),
        ("/developer/privacyUrl", "privacy_url", "a privacy statement"),
        ("/developer/termsOfUseUrl", "terms_url", "terms of use"),
    )
    for pointer, option, what in urls:
        value = _text(manifest, pointer)
        if not value:
            page = {"privacy_url": "/privacy", "terms_url": "/terms"}.get(option, "")
            yield Finding.at(
                pointer,
                f"{_setting(option)} is not set (it defaults to MAILROOM_PUBLIC_URL{page}, "
                f"Mailroom's own page, and MAILROOM_PUBLIC_URL is not set either). Teams "
                f"links to {what}; set it to an https:// address.",
            )
        elif not _is_https(value):
            yield Finding.at(
                pointer,
                f"{_setting(option)} is {value!r}, but Teams needs an https:// address for {what}.",
            )


def _check_accent(manifest: Json) -> Iterator[Finding]:
    color = _text(manifest, "/accentColor")
    if not _HEX_COLOR.match(color):
        shown = f"is {color!r}" if color else "is not set"
        yield Finding.at(
            "/accentColor",
            f"{_setting('accent_color')} {shown}; use a colour code like #2F5BEA.",
        )


def _check_domains(manifest: Json) -> Iterator[Finding]:
    domains = lookup(manifest, "/validDomains")
    entries = domains if isinstance(domains, list) else []
    for index, entry in enumerate(entries):
        pointer = f"/validDomains/{index}"
        if entry == "":
            yield Finding.at(
                pointer,
                f"{_setting('public_url')} is not set. Set it to the https address where the "
                "bot is reachable, e.g. https://mailroom.contoso.com; its host name goes here.",
            )
        elif not isinstance(entry, str) or "/" in entry or ":" in entry:
            yield Finding.at(pointer, f"must be a bare host name, not {entry!r}")
    if TOKEN_SERVICE_DOMAIN not in entries:
        yield Finding.at(
            "/validDomains",
            f"must include {TOKEN_SERVICE_DOMAIN}, or Teams single sign-on cannot finish",
        )


def check_public_url(options: PackageOptions) -> list[Finding]:
    """The public URL feeds validDomains (and the website URL by default); Teams reaches bots
    over https only."""
    public_url = options.public_url
    if public_url and not _is_https(public_url):
        covers = () if options.website_url else ("/developer/websiteUrl",)
        return [
            Finding.at(
                "/validDomains/0",
                f"{_setting('public_url')} is {public_url!r}; Teams only reaches bots over "
                "https, so use an https:// address.",
                *covers,
            )
        ]
    return []


def _check_commands(manifest: Json) -> Iterator[Finding]:
    lists = lookup(manifest, "/bots/0/commandLists")
    for index, command_list in enumerate(lists if isinstance(lists, list) else []):
        base = f"/bots/0/commandLists/{index}/commands"
        commands = lookup(command_list, "/commands")
        if not isinstance(commands, list):
            continue
        if len(commands) > MAX_COMMANDS_PER_LIST:
            yield Finding.at(
                base,
                f"has {len(commands)} commands; Teams shows at most {MAX_COMMANDS_PER_LIST} per "
                "list (bot/teams/commands.py defines them)",
            )
        seen: set[str] = set()
        for position, command in enumerate(commands):
            title = _text(command, "/title")
            pointer = f"{base}/{position}/title"
            if not _COMMAND_WORD.match(title):
                yield Finding.at(
                    pointer,
                    f"{title!r} must be one lower-case word: Teams inserts the title in the "
                    "compose box and the bot reads the first word",
                )
            if title.lower() in seen:
                yield Finding.at(pointer, f"{title!r} appears twice in this command list")
            seen.add(title.lower())
            if not _text(command, "/description").strip():
                yield Finding.at(f"{base}/{position}/description", "must say what it does")


def load_icons(manifest: Json, app_package_dir: Path) -> tuple[list[Finding], list[PackageFile]]:
    """Read both icons named in the manifest and check size, format and transparency."""
    findings: list[Finding] = []
    files: list[PackageFile] = []
    for kind, check in (("color", _check_color_icon), ("outline", _check_outline_icon)):
        pointer = f"/icons/{kind}"
        name = _text(manifest, pointer)
        if not name or Path(name).name != name:
            findings.append(
                Finding.at(pointer, f"must be a file name at the zip root, not {name!r}")
            )
            continue
        path = app_package_dir / name
        try:
            data = path.read_bytes()
        except OSError as exc:
            findings.append(
                Finding.at(pointer, f"{path} cannot be read ({exc.strerror}); {_REDRAW}")
            )
            continue
        problems = check(data)
        findings.extend(Finding.at(pointer, f"{path} {problem}") for problem in problems)
        files.append(PackageFile(name, data))
    return findings, files


def _check_color_icon(data: bytes) -> list[str]:
    try:
        header = png.read_header(data)
    except ValueError as exc:
        return [f"{exc}; Teams needs a {COLOR_ICON_SIZE}×{COLOR_ICON_SIZE} PNG"]
    if (header.width, header.height) != (COLOR_ICON_SIZE, COLOR_ICON_SIZE):
        return [
            f"is {header.width}×{header.height} pixels; Teams needs the colour icon to be "
            f"exactly {COLOR_ICON_SIZE}×{COLOR_ICON_SIZE}"
        ]
    return []


def _check_outline_icon(data: bytes) -> list[str]:
    try:
        header = png.read_header(data)
        if (header.width, header.height) != (OUTLINE_ICON_SIZE, OUTLINE_ICON_SIZE):
            return [
                f"is {header.width}×{header.height} pixels; Teams needs the outline icon to be "
                f"exactly {OUTLINE_ICON_SIZE}×{OUTLINE_ICON_SIZE}"
            ]
        rows = png.read_pixels(data)
    except ValueError as exc:
        return [f"{exc}; the outline icon must be white on a transparent background"]
    pixels = [(x, y, pixel) for y, row in enumerate(rows) for x, pixel in enumerate(row)]
    problems: list[str] = []
    not_white = [(x, y) for x, y, (r, g, b, a) in pixels if a > 0 and (r, g, b) != (255, 255, 255)]
    if not_white:
        x, y = not_white[0]
        problems.append(
            f"has {len(not_white)} visible pixels that are not white (the first at x={x}, "
            f"y={y}); Teams draws the outline icon as a white shape, so every visible pixel "
            f"must be white on a transparent background; {_REDRAW}"
        )
    if not any(a == 0 for _x, _y, (_r, _g, _b, a) in pixels):
        problems.append(f"has no transparent pixels: the background must be transparent; {_REDRAW}")
    if not any(a > 0 for _x, _y, (_r, _g, _b, a) in pixels):
        problems.append(f"is fully transparent: there is nothing to see; {_REDRAW}")
    return problems


# --- the localization files (localizationInfo) ------------------------------------------------

# What a Teams localization file may translate, with Microsoft's length limits: the schema
# MicrosoftTeams.Localization.schema.json (v1.30) of @microsoft/app-manifest, "properties" and
# "patternProperties" (docs/platform.md, "Languages").
LOCALIZED_FIELDS = {
    "name.short": 30,
    "name.full": 100,
    "description.short": 80,
    "description.full": 4000,
}
REQUIRED_LOCALIZED = ("name.short", "description.short", "description.full")
_LOCALIZED_PATTERNS = (
    (
        re.compile(
            r"^bots\[0\]\.commandLists\[([0-2])\]\.commands\[([0-9]|1[01])\]\.(title|description)$"
        ),
        "/bots/0/commandLists/{0}/commands/{1}",
        {"title": 128, "description": 4000},
    ),
    (
        re.compile(r"^composeExtensions\[0\]\.commands\[([0-9])\]\.(title|description)$"),
        "/composeExtensions/0/commands/{0}",
        {"title": 32, "description": 128},
    ),
)
_LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})*$", re.IGNORECASE)


def check_language_file(
    manifest: Json, pointer: str, name: str, strings: Json, shipped: tuple[str, ...]
) -> Iterator[Finding]:
    """One ``additionalLanguages`` entry (at ``pointer``) and its parsed file ``strings``:
    only keys Teams localizes, each naming something the manifest has, within Microsoft's
    limits; a bot command's title never (Teams inserts it and the bot parses that word); and
    a language Mailroom's own cards speak (``shipped``: bot/i18n's catalogues)."""
    tag = _text(manifest, f"{pointer}/languageTag")
    if not _LANGUAGE_TAG.match(tag):
        yield Finding.at(f"{pointer}/languageTag", f"{tag!r} is not a language tag like de-de")
    elif tag.split("-")[0].lower() not in shipped:
        yield Finding.at(
            f"{pointer}/languageTag",
            f"Mailroom's cards have no {tag.split('-')[0]!r} catalogue (bot/i18n/locales has "
            f"{', '.join(shipped)}): Teams would show the app in {tag} and every card in English",
        )
    if not isinstance(strings, dict):
        yield Finding.at(f"{pointer}/file", f"appPackage/{name} must hold a JSON object")
        return
    for key in REQUIRED_LOCALIZED:
        if key not in strings:
            yield Finding.at(f"{pointer}/file", f"appPackage/{name} must translate {key!r}")
    for key, value in strings.items():
        if key == "$schema":
            continue
        where = f"{pointer}/file ({key})"
        limit = _localized_limit(manifest, key)
        if isinstance(limit, str):
            yield Finding.at(where, f"appPackage/{name}: {limit}")
        elif not isinstance(value, str) or not value.strip():
            yield Finding.at(where, f"appPackage/{name}: {key!r} must be a non-empty string")
        elif len(value) > limit:
            yield Finding.at(
                where, f"appPackage/{name}: {key!r} has {len(value)} characters; at most {limit}"
            )


def _localized_limit(manifest: Json, key: str) -> int | str:
    """The length limit for a localized key, or why the key is not one Teams takes."""
    if key in LOCALIZED_FIELDS:
        return LOCALIZED_FIELDS[key]
    for pattern, target, limits in _LOCALIZED_PATTERNS:
        match = pattern.match(key)
        if match is None:
            continue
        *indexes, field_name = match.groups()
        if lookup(manifest, target.format(*indexes)) is None:
            return f"{key!r} names an element the manifest does not have"
        if target.startswith("/bots") and field_name == "title":
            return (
                f"{key!r} must not be translated: Teams inserts a command's title in the "
                "compose box and the bot reads that word"
            )
        return limits[field_name]
    return f"{key!r} is not a field Teams localizes"
