"""The checks Microsoft's schema cannot express, through ``build_package`` with a stand-in
schema validator (the real one is exercised in test_package_command.py)."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from bot.errors import PackageError, PackageProblem
from bot.packaging import PackageOptions, SchemaReport, build_package
from bot.packaging.template import Json
from bot.teams.commands import COMMANDS, CommandSpec
from tests.packaging.conftest import APP_ID, ROOT

GOOD = PackageOptions(
    bot_app_id=APP_ID,
    version="1.2.3",
    public_url="https://mailroom.contoso.com",
    developer_name="Contoso IT",
    privacy_url="https://contoso.com/privacy",
    terms_url="https://contoso.com/terms",
)


@dataclass
class SchemaSays:
    """Answers like the official validator would, with the problems a test chooses."""

    problems: tuple[PackageProblem, ...] = ()
    seen: list[Json] = field(default_factory=list)
    localized: list[Json] = field(default_factory=list)

    def validate(self, manifest: Json) -> SchemaReport:
        self.seen.append(manifest)
        return SchemaReport(self.problems, "schema.json", "1.30")

    def validate_localization(self, strings: Json, manifest_version: str) -> SchemaReport:
        self.localized.append(strings)
        return SchemaReport((), "localization.schema.json", manifest_version)


@pytest.fixture
def app_package_dir(tmp_path: Path) -> Path:
    """A copy of appPackage/ that a test may spoil."""
    target = tmp_path / "appPackage"
    target.mkdir()
    for name in ("manifest.json", "color.png", "outline.png", "de.json"):
        shutil.copy(ROOT / "appPackage" / name, target / name)
    return target


def problems_of(
    app_package_dir: Path,
    options: PackageOptions = GOOD,
    *,
    schema: SchemaSays | None = None,
    commands: tuple[CommandSpec, ...] = COMMANDS,
) -> list[PackageProblem]:
    with pytest.raises(PackageError) as caught:
        build_package(
            options,
            app_package_dir=app_package_dir,
            validator=schema or SchemaSays(),
            commands=commands,
        )
    return list(caught.value.problems)


def paths(problems: list[PackageProblem]) -> list[str]:
    return [problem.path for problem in problems]


def test_good_options_build_without_problems(app_package_dir: Path) -> None:
    package = build_package(GOOD, app_package_dir=app_package_dir, validator=SchemaSays())
    names = [item.name for item in package.files]
    assert names == ["manifest.json", "color.png", "outline.png", "de.json"]
    assert json.loads(package.files[0].data) == package.manifest


def test_a_colour_icon_of_the_wrong_size_is_named_with_its_size(app_package_dir: Path) -> None:
    Image.new("RGB", (48, 48), (0, 0, 255)).save(app_package_dir / "color.png")
    [problem] = problems_of(app_package_dir)
    assert problem.path == "/icons/color"
    assert "48×48" in problem.message
    assert "192×192" in problem.message


def test_an_outline_icon_of_the_wrong_size_is_named_with_its_size(app_package_dir: Path) -> None:
    Image.new("RGBA", (64, 64), (255, 255, 255, 0)).save(app_package_dir / "outline.png")
    [problem] = problems_of(app_package_dir)
    assert problem.path == "/icons/outline"
    assert "64×64" in problem.message


def test_an_outline_icon_with_a_grey_pixel_is_refused(app_package_dir: Path) -> None:
    image = Image.open(ROOT / "appPackage" / "outline.png").convert("RGBA")
    image.putpixel((5, 9), (128, 128, 128, 255))
    image.save(app_package_dir / "outline.png")
    [problem] = problems_of(app_package_dir)
    assert problem.path == "/icons/outline"
    assert "not white" in problem.message
    assert "x=5, y=9" in problem.message


def test_an_outline_icon_without_transparency_is_refused(app_package_dir: Path) -> None:
    Image.new("RGB", (32, 32), (255, 255, 255)).save(app_package_dir / "outline.png")
    [problem] = problems_of(app_package_dir)
    assert problem.path == "/icons/outline"
    assert "transparent" in problem.message


def test_an_opaque_white_square_outline_is_refused(app_package_dir: Path) -> None:
    Image.new("RGBA", (32, 32), (255, 255, 255, 255)).save(app_package_dir / "outline.png")
    [problem] = problems_of(app_package_dir)
    assert "no transparent pixels" in problem.message


def test_a_file_that_is_not_a_png_is_named(app_package_dir: Path) -> None:
    (app_package_dir / "color.png").write_bytes(b"GIF89a not a png")
    [problem] = problems_of(app_package_dir)
    assert problem.path == "/icons/color"
    assert "is not a PNG file" in problem.message


def test_a_missing_icon_says_how_to_draw_it_again(app_package_dir: Path) -> None:
    (app_package_dir / "outline.png").unlink()
    [problem] = problems_of(app_package_dir)
    assert problem.path == "/icons/outline"
    assert "draw_icons.py" in problem.message


def test_two_commands_with_one_title_are_refused(app_package_dir: Path) -> None:
    twice = (*COMMANDS, CommandSpec("send", "/send", "Send again", "Duplicate"))
    problems = problems_of(app_package_dir, commands=twice)
    assert paths(problems) == [
        f"/bots/0/commandLists/0/commands/{len(COMMANDS)}/title",
        f"/bots/0/commandLists/1/commands/{len(COMMANDS)}/title",
    ]
    assert "appears twice" in problems[0].message


def test_more_than_twelve_commands_are_refused(app_package_dir: Path) -> None:
    many = tuple(CommandSpec(f"cmd{i}", f"/cmd{i}", f"Cmd {i}", "Does a thing") for i in range(13))
    problems = problems_of(app_package_dir, commands=many)
    assert paths(problems) == ["/bots/0/commandLists/0/commands", "/bots/0/commandLists/1/commands"]
    assert "at most 12" in problems[0].message


def test_a_command_title_of_two_words_is_refused(app_package_dir: Path) -> None:
    odd = (CommandSpec("send now", "/send now", "Send", "Sends"),)
    problems = problems_of(app_package_dir, commands=odd)
    assert "one lower-case word" in problems[0].message


def test_a_separate_teams_app_id_must_be_a_guid(app_package_dir: Path) -> None:
    [problem] = problems_of(app_package_dir, replace(GOOD, teams_app_id="mailroom"))
    assert problem.path == "/id"
    assert "MAILROOM_PACKAGE_APP_ID" in problem.message


def test_a_separate_teams_app_id_is_used_as_the_apps_id(app_package_dir: Path) -> None:
    other = "0a1b2c3d-4e5f-6789-abcd-ef0123456789"
    package = build_package(
        replace(GOOD, teams_app_id=other), app_package_dir=app_package_dir, validator=SchemaSays()
    )
    assert package.manifest["id"] == other
    assert package.manifest["webApplicationInfo"] == {
        "id": APP_ID,
        "resource": f"api://botid-{APP_ID}",
    }


@pytest.mark.parametrize("version", ["1.0", "01.2.3", "1.2.3-beta", ""])
def test_a_version_teams_would_refuse_is_reported(app_package_dir: Path, version: str) -> None:
    [problem] = problems_of(app_package_dir, replace(GOOD, version=version or None))
    assert problem.path == "/version"
    assert "three numbers" in problem.message


def test_a_developer_name_longer_than_teams_allows_is_reported(app_package_dir: Path) -> None:
    [problem] = problems_of(app_package_dir, replace(GOOD, developer_name="x" * 33))
    assert problem.path == "/developer/name"
    assert "33 characters" in problem.message


def test_the_website_defaults_to_the_public_url_and_an_http_one_is_reported_once(
    app_package_dir: Path,
) -> None:
    [problem] = problems_of(
        app_package_dir, replace(GOOD, public_url="http://mailroom.contoso.com")
    )
    assert problem.path == "/validDomains/0"
    assert "MAILROOM_PUBLIC_URL" in problem.message


def test_a_schema_complaint_about_a_value_already_explained_is_left_out(
    app_package_dir: Path,
) -> None:
    schema = SchemaSays(
        (
            PackageProblem("/bots/0/botId", 'must match pattern "^[0-9a-f]..."'),
            PackageProblem("/id", 'must match pattern "^[0-9a-f]..."'),
            PackageProblem("/webApplicationInfo/id", 'must match pattern "^[0-9a-f]..."'),
            PackageProblem("/name/short", "must NOT have more than 30 characters"),
        )
    )
    problems = problems_of(app_package_dir, replace(GOOD, bot_app_id="not-a-guid"), schema=schema)
    assert paths(problems) == ["/bots/0/botId", "/name/short"]
    assert "Application (client) ID" in problems[0].message


def test_the_validator_sees_the_filled_manifest(app_package_dir: Path) -> None:
    schema = SchemaSays()
    build_package(GOOD, app_package_dir=app_package_dir, validator=schema)
    [seen] = schema.seen
    assert "{{" not in json.dumps(seen)


def test_an_unknown_placeholder_in_the_template_is_named(app_package_dir: Path) -> None:
    template = json.loads((app_package_dir / "manifest.json").read_text(encoding="utf-8"))
    template["name"]["full"] = "Mailroom for {{tenantName}}"
    (app_package_dir / "manifest.json").write_text(json.dumps(template), encoding="utf-8")
    [problem] = problems_of(app_package_dir)
    assert problem.path == "/name/full"
    assert "{{tenantName}}" in problem.message


def test_a_template_that_is_not_json_is_reported_with_its_line(app_package_dir: Path) -> None:
    (app_package_dir / "manifest.json").write_text('{\n  "id": \n}', encoding="utf-8")
    [problem] = problems_of(app_package_dir)
    assert "not valid JSON (line 3" in problem.message


# --- localizationInfo: the German file ----------------------------------------------------------


def german_file(package_files: tuple[Any, ...]) -> dict[str, str]:
    data = next(item.data for item in package_files if item.name == "de.json")
    strings: dict[str, str] = json.loads(data)
    return strings


def spoil_german(app_package_dir: Path, **changes: Any) -> None:
    path = app_package_dir / "de.json"
    strings = json.loads(path.read_text(encoding="utf-8"))
    strings.update(changes)
    for key in [k for k, v in strings.items() if v is None]:
        del strings[key]
    path.write_text(json.dumps(strings, ensure_ascii=False), encoding="utf-8")


def test_the_package_carries_the_german_file_with_every_command_described_in_german(
    app_package_dir: Path,
) -> None:
    schema = SchemaSays()
    package = build_package(GOOD, app_package_dir=app_package_dir, validator=schema)
    assert schema.localized == [german_file(package.files)]  # Microsoft's schema checks it too
    info = package.manifest["localizationInfo"]
    assert info == {
        "defaultLanguageTag": "en-us",
        "additionalLanguages": [{"languageTag": "de-de", "file": "de.json"}],
    }
    german = german_file(package.files)
    assert german["name.short"] == "Mailroom"
    assert "freigegebenen" in german["name.full"]
    for i in range(2):  # the slash list and the @mention list
        for j, spec in enumerate(COMMANDS):
            described = german[f"bots[0].commandLists[{i}].commands[{j}].description"]
            assert described.endswith(f"Verwendung: {spec.usage}")
        assert f"bots[0].commandLists[{i}].commands[0].title" not in german  # stays "send"
    assert german["bots[0].commandLists[0].commands[0].description"].startswith(
        "E-Mail senden: Absender und Vorlage wählen"
    )
    assert package.manifest["bots"][0]["commandLists"][0]["commands"][0]["description"] == (
        "Send an email: Pick a sender and a template, preview, send. Usage: /send"
    )


def test_a_missing_language_file_is_named(app_package_dir: Path) -> None:
    (app_package_dir / "de.json").unlink()
    problems = problems_of(app_package_dir)
    assert paths(problems) == ["/localizationInfo/additionalLanguages/0/file"]
    assert "appPackage/de.json cannot be read" in problems[0].message


def test_a_translated_bot_command_title_is_refused(app_package_dir: Path) -> None:
    spoil_german(app_package_dir, **{"bots[0].commandLists[0].commands[0].title": "senden"})
    (problem,) = problems_of(app_package_dir)
    assert "must not be translated" in problem.message


def test_a_german_text_longer_than_teams_allows_is_reported_with_its_length(
    app_package_dir: Path,
) -> None:
    spoil_german(app_package_dir, **{"name.short": "M" * 31})
    (problem,) = problems_of(app_package_dir)
    assert "'name.short' has 31 characters; at most 30" in problem.message


def test_keys_teams_does_not_localize_or_the_manifest_lacks_are_refused(
    app_package_dir: Path,
) -> None:
    spoil_german(
        app_package_dir,
        **{"developer.name": "Contoso", "composeExtensions[0].commands[5].title": "X"},
    )
    messages = sorted(p.message for p in problems_of(app_package_dir))
    assert len(messages) == 2
    assert "'composeExtensions[0].commands[5].title' names an element" in messages[0]
    assert "'developer.name' is not a field Teams localizes" in messages[1]


def test_a_required_german_text_that_is_missing_is_named(app_package_dir: Path) -> None:
    spoil_german(app_package_dir, **{"description.full": None})
    (problem,) = problems_of(app_package_dir)
    assert "must translate 'description.full'" in problem.message


def test_a_language_mailroom_has_no_catalogue_for_is_refused(app_package_dir: Path) -> None:
    path = app_package_dir / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["localizationInfo"]["additionalLanguages"][0]["languageTag"] = "fr-fr"
    path.write_text(json.dumps(manifest), encoding="utf-8")
    (problem,) = problems_of(app_package_dir)
    assert problem.path == "/localizationInfo/additionalLanguages/0/languageTag"
    assert "no 'fr' catalogue" in problem.message
