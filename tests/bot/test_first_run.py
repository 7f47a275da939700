"""An admin's first commands in an empty folder: each says what is missing and changes
nothing — ``mailroom serve``, ``mailroom audit``, ``mailroom templates preview``."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from tests.bot.test_cli import mailroom

ROOT = Path(__file__).resolve().parents[2]
APP_ID = "00000000-0000-4000-8000-000000000001"
FIRST_RUN = (
    "MicrosoftAppId",
    "MicrosoftAppPassword",
    "MicrosoftAppTenantId",
    "MAILROOM_CONFIG",
    "MAILROOM_TEMPLATES_DIR",
)


# --- serve ----------------------------------------------------------------------------------


def test_a_first_serve_names_every_missing_setting_in_one_line(tmp_path: Path) -> None:
    result = mailroom("serve", "--host", "127.0.0.1", cwd=tmp_path)
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("mailroom: configuration error: ")
    for setting in FIRST_RUN:
        assert setting in line
    assert "MAILROOM_GRAPH_CLIENT_ID" in line  # the loopback-only alternative is named too
    assert os.listdir(tmp_path) == []


def test_serve_names_only_what_is_still_missing(tmp_path: Path) -> None:
    env = {"MicrosoftAppId": APP_ID, "MicrosoftAppPassword": "secret",
           "MAILROOM_CONFIG": str(ROOT / "mailroom.example.toml"),
           "MAILROOM_TEMPLATES_DIR": str(ROOT / "templates")}  # fmt: skip
    result = mailroom("serve", cwd=tmp_path, env=env)
    assert result.returncode == 2
    named = result.stderr.split("configuration error: ", 1)[1].split(": ", 1)[0]
    assert named == "MicrosoftAppTenantId"
    assert "secret" not in result.stderr


def serve_paragraph(text: str) -> str:
    start = text.index("`mailroom serve` is the production")
    return text[start : text.index("\n\n", start)]


def test_the_readme_and_the_configuration_guide_say_what_serve_does() -> None:
    readme = serve_paragraph((ROOT / "README.md").read_text(encoding="utf-8"))
    guide = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    needs = guide[guide.index("What `mailroom serve` needs") :]
    needs = needs[: needs.index("\n\n|")]
    for setting in (*FIRST_RUN[:3], "MAILROOM_GRAPH_CLIENT_ID", "MAILROOM_GRAPH_TENANT_ID"):
        assert setting in readme, setting
    for setting in (*FIRST_RUN, "MAILROOM_GRAPH_CLIENT_ID", "MAILROOM_GRAPH_CLIENT_SECRET"):
        assert setting in needs, setting
    assert "Only on a loopback address may it run without `MicrosoftAppId`" in " ".join(
        readme.split()
    )
    assert "unless it listens on loopback" in " ".join(needs.split())
    assert "names every missing setting in one error" in " ".join(readme.split())
    assert "names every missing one in one line" in " ".join(needs.split())


# --- audit ----------------------------------------------------------------------------------


def test_audit_on_a_new_database_says_to_upgrade_and_creates_no_file(tmp_path: Path) -> None:
    result = mailroom("audit", cwd=tmp_path)
    assert result.returncode == 1
    assert "there is no database at ./.mailroom/mailroom.db" in result.stderr
    assert "mailroom db upgrade" in result.stderr
    assert "no such table" not in result.stderr
    assert "Traceback" not in result.stderr
    assert os.listdir(tmp_path) == []  # no empty file, not even its folder


def test_audit_on_a_database_without_the_schema_leaves_it_untouched(tmp_path: Path) -> None:
    empty = tmp_path / "other.db"
    with sqlite3.connect(empty) as other:
        other.execute("CREATE TABLE notes (text TEXT)")  # somebody else's database
    other.close()
    before = empty.read_bytes()
    result = mailroom("audit", cwd=tmp_path, env={"MAILROOM_DATABASE_URL": f"sqlite:///{empty}"})
    assert result.returncode == 1
    assert f"the database at {empty} has no Mailroom schema yet" in result.stderr
    assert "mailroom db upgrade" in result.stderr
    assert empty.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.db"]


# --- templates preview ------------------------------------------------------------------------

FOOTER = "This message was sent from an unmonitored mailbox. Please do not reply to it."


def test_previewing_for_a_configured_noreply_sender_shows_its_footer(tmp_path: Path) -> None:
    env = {"MAILROOM_CONFIG": str(ROOT / "mailroom.example.toml")}
    args = ("templates", "preview", "outage-notice", "--templates-dir", str(ROOT / "templates"))
    noreply = mailroom(*args, "--sender", "noreply@contoso.com", "--text", cwd=tmp_path, env=env)
    assert noreply.returncode == 0, noreply.stderr
    assert FOOTER in noreply.stdout
    assert "For help, contact support@contoso.com." in noreply.stdout  # its help contact too
    assert "Contoso (do not reply)" in noreply.stdout  # and its display name
    assert "from mailroom.toml" not in noreply.stderr  # it names the file it read
    assert "mailroom.example.toml: noreply" in noreply.stderr
    overridden = mailroom(
        *args, "--sender", "noreply@contoso.com", "--kind", "self", "--text", cwd=tmp_path, env=env
    )
    assert overridden.returncode == 0
    assert FOOTER not in overridden.stdout  # a flag given wins over the file
    unknown = mailroom(*args, "--sender", "someone@contoso.com", "--text", cwd=tmp_path, env=env)
    assert unknown.returncode == 0
    assert FOOTER not in unknown.stdout
