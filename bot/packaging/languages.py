"""The manifest's other languages: ``localizationInfo.additionalLanguages`` names one file per
language in appPackage/ (``de.json``), placed at the zip root beside the manifest.

The file holds what Teams shows of the app in that language (name, descriptions, the message
action). The bot commands' descriptions are added here from Mailroom's own catalogue
(bot/i18n), so they always match the commands; their titles stay the words the bot parses.
Microsoft's format: learn.microsoft.com/microsoftteams/platform/concepts/build-and-test/
apps-localization and the localization schema (docs/platform.md, "Languages")."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from bot.i18n import LANGUAGES, use_language
from bot.packaging.checks import (
    MAX_COMMANDS_PER_LIST,
    Finding,
    PackageFile,
    check_language_file,
    lookup,
)
from bot.packaging.schema import SchemaValidator
from bot.packaging.template import Json, manifest_command
from bot.teams.commands import CommandSpec


def load_languages(
    manifest: Json,
    app_package_dir: Path,
    commands: Sequence[CommandSpec],
    validator: SchemaValidator,
) -> tuple[list[Finding], list[PackageFile]]:
    """Every additional language's file, filled and checked: by ``check_language_file`` and by
    Microsoft's localization schema (``validator``)."""
    findings: list[Finding] = []
    files: list[PackageFile] = []
    languages = lookup(manifest, "/localizationInfo/additionalLanguages")
    for index, _entry in enumerate(languages if isinstance(languages, list) else []):
        pointer = f"/localizationInfo/additionalLanguages/{index}"
        name = lookup(manifest, f"{pointer}/file")
        if not isinstance(name, str) or not name or Path(name).name != name:
            findings.append(
                Finding.at(f"{pointer}/file", f"must be a file name at the zip root, not {name!r}")
            )
            continue
        try:
            strings: Json = json.loads((app_package_dir / name).read_text(encoding="utf-8"))
        except OSError as exc:
            findings.append(
                Finding.at(f"{pointer}/file", f"appPackage/{name} cannot be read ({exc.strerror})")
            )
            continue
        except json.JSONDecodeError as exc:
            findings.append(
                Finding.at(
                    f"{pointer}/file",
                    f"appPackage/{name} is not valid JSON (line {exc.lineno}: {exc.msg})",
                )
            )
            continue
        tag = lookup(manifest, f"{pointer}/languageTag")
        if isinstance(strings, dict) and isinstance(tag, str):
            strings = {**command_descriptions(manifest, tag, commands), **strings}
        findings += check_language_file(manifest, pointer, name, strings, LANGUAGES)
        version = lookup(manifest, "/manifestVersion")
        report = validator.validate_localization(strings, str(version or ""))
        findings += [
            Finding.at(
                f"{pointer}/file ({problem.path.lstrip('/')})" if problem.path != "/" else "/",
                f"appPackage/{name}: {problem.message}" if problem.path != "/" else problem.message,
            )
            for problem in report.problems
        ]
        text = json.dumps(strings, indent=2, ensure_ascii=False) + "\n"
        files.append(PackageFile(name, text.encode("utf-8")))
    return findings, files


def command_descriptions(
    manifest: Json, tag: str, commands: Sequence[CommandSpec]
) -> dict[str, Json]:
    """``bots[0].commandLists[i].commands[j].description`` in the language ``tag``, for each
    command list of the manifest that holds Mailroom's commands."""
    with use_language(tag):
        described = [manifest_command(spec)["description"] for spec in commands]
    lists = lookup(manifest, "/bots/0/commandLists")
    keys: dict[str, Json] = {}
    for i, command_list in enumerate(lists if isinstance(lists, list) else []):
        listed = lookup(command_list, "/commands")
        if not isinstance(listed, list) or len(listed) != len(described):
            continue
        if len(listed) > MAX_COMMANDS_PER_LIST:
            continue  # refused on the manifest already
        for j, description in enumerate(described):
            keys[f"bots[0].commandLists[{i}].commands[{j}].description"] = description
    return keys
