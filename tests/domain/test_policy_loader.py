"""mailroom.toml: the example loads; mistakes are named with their line and a suggestion."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.domain.senders import DEFAULT_FOOTER, Mode, RightsMode, SenderKind
from bot.errors import ConfigError
from bot.policy.loader import load_policy, parse_policy

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = (ROOT / "mailroom.example.toml").read_text(encoding="utf-8")
GROUP = "a0353d9e-cdec-4617-8159-f7b503bf84c5"


def test_the_example_policy_loads_every_sender_kind() -> None:
    policy = load_policy(ROOT / "mailroom.example.toml")
    kinds = {s.kind for s in policy.senders}
    assert {SenderKind.SHARED, SenderKind.SEND_ON_BEHALF, SenderKind.NOREPLY} <= kinds
    noreply = policy.sender("noreply")
    assert noreply is not None
    assert noreply.mode is Mode.APPLICATION
    assert noreply.footer_text == DEFAULT_FOOTER


def test_a_misspelt_key_is_named_with_its_line_and_a_suggestion() -> None:
    broken = EXAMPLE.replace('allowed_groups = ["b5f', 'alowed_groups = ["b5f')
    line = next(i for i, t in enumerate(broken.splitlines(), 1) if t.startswith("alowed_groups"))
    with pytest.raises(ConfigError) as caught:
        parse_policy(broken)
    assert caught.value.setting.endswith("alowed_groups")
    assert caught.value.line == line
    assert "did you mean 'allowed_groups'" in caught.value.problem


@pytest.mark.parametrize(
    ("snippet", "named"),
    [
        ('[[senders]]\naddress = "x@contoso.com"\nkind = "shraed"\n', "senders[0].kind"),
        ('[[senders]]\naddress = "not an address"\nkind = "shared"\n', "senders[0].address"),
        ('[[senders]]\naddress = "n@contoso.com"\nkind = "noreply"\n', "senders[0].allowed_groups"),
        (
            f'[[senders]]\naddress = "n@contoso.com"\nkind = "noreply"\nmode = "delegated"\n'
            f'allowed_groups = ["{GROUP}"]\n',
            "senders[0].mode",
        ),
        ('[[senders]]\naddress = "x@contoso.com"\nkind = "shared"\nallowed_groups = ["ops"]\n',
         "senders[0].allowed_groups"),
        ('[[senders]]\naddress = "x@contoso.com"\nkind = "shared"\n[senders.approval]\n'
         'rule = "always"\n', "senders[0].approval.approvers_group"),
        ('[[senders]]\naddress = "x@contoso.com"\nkind = "shared"\n[senders.recipients]\n'
         "max_recipients = 5000\n", "senders[0].recipients.max_recipients"),
        ("internal_domains = [\"not a domain\"]\n", "internal_domains"),
        ("discover = \"yes\"\n", "discover"),
    ],
)  # fmt: skip
def test_invalid_policies_name_the_key(snippet: str, named: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_policy(snippet)
    assert caught.value.setting == named


@pytest.mark.slow  # starts a mailroom process
def test_config_check_command_reports_the_line_and_suggestion(tmp_path: Path) -> None:
    broken = tmp_path / "mailroom.toml"
    broken.write_text(EXAMPLE.replace('allowed_groups = ["b5f', 'alowed_groups = ["b5f'))
    run = subprocess.run(
        [sys.executable, "-m", "bot.cli", "config", "check", str(broken)],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert run.returncode == 1
    assert "alowed_groups" in run.stderr
    assert "line " in run.stderr
    assert "did you mean 'allowed_groups'" in run.stderr
    ok = subprocess.run(
        [sys.executable, "-m", "bot.cli", "config", "check", str(ROOT / "mailroom.example.toml")],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    assert "support@contoso.com" in ok.stdout


POLICY_SENDER = (
    '[[senders]]\naddress = "hr@contoso.com"\nkind = "shared"\nmode = "application"\n'
    'rights = "policy"\n'
)


def test_rights_policy_lets_the_allowed_groups_decide() -> None:
    policy = parse_policy(POLICY_SENDER + f'allowed_groups = ["{GROUP}"]\n')
    sender = policy.sender("hr")
    assert sender is not None
    assert sender.rights is RightsMode.POLICY
    assert load_policy(ROOT / "mailroom.example.toml").sender("support").rights is (  # type: ignore[union-attr]
        RightsMode.EXCHANGE
    )


@pytest.mark.parametrize(
    ("text", "named", "says"),
    [
        (POLICY_SENDER, "senders[0].allowed_groups", "only thing deciding"),
        (POLICY_SENDER.replace('"application"', '"delegated"') + f'allowed_groups = ["{GROUP}"]\n',
         "senders[0].rights", 'mode = "application"'),
        (POLICY_SENDER.replace('"policy"', '"polcy"'), "senders[0].rights",
         "did you mean 'policy'"),
        ('[[senders]]\naddress = "n@contoso.com"\nkind = "noreply"\nrights = "exchange"\n'
         f'allowed_groups = ["{GROUP}"]\n', "senders[0].rights", "always decided"),
    ],
)  # fmt: skip
def test_rights_policy_is_refused_where_it_would_decide_nothing_or_everything(
    text: str, named: str, says: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_policy(text)
    assert caught.value.setting == named
    assert says in caught.value.problem


@pytest.mark.slow  # starts a mailroom process
def test_config_check_lists_each_senders_rights_source(tmp_path: Path) -> None:
    path = tmp_path / "mailroom.toml"
    path.write_text(POLICY_SENDER + f'allowed_groups = ["{GROUP}"]\n', encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "config", "check", str(path)],
        capture_output=True, text=True, check=False, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "rights policy" in done.stdout


WINDOWED = f"""internal_domains = ["contoso.com"]

