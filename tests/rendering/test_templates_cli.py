"""``mailroom templates list|check|preview`` through the subcommand's own parser."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from bot.cli_commands import templates
from tests.rendering.helpers import SHIPPED, write_template


def mailroom(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="mailroom")
    templates.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["templates", *argv])
    result: int = args.handler(args)
    return result


def test_check_passes_on_the_shipped_templates(capsys: pytest.CaptureFixture[str]) -> None:
    assert mailroom("check", "--templates-dir", str(SHIPPED)) == 0
    assert "ok: 6 templates" in capsys.readouterr().out


def test_check_fails_with_exit_1_naming_the_broken_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_template(tmp_path, "fine")
    write_template(
        tmp_path,
        "broken",
        html='{% extends "_layouts/default.html.j2" %}\n{% block body %}{{ name }\n',
    )
    assert mailroom("check", "--templates-dir", str(tmp_path)) == 1
    err = capsys.readouterr().err
    assert f"{tmp_path / 'broken' / 'body.html.j2'}:2:" in err
    assert "fine" not in err


def test_check_fails_for_a_template_without_the_noreply_footer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_template(tmp_path, "bare", html="<p>{{ name }}</p>")
    assert mailroom("check", "--templates-dir", str(tmp_path)) == 1
    assert "do-not-reply footer" in capsys.readouterr().err


def test_list_shows_every_template_and_its_variables(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert mailroom("list", "--variables", "--templates-dir", str(SHIPPED)) == 0
    out = capsys.readouterr().out
    assert "ticket-reply" in out
    assert "Reply to a support ticket" in out
    assert "ticket_id (string, required)" in out


def test_preview_prints_the_text_part_with_given_values_and_samples(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = mailroom(
        "preview",
        "outage-notice",
        "--templates-dir",
        str(SHIPPED),
        "--var",
        "service=Payroll",
        "--sender",
        "noreply@contoso.com",
        "--kind",
        "noreply",
        "--text",
    )
    captured = capsys.readouterr()
    assert code == 0
    assert captured.out.startswith("Subject: [Identified] Payroll: degraded performance")
    assert "Please do not reply to it." in captured.out
    assert "using sample values for:" in captured.err


def test_preview_writes_html_to_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "preview.html"
    code = mailroom("preview", "ticket-reply", "--templates-dir", str(SHIPPED), "--out", str(out))
    assert code == 0
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert "Subject: Re: [Ticket #48213]" in capsys.readouterr().out


def test_preview_with_bad_values_lists_them_and_exits_1(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = mailroom(
        "preview",
        "ticket-reply",
        "--templates-dir",
        str(SHIPPED),
        "--no-samples",
        "--var",
        "colour=red",
    )
    err = capsys.readouterr().err
    assert code == 1
    assert "colour: is not a variable of this template" in err
    assert "customer_name: is required" in err


def test_preview_of_an_unknown_template_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert mailroom("preview", "nope", "--templates-dir", str(SHIPPED)) == 1
    assert "no template called 'nope'" in capsys.readouterr().err


def test_preview_with_a_malformed_var_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert mailroom("preview", "ticket-reply", "--var", "oops") == 2
    assert "NAME=VALUE" in capsys.readouterr().err
