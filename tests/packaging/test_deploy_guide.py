"""docs/deploy.md keeps up with the settings: every variable of docs/configuration.md and every
`mailroom package` option appears in it, and the CLI's help names the same variables."""

from __future__ import annotations

import argparse
import re

import pytest

from bot.cli_commands import package
from bot.packaging import OPTION_SOURCES
from tests.packaging.conftest import ROOT

GUIDE = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")


def configuration_variables() -> list[str]:
    text = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    names = [name for row in rows for name in re.findall(r"`([A-Za-z_]+)`", row.split("|")[1])]
    return [name for name in names if name.startswith(("Microsoft", "MAILROOM_", "PORT"))]


@pytest.mark.parametrize("variable", configuration_variables())
def test_the_guide_covers_every_bot_setting(variable: str) -> None:
    assert f"`{variable}`" in GUIDE


@pytest.mark.parametrize("option", sorted(OPTION_SOURCES))
def test_the_guide_covers_every_package_option(option: str) -> None:
    source = OPTION_SOURCES[option]
    assert f"`{source.env[0]}`" in GUIDE
    if source.flag:
        assert f"`{source.flag}`" in GUIDE


def test_the_guide_has_the_exchange_rbac_for_applications_commands() -> None:
    for cmdlet in (
        "New-ServicePrincipal -AppId",
        "New-ManagementScope -Name",
        'New-ManagementRoleAssignment -App $spObjectId -Role "Application Mail.Send"',
        "-CustomResourceScope",
        "Test-ServicePrincipalAuthorization",
    ):
        assert cmdlet in GUIDE, cmdlet


def test_the_package_help_names_each_environment_variable() -> None:
    sub = argparse.ArgumentParser(prog="mailroom").add_subparsers()
    package.register(sub)
    text = sub.choices["package"].format_help()
    for source in OPTION_SOURCES.values():
        if source.flag:
            assert source.flag in text
            assert source.env[0] in text
