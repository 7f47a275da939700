"""m365agents.yml, the Microsoft 365 Agents Toolkit's project file: it parses, names only actions
the Toolkit's published schema knows with the parameters each takes, every variable it reads is
set somewhere, and its package step is `mailroom package` building from appPackage/.

toolkit_actions.json holds the facts read from the schema (scripts/toolkit-actions writes it from
the pinned npm package; docs/decisions/0009-toolkit-project.md)."""

from __future__ import annotations

import io
import json
import re
import shlex
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.packaging import OPTION_SOURCES
from tests.packaging.conftest import APP_ID, ROOT, mailroom_package

PROJECT = ROOT / "m365agents.yml"
ENV_DEV = ROOT / "env" / ".env.dev"
SCHEMA_FACTS: dict[str, Any] = json.loads(
    (Path(__file__).parent / "toolkit_actions.json").read_text(encoding="utf-8")
)
VARIABLE = re.compile(r"\$\{\{\s*([A-Za-z0-9_]+)\s*\}\}")


def project() -> dict[str, Any]:
    loaded = yaml.safe_load(PROJECT.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def steps() -> list[tuple[str, dict[str, Any]]]:
    return [
        (lifecycle, step)
        for lifecycle in SCHEMA_FACTS["lifecycles"]
        for step in project().get(lifecycle) or []
    ]


def env_dev() -> dict[str, str]:
    values: dict[str, str] = {}
    for line in ENV_DEV.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def fits(shape: dict[str, list[str]], given: dict[str, Any]) -> bool:
    return set(shape["required"]) <= set(given) <= set(shape["allowed"])


def test_the_project_uses_the_newest_schema_version_the_toolkit_publishes() -> None:
    assert project()["version"] == SCHEMA_FACTS["version"]
    assert set(project()) <= {"version", "environmentFolderPath", *SCHEMA_FACTS["lifecycles"]}
    assert project()["environmentFolderPath"] == "./env"


def test_every_step_is_a_toolkit_action_with_parameters_its_schema_allows() -> None:
    assert steps(), "m365agents.yml has no steps"
    for lifecycle, step in steps():
        action = step["uses"]
        assert action in SCHEMA_FACTS["actions"], f"{lifecycle}: {action} is not a Toolkit action"
        facts = SCHEMA_FACTS["actions"][action]
        assert set(step) <= {"uses", "name", "env", "with", "writeToEnvironmentFile"}
        assert any(fits(shape, step.get("with", {})) for shape in facts["with"]), (
            f"{lifecycle}: {action} with {sorted(step.get('with', {}))}"
        )
        if facts["writeToEnvironmentFile"][0]["allowed"] or "writeToEnvironmentFile" in step:
            written = step.get("writeToEnvironmentFile", {})
            assert any(fits(shape, written) for shape in facts["writeToEnvironmentFile"]), (
                f"{lifecycle}: {action} writes {sorted(written)}"
            )


def test_provision_registers_the_bot_and_the_teams_app() -> None:
    provision = [step["uses"] for step in project()["provision"]]
    assert provision[:3] == ["teamsApp/create", "botAadApp/create", "botFramework/create"]
    assert provision[-2:] == ["teamsApp/validateAppPackage", "teamsApp/update"]
    [bot] = [step for step in project()["provision"] if step["uses"] == "botFramework/create"]
    assert bot["with"]["messagingEndpoint"] == "${{BOT_ENDPOINT}}/api/messages"
    assert bot["with"]["channels"] == [{"name": "msteams"}]


def test_every_variable_read_is_set_in_env_dev_or_written_by_an_earlier_step() -> None:
    known = set(env_dev())
    for lifecycle in SCHEMA_FACTS["lifecycles"]:
        available = set(known)
        for step in project().get(lifecycle) or []:
            text = json.dumps({key: step.get(key) for key in ("with", "env")})
            missing = set(VARIABLE.findall(text)) - available
            assert not missing, f"{lifecycle}: {step['uses']} reads unset {sorted(missing)}"
            available |= set(step.get("writeToEnvironmentFile", {}).values())
            known |= set(step.get("writeToEnvironmentFile", {}).values())


def test_secrets_are_not_kept_in_the_committed_env_file() -> None:
    assert not [name for name in env_dev() if name.startswith("SECRET_")]
    assert "env/.env.*.user" in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()


def package_steps() -> list[dict[str, Any]]:
    return [
        step
        for _, step in steps()
        if step["uses"] == "script" and "mailroom package" in step["with"]["run"]
    ]


def test_the_package_step_passes_only_settings_mailroom_package_reads() -> None:
    readable = {name for source in OPTION_SOURCES.values() for name in source.env}
    for step in package_steps():
        assert set(step["env"]) <= readable


def test_the_toolkit_uploads_the_zip_mailroom_package_wrote() -> None:
    for lifecycle in ("provision", "publish"):
        lifecycle_steps = project()[lifecycle]
        [build] = [step for step in lifecycle_steps if step in package_steps()]
        argv = shlex.split(build["with"]["run"])
        written = "./" + argv[argv.index("--out") + 1]
        for step in lifecycle_steps[lifecycle_steps.index(build) + 1 :]:
            if "appPackagePath" in step.get("with", {}):
                assert step["with"]["appPackagePath"] == written


@pytest.mark.usefixtures("node_tools")
def test_the_provision_package_step_builds_from_app_package(tmp_path: Path) -> None:
    """The step's command and environment as the Toolkit runs them, with provisioned values."""
    [build] = [step for step in project()["provision"] if step in package_steps()]
    teams_app_id = "9b2f4c1e-6a7d-4e8f-b1c2-d3e4f5a6b7c8"
    provisioned = {
        **env_dev(),
        "TEAMSFX_ENV": "dev",
        "BOT_ID": APP_ID,
        "TEAMS_APP_ID": teams_app_id,
        "BOT_ENDPOINT": "https://mailroom.contoso.com",
        "MAILROOM_PACKAGE_DEVELOPER_NAME": "Contoso IT",
        "MAILROOM_PACKAGE_PRIVACY_URL": "https://contoso.com/privacy",
        "MAILROOM_PACKAGE_TERMS_URL": "https://contoso.com/terms",
    }

    def filled(text: str) -> str:
        return VARIABLE.sub(lambda match: provisioned[match.group(1)], text)

    argv = shlex.split(filled(build["with"]["run"]))
    assert argv[:2] == [".venv/bin/mailroom", "package"]
    out = tmp_path / argv[argv.index("--out") + 1]
    argv[argv.index("--out") + 1] = str(out)
    env = {name: filled(value) for name, value in build["env"].items()}
    result = mailroom_package(*argv[2:], env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    archive = zipfile.ZipFile(io.BytesIO(out.read_bytes()))
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["id"] == teams_app_id
    assert manifest["bots"][0]["botId"] == APP_ID
    icons = {name: archive.read(name) for name in ("color.png", "outline.png")}
    assert icons == {name: (ROOT / "appPackage" / name).read_bytes() for name in icons}
