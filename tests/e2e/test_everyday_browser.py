"""Everyday use in the Agents Playground's real web UI (headless Chromium): a plain sentence
opens the send from the sender it names, text Mailroom does not understand gets three
likely commands, and the privacy prompt's Bcc button previews the email again with nobody
seeing the others. Screenshots go to ``build/e2e-screenshots/`` (CI keeps that folder).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.devrun import DevRun
from tests.e2e.test_guided_send_browser import walk
from tests.e2e.test_playground_browser import SCREENSHOTS, chromium, is_png

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(240)]

__all__ = ["chromium"]  # the fixture

SHOTS = {
    "sentence": "everyday-plain-sentence.png",
    "unknown": "everyday-three-likely-commands.png",
    "privacy": "everyday-privacy-prompt.png",
    "bcc": "everyday-privacy-bcc-preview.png",
}
CUSTOMERS = ",".join(f"customer{n}@fabrikam.com" for n in range(12))


def test_plain_words_three_likely_commands_and_the_privacy_prompt_in_the_playground(
    chromium: Path, mailroom_dev: DevRun
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shots = {name: SCREENSHOTS / file for name, file in SHOTS.items()}
    for path in shots.values():
        path.unlink(missing_ok=True)
    fast = (f"/send from:support template:ticket-reply to:{CUSTOMERS} customer_name=Dana "
            'ticket_id=7 ticket_subject="Portal sign-in" message="Unlocked." '
            'agent_name="Adele Vance"')  # fmt: skip
    summary = walk(
        mailroom_dev,
        chromium,
        [
            {"say": "I need to send an email from support"},
            {"shot": str(shots["sentence"]), "in": "support@contoso.com"},
            {"read": "sentence", "in": "support@contoso.com"},
            {"say": "the weather is lovely today"},
            {"shot": str(shots["unknown"]), "in": "Perhaps one of these?"},
            {"read": "unknown", "in": "Perhaps one of these?"},
            {"say": fast},
            {"shot": str(shots["privacy"]), "in": "outside your organisation are in To or Cc"},
            {"read": "privacy", "in": "outside your organisation are in To or Cc"},
            {"click": "Put everyone in Bcc", "in": "outside your organisation are in To or Cc"},
            {"shot": str(shots["bcc"]), "in": "Bcc (hidden from other recipients)"},
            {"read": "bcc", "in": "Bcc (hidden from other recipients)"},
        ],
    )
    for name, path in shots.items():
        assert is_png(path), f"no {name} screenshot at {path}"
    texts = summary["texts"]
    assert "don't know the command" not in texts["sentence"]
    assert "Perhaps one of these?" in texts["unknown"]
    assert "Send email as a colleague" not in texts["unknown"]  # not the whole help card
    assert "12 addresses outside your organisation are in To or Cc" in texts["privacy"]
    assert "outside your organisation are in To or Cc" not in texts["bcc"]
    assert "To: support@contoso.com" in texts["bcc"]
    assert "customer0@fabrikam.com" in texts["bcc"]