[[senders]]
address = "noreply@contoso.com"
kind = "noreply"
allowed_groups = ["{GROUP}"]
[senders.window]
days = "mon-fri"
from = "08:00"
to = "18:00"
zone = "Europe/Berlin"
"""


def line_of(text: str, start: str) -> int:
    return next(i for i, t in enumerate(text.splitlines(), 1) if t.startswith(start))


def test_a_send_window_is_read_with_its_days_hours_and_zone() -> None:
    sender = parse_policy(WINDOWED).sender("noreply")
    assert sender is not None
    assert sender.window is not None
    assert sender.window.summary() == "Mon–Fri 08:00–18:00 (Europe/Berlin)"


def test_without_a_window_a_sender_sends_any_time() -> None:
    sender = parse_policy(WINDOWED.split("[senders.window]", maxsplit=1)[0]).sender("noreply")
    assert sender is not None
    assert sender.window is None


@pytest.mark.parametrize(
    ("old", "new", "setting", "problem"),
    [
        ('days = "mon-fri"', 'days = "weekdays"', "window.days", 'days like "mon-fri"'),
        ('from = "08:00"', 'from = "8 am"', "window.from", 'a time of day like "08:00"'),
        ('to = "18:00"', 'to = "07:00"', "window.to", "later than from"),
        ('zone = "Europe/Berlin"', 'zone = "Europe/Berlinn"', "window.zone", "IANA name"),
        ('zone = "Europe/Berlin"', 'zon = "Europe/Berlin"', "window.zon", "did you mean 'zone'"),
    ],
)
def test_a_bad_send_window_is_named_with_its_line(
    old: str, new: str, setting: str, problem: str
) -> None:
    broken = WINDOWED.replace(old, new)
    with pytest.raises(ConfigError) as caught:
        parse_policy(broken)
    assert caught.value.setting == f"senders[0].{setting}"
    assert problem in caught.value.problem
    assert caught.value.line == line_of(broken, new.split(" ", maxsplit=1)[0] + " ")


def test_a_window_missing_a_key_says_which() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_policy(WINDOWED.replace('zone = "Europe/Berlin"\n', ""))
    assert caught.value.setting == "senders[0].window.zone"
    assert "is required" in caught.value.problem


def test_schedule_max_days_is_bounded() -> None:
    assert parse_policy(WINDOWED).schedule_max_days == 30
    assert parse_policy("schedule_max_days = 7\n" + WINDOWED).schedule_max_days == 7
    with pytest.raises(ConfigError) as caught:
        parse_policy("schedule_max_days = 1000\n" + WINDOWED)
    assert caught.value.line == 1


@pytest.mark.slow  # starts a mailroom process
def test_config_check_names_a_bad_window_zone_with_its_line(tmp_path: Path) -> None:
    broken = tmp_path / "mailroom.toml"
    broken.write_text(WINDOWED.replace("Europe/Berlin", "Europe/Berlinn"))
    run = subprocess.run(
        [sys.executable, "-m", "bot.cli", "config", "check", str(broken)],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert run.returncode == 1
    assert "senders[0].window.zone" in run.stderr
    assert f"line {line_of(WINDOWED, 'zone')}" in run.stderr
