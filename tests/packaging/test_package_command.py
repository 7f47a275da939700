"""`mailroom package` as an admin runs it: the zip it writes, Microsoft's schema's verdict on
it, and what it says when a setting is wrong."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from bot.packaging.schema import NodeSchemaValidator
from bot.teams.commands import COMMANDS
from tests.packaging.conftest import APP_ID, GOOD_ENV, mailroom_package


def build(tmp_path: Path, *args: str, **env: str) -> tuple[int, str, Path]:
    out = tmp_path / "build" / "mailroom-teams.zip"
    result = mailroom_package("--out", str(out), *args, env={**GOOD_ENV, **env}, cwd=tmp_path)
    return result.returncode, result.stdout + result.stderr, out


@pytest.fixture(scope="module")
def built_zip(tmp_path_factory: pytest.TempPathFactory, node_tools: Path) -> zipfile.ZipFile:
    """One package built with good settings, shared by the tests that only read it."""
    code, output, out = build(tmp_path_factory.mktemp("package"))
    assert code == 0, output
    return zipfile.ZipFile(io.BytesIO(out.read_bytes()))


def manifest_of(archive: zipfile.ZipFile) -> dict[str, object]:
    manifest: dict[str, object] = json.loads(archive.read("manifest.json"))
    return manifest


def validate_with_official_schema(
    node_tools: Path, manifest: dict[str, object]
) -> dict[str, object]:
    result = subprocess.run(
        ["node", str(node_tools / "validate-manifest.mjs")],
        input=json.dumps(manifest),
        capture_output=True,
        text=True,
        cwd=node_tools,
        timeout=60,
        check=True,
    )
    report: dict[str, object] = json.loads(result.stdout)
    return report


def test_the_package_passes_microsofts_own_schema(
    built_zip: zipfile.ZipFile, node_tools: Path
) -> None:
    report = validate_with_official_schema(node_tools, manifest_of(built_zip))
    assert report["errors"] == []
    assert "@microsoft/app-manifest" in str(report["schemaFile"])


def test_the_german_file_passes_microsofts_localization_schema(
    built_zip: zipfile.ZipFile, node_tools: Path
) -> None:
    validator = NodeSchemaValidator(node_tools)
    report = validator.validate_localization(json.loads(built_zip.read("de.json")), "1.30")
    assert report.problems == ()
    assert report.schema_file.endswith("MicrosoftTeams.Localization.schema.json")
    spoiled = {**json.loads(built_zip.read("de.json")), "name.short": "M" * 31, "nope": "x"}
    wrong = validator.validate_localization(spoiled, "1.30")
    assert {p.path for p in wrong.problems} >= {"/name.short", "/nope"}


def test_the_template_uses_the_newest_schema_the_pinned_package_bundles(
    built_zip: zipfile.ZipFile, node_tools: Path
) -> None:
    manifest = manifest_of(built_zip)
    report = validate_with_official_schema(node_tools, manifest)
    newest = report["newestVersion"]
    assert manifest["manifestVersion"] == newest
    assert manifest["$schema"] == (
        f"https://developer.microsoft.com/json-schemas/teams/v{newest}/MicrosoftTeams.schema.json"
    )


def test_the_zip_holds_the_manifest_both_icons_and_the_german_file_at_its_root(
    built_zip: zipfile.ZipFile,
) -> None:
    assert sorted(built_zip.namelist()) == ["color.png", "de.json", "manifest.json", "outline.png"]
    german = json.loads(built_zip.read("de.json"))
    assert german["description.short"].startswith("E-Mails aus Teams")
    assert manifest_of(built_zip)["icons"] == {"color": "color.png", "outline": "outline.png"}


def test_the_icons_have_teams_sizes_and_the_outline_is_white_on_transparent(
    built_zip: zipfile.ZipFile,
) -> None:
    color = Image.open(io.BytesIO(built_zip.read("color.png")))
    outline = Image.open(io.BytesIO(built_zip.read("outline.png")))
    assert color.size == (192, 192)
    assert outline.size == (32, 32)
    assert outline.mode == "RGBA"
    data = outline.tobytes()
    pixels = [tuple(data[i : i + 4]) for i in range(0, len(data), 4)]
    assert all(pixel[:3] == (255, 255, 255) for pixel in pixels if pixel[3] > 0)
    assert any(pixel[3] == 0 for pixel in pixels)
    assert any(pixel[3] == 255 for pixel in pixels)


def test_every_bot_command_is_a_slash_command_and_a_mention_command(
    built_zip: zipfile.ZipFile,
) -> None:
    bot = manifest_of(built_zip)["bots"][0]  # type: ignore[index]
    assert bot["botId"] == APP_ID
    assert bot["scopes"] == ["personal", "team", "groupChat"]
    assert bot["supportsTargetedMessages"] is True
    lists = bot["commandLists"]
    assert [command_list["triggers"] for command_list in lists] == [["slash"], ["mention"]]
    names = [spec.name for spec in COMMANDS]
    for command_list in lists:
        assert command_list["scopes"] == ["personal", "team", "groupChat"]
        assert [command["title"] for command in command_list["commands"]] == names
        for command, spec in zip(command_list["commands"], COMMANDS, strict=True):
            assert spec.title in command["description"]
            assert spec.usage in command["description"]


def test_the_manifest_carries_single_sign_on_and_the_bots_domain(
    built_zip: zipfile.ZipFile,
) -> None:
    manifest = manifest_of(built_zip)
    assert manifest["id"] == APP_ID
    assert manifest["webApplicationInfo"] == {"id": APP_ID, "resource": f"api://botid-{APP_ID}"}
    assert manifest["validDomains"] == ["mailroom.contoso.com", "token.botframework.com"]
    assert manifest["developer"] == {
        "name": "Contoso IT",
        "websiteUrl": "https://mailroom.contoso.com",
        "privacyUrl": "https://contoso.com/privacy",
        "termsOfUseUrl": "https://contoso.com/terms",
    }


def test_flags_win_over_the_environment(tmp_path: Path, node_tools: Path) -> None:
    code, output, out = build(
        tmp_path,
        "--app-version",
        "2.3.4",
        "--privacy-url",
        "https://contoso.com/flag-privacy",
        MAILROOM_PACKAGE_VERSION="9.9.9",
    )
    assert code == 0, output
    manifest = manifest_of(zipfile.ZipFile(out))
    assert manifest["version"] == "2.3.4"
    assert manifest["developer"]["privacyUrl"] == "https://contoso.com/flag-privacy"  # type: ignore[index]


def test_a_dotenv_file_fills_what_the_environment_leaves_out(
    tmp_path: Path, node_tools: Path
) -> None:
    (tmp_path / ".env").write_text(
        "MAILROOM_PACKAGE_TERMS_URL=https://contoso.com/dotenv-terms\n"
        "MAILROOM_PACKAGE_DEVELOPER_NAME=From Dotenv\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in GOOD_ENV.items() if k != "MAILROOM_PACKAGE_TERMS_URL"}
    out = tmp_path / "p.zip"
    result = mailroom_package("--out", str(out), env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    developer = manifest_of(zipfile.ZipFile(out))["developer"]
    assert developer["termsOfUseUrl"] == "https://contoso.com/dotenv-terms"  # type: ignore[index]
    assert developer["name"] == "Contoso IT"  # type: ignore[index]


def test_building_twice_gives_the_same_bytes(tmp_path: Path, node_tools: Path) -> None:
    first = tmp_path / "a.zip"
    second = tmp_path / "b.zip"
    assert mailroom_package("--out", str(first), env=GOOD_ENV, cwd=tmp_path).returncode == 0
    assert mailroom_package("--out", str(second), env=GOOD_ENV, cwd=tmp_path).returncode == 0
    assert first.read_bytes() == second.read_bytes()


def test_an_app_id_that_is_not_a_guid_exits_1_and_says_where_to_find_the_right_one(
    tmp_path: Path, node_tools: Path
) -> None:
    code, output, out = build(tmp_path, MicrosoftAppId="not-a-guid")
    assert code == 1
    assert "Traceback" not in output
    assert "/bots/0/botId: MicrosoftAppId is 'not-a-guid'" in output
    assert "Application (client) ID" in output
    assert "App registrations" in output
    # One problem, said once: not the schema's "must match pattern" for every copy of the id.
    assert "must match pattern" not in output
    assert "Fix this problem and run it again" in output
    assert not out.exists()


def test_an_http_privacy_url_exits_1_naming_the_json_path(tmp_path: Path, node_tools: Path) -> None:
    code, output, _ = build(tmp_path, MAILROOM_PACKAGE_PRIVACY_URL="http://contoso.com/privacy")
    assert code == 1
    assert "/developer/privacyUrl: MAILROOM_PACKAGE_PRIVACY_URL" in output
    assert "'http://contoso.com/privacy'" in output
    assert "https://" in output


def test_without_privacy_and_terms_urls_the_bots_own_pages_are_linked(
    tmp_path: Path, node_tools: Path
) -> None:
    env = {k: v for k, v in GOOD_ENV.items() if not k.endswith(("PRIVACY_URL", "TERMS_URL"))}
    out = tmp_path / "p.zip"
    result = mailroom_package("--out", str(out), env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    developer = manifest_of(zipfile.ZipFile(io.BytesIO(out.read_bytes())))["developer"]
    assert developer["privacyUrl"] == "https://mailroom.contoso.com/privacy"  # type: ignore[index]
    assert developer["termsOfUseUrl"] == "https://mailroom.contoso.com/terms"  # type: ignore[index]


def test_a_missing_privacy_url_without_a_public_url_is_reported_in_an_admins_words(
    tmp_path: Path, node_tools: Path
) -> None:
    env = {
        k: v
        for k, v in GOOD_ENV.items()
        if k not in ("MAILROOM_PACKAGE_PRIVACY_URL", "MAILROOM_PUBLIC_URL")
    }
    result = mailroom_package("--out", str(out := tmp_path / "p.zip"), env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert not out.exists()
    assert "/developer/privacyUrl: MAILROOM_PACKAGE_PRIVACY_URL (or --privacy-url) is not set" in (
        result.stderr
    )
    assert "MAILROOM_PUBLIC_URL/privacy" in result.stderr
    assert "privacy statement" in result.stderr


def test_every_problem_is_listed_at_once(tmp_path: Path, node_tools: Path) -> None:
    code, output, _ = build(
        tmp_path,
        "--app-version",
        "1.0",
        "--accent-color",
        "blue",
        MicrosoftAppId="not-a-guid",
        MAILROOM_PUBLIC_URL="http://mailroom.contoso.com",
        MAILROOM_PACKAGE_TERMS_URL="ftp://contoso.com/terms",
    )
    assert code == 1
    for path in (
        "/bots/0/botId:",
        "/version:",
        "/accentColor:",
        "/validDomains/0:",
        "/developer/termsOfUseUrl:",
    ):
        assert f"\n  {path}" in output, path
    assert "Fix these 5 problems" in output


def test_without_node_it_fails_and_says_how_to_install_it(tmp_path: Path) -> None:
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    out = tmp_path / "p.zip"
    result = mailroom_package("--out", str(out), env=GOOD_ENV, cwd=tmp_path, path=str(empty_bin))
    assert result.returncode == 1
    assert "Node.js" in result.stderr
    assert "npm ci" in result.stderr
    assert not out.exists()


def test_without_the_npm_packages_it_fails_and_says_to_run_npm_ci(tmp_path: Path) -> None:
    if shutil.which("node") is None:
        pytest.skip("Node.js is not installed here")
    empty_tools = tmp_path / "tools"
    empty_tools.mkdir()
    out = tmp_path / "p.zip"
    result = mailroom_package(
        "--out", str(out), "--node-tools", str(empty_tools), env=GOOD_ENV, cwd=tmp_path
    )
    assert result.returncode == 1
    assert "@microsoft/app-manifest" in result.stderr
    assert "npm ci" in result.stderr


def test_the_package_declares_the_send_as_email_action_on_messages(
    built_zip: zipfile.ZipFile,
) -> None:
    from bot.teams.handlers.extension import COMMAND_ID
    from cards.dialog import TITLE

    [extension] = manifest_of(built_zip)["composeExtensions"]  # type: ignore[misc]
    assert extension["botId"] == APP_ID
    [command] = extension["commands"]
    assert command["id"] == COMMAND_ID
    assert command["title"] == TITLE
    assert (command["type"], command["context"], command["fetchTask"]) == (
        "action",
        ["message"],
        True,
    )
