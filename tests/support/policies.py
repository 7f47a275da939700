"""Variants of the example policy for tests that are about something other than it."""

from __future__ import annotations

from pathlib import Path

from bot.policy.loader import load_policy
from emulator.testing import RunningEmulator

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "mailroom.example.toml"
SUPPORT = "support@contoso.com"
BULK_PER_MINUTE = 3000
"""A message rate at which a bulk send of the tests' size is over in well under a second."""


def fast_support_policy(tmp_path: Path, per_minute: int = BULK_PER_MINUTE) -> Path:
    """The example policy with support@ paced at ``per_minute``: for tests of what a bulk
    send shows and leaves behind, not of its pacing (Exchange's 30 a minute would make four
    messages take seven seconds; tests/outbox/test_pacing.py is about pacing). Pair it with
    ``match_transport`` so that the emulator's Exchange holds delivery to the same rate."""
    text = EXAMPLE.read_text(encoding="utf-8")
    marker = 'templates = ["ticket-reply"]\n'
    assert text.count(marker) == 1, "support@ is no longer the only ticket-reply sender"
    path = tmp_path / "mailroom.toml"
    path.write_text(text.replace(marker, f"{marker}[senders.rate]\nper_minute = {per_minute}\n"))
    support = load_policy(path).sender(SUPPORT)
    assert support is not None
    assert support.rate.per_minute == per_minute
    return path


def match_transport(emulator: RunningEmulator, per_minute: int = BULK_PER_MINUTE) -> None:
    """The emulator's per-mailbox message rate set to what ``fast_support_policy`` paces."""
    emulator.control.set_message_rate(per_minute)
