"""The Teams Store rule for bot commands in the manifest (docs/platform.md, "Teams Store
rules"): "Special characters such as slash (/), mustn't be prefixed to bot commands"
[Mandatory Fix] — the titles are bare words and the slash form comes from the command list's
``triggers`` (manifest schema 1.30: ``"slash"`` = the slash command list)."""

from __future__ import annotations

from pathlib import Path

from bot.packaging import build_package
from bot.teams.commands import COMMANDS, CommandSpec
from tests.packaging.conftest import ROOT
from tests.packaging.test_checks import GOOD, SchemaSays, paths, problems_of


def test_command_titles_have_no_slash_and_the_slash_list_carries_the_slash_form() -> None:
    package = build_package(GOOD, app_package_dir=ROOT / "appPackage", validator=SchemaSays())
    bot = package.manifest["bots"][0]  # type: ignore[index]
    lists = bot["commandLists"]  # type: ignore[index,call-overload]
    assert [entry["triggers"] for entry in lists] == [["slash"], ["mention"]]
    for entry in lists:
        titles = [command["title"] for command in entry["commands"]]
        assert titles == [spec.name for spec in COMMANDS]
        assert all(title.isalpha() and title.islower() for title in titles), titles
        assert "help" in titles  # the generic command is listed too
    for spec in COMMANDS:  # the bot itself reads the slash form
        assert spec.usage.startswith(f"/{spec.name}")


def test_a_command_title_with_a_slash_is_refused(tmp_path: Path) -> None:
    app_package_dir = tmp_path / "appPackage"
    app_package_dir.mkdir()
    for name in ("manifest.json", "color.png", "outline.png", "de.json"):
        (app_package_dir / name).write_bytes((ROOT / "appPackage" / name).read_bytes())
    slashed = (CommandSpec("/send", "/send", "Send an email", "Sends"),)
    problems = problems_of(app_package_dir, commands=slashed)
    assert paths(problems) == [
        "/bots/0/commandLists/0/commands/0/title",
        "/bots/0/commandLists/1/commands/0/title",
    ]
    assert "'/send'" in problems[0].message
