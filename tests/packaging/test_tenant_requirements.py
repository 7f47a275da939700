"""docs/deploy.md grants exactly what bot/tenant-requirements.toml says Mailroom needs: an
admin following it top to bottom grants everything Mailroom uses, and nothing more."""

from __future__ import annotations

import re

import pytest

from emulator.requirements import Requirement, load_statement
from tests.packaging.conftest import ROOT
from tests.support.deploy_guide import permission_rows

GUIDE = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
STATEMENT = load_statement()
APP_ID = "<Application (client) ID>"  # how the guide writes the app id
API = {
    "graph_application": ("Microsoft Graph", "Application"),
    "graph_delegated": ("Microsoft Graph", "Delegated"),
    "exchange_application": ("Office 365 Exchange Online", "Application"),
}


def of_kind(*kinds: str) -> list[Requirement]:
    return [r.text(APP_ID) for r in STATEMENT if r.kind in kinds]


def test_step_2_grants_exactly_the_entra_permissions_of_the_statement() -> None:
    wanted = {
        (*API[r.kind], r.single)
        for r in of_kind("graph_application", "graph_delegated", "exchange_application")
    }

    assert permission_rows() == wanted


def test_the_guide_grants_user_read_all_for_the_app_only_user_reads() -> None:
    assert ("Microsoft Graph", "Application", "User.Read.All") in permission_rows()


@pytest.mark.parametrize("permission", ["Mail.Send", "Mail.ReadWrite", "Mail.Read"])
def test_the_guide_grants_no_entra_application_mail_permission(permission: str) -> None:
    assert ("Microsoft Graph", "Application", permission) not in permission_rows()
    assert f"`{permission}`" in GUIDE.split("Do not add any Graph", 1)[1].split("\n\n", 1)[0]


def test_the_guide_assigns_the_directory_role_of_the_statement() -> None:
    for r in of_kind("directory_role"):
        assert f"**{r.single}** → **Add assignments** → select `Mailroom`" in GUIDE


def test_step_3_defines_the_management_scope_of_the_statement() -> None:
    scopes = re.findall(
        r'New-ManagementScope -Name "([^"]+)" `\s*-RecipientRestrictionFilter "([^"]+)"', GUIDE
    )

    assert scopes == [(r.single, r.filter) for r in of_kind("management_scope")]


def test_step_3_makes_exactly_the_role_assignments_of_the_statement() -> None:
    assignments = re.findall(
        r'New-ManagementRoleAssignment -App \$spObjectId -Role "([^"]+)" `\s*'
        r'-CustomResourceScope "([^"]+)"',
        GUIDE,
    )
    every_role = re.findall(r'-Role "(Application [^"]+)"', GUIDE)

    wanted = [(r.single, r.scope) for r in of_kind("exchange_role_assignment")]
    assert sorted(assignments) == sorted(wanted)
    assert sorted(every_role) == sorted(role for role, _ in wanted)


def test_step_1_exposes_the_api_teams_single_sign_on_needs() -> None:
    expose = GUIDE.split("**Expose an API**", 1)[1].split("## 2.", 1)[0]
    for r in of_kind("sso_identifier_uri"):
        assert f"`{r.single}`" in expose
    for r in of_kind("sso_scope"):
        assert f"name `{r.single}`" in expose
    for r in of_kind("sso_preauthorized_client"):
        assert f"`{r.single}`" in expose


def test_step_6_gives_the_oauth_connection_the_statements_scopes() -> None:
    (r,) = of_kind("oauth_connection")
    row = next(line for line in GUIDE.splitlines() if line.startswith("| Scopes |"))

    assert row == f"| Scopes | `{' '.join(r.value)}` |"


def test_the_guide_names_the_statement_and_the_doctor() -> None:
    assert "`bot/tenant-requirements.toml`" in GUIDE
    assert "mailroom doctor --sso-token-file" in GUIDE


def _step_6_rows() -> dict[str, str]:
    section = GUIDE.split("## 6. The OAuth connection", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| ([^|]+?) \| (.+?) \|$", section, flags=re.MULTILINE)
    return dict(rows)


def test_step_6_exchanges_the_token_at_the_apps_own_identifier_uri() -> None:
    (uri,) = of_kind("sso_identifier_uri")
    rows = _step_6_rows()

    assert rows["Token Exchange URL"].startswith(f"`{uri.single}`")
    assert rows["Service Provider"] == "**Azure Active Directory v2**"


def test_the_oauth_connection_scope_is_the_apps_access_as_user_not_graph() -> None:
    (r,) = of_kind("oauth_connection")
    (uri,) = of_kind("sso_identifier_uri")
    (scope,) = of_kind("sso_scope")

    assert list(r.value) == [f"{uri.single}/{scope.single}"]


def test_the_decision_record_names_the_same_token_model() -> None:
    record = (ROOT / "docs" / "decisions" / "0006-delegated-token-model.md").read_text("utf-8")
    (r,) = of_kind("oauth_connection")

    assert "On-behalf-of from the SSO token" in record
    assert r.value[0].replace(APP_ID, "{appId}") in record
