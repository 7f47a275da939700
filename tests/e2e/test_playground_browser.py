"""The Agents Playground's real web UI in headless Chromium: the preview card as a person sees
it, screenshotted into ``build/e2e-screenshots/`` (CI keeps that folder), then sent with a
click on its Send button.

Debian's ``chromium`` driven by ``playwright-core`` (tools/node/playground-screenshot.mjs);
no browser is ever downloaded. ``scripts/test`` installs the package when it runs as root with
``CI=true`` or ``MAILROOM_E2E_BROWSER=1``; elsewhere the test skips unless it is installed.
"""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from bot.devmode import node as nodejs
from tests.e2e.devrun import REPO, TOOLS, DevRun

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = REPO / "build" / "e2e-screenshots"
SCRIPT = TOOLS / "playground-screenshot.mjs"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JOHANNA = "johanna.lorenz@contoso.com"


@pytest.fixture(scope="module")
def chromium() -> Path:
    if not CHROMIUM.is_file():
        pytest.skip(
            f"Debian's chromium is not installed ({CHROMIUM}); scripts/test installs it "
            "(apt-get install -y chromium) when run as root with CI=true or "
            "MAILROOM_E2E_BROWSER=1"
        )
    return CHROMIUM


def screenshot_run(dev: DevRun, chromium: Path, args: list[str]) -> dict[str, Any]:
    setup = nodejs.find_node()
    assert setup.node is not None
    command = [setup.node, str(SCRIPT), "--url", dev.playground_url, "--chromium", str(chromium)]
    result = subprocess.run(
        [*command, *args],
        cwd=TOOLS,
        capture_output=True,
        text=True,
        timeout=150,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert result.returncode == 0, (
        f"playground-screenshot.mjs exited with {result.returncode}\n"
        f"stderr:\n{result.stderr}\nstdout:\n{result.stdout}"
    )
    summary: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return summary


def delivered(dev: DevRun, mailbox: str, marker: str, timeout: float = 30) -> list[Any]:
    control = dev.emulator()
    try:
        deadline = time.monotonic() + timeout
        while True:
            found = [m for m in control.mailbox(mailbox, "inbox") if marker in m["subject"]]
            if found or time.monotonic() > deadline:
                return found
            time.sleep(0.2)
    finally:
        control.close()


def is_png(path: Path) -> bool:
    return path.is_file() and path.stat().st_size > 1000 and path.read_bytes()[:8] == PNG_MAGIC


def test_the_preview_card_in_the_playground_ui_is_screenshotted_and_sent_with_a_click(
    chromium: Path, mailroom_dev: DevRun
) -> None:
    ticket = uuid.uuid4().hex[:8].upper()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shots = {
        "card": SCREENSHOTS / "preview-card.png",
        "window": SCREENSHOTS / "preview-window.png",
        "sent": SCREENSHOTS / "sent-card.png",
    }
    for path in (*shots.values(), SCREENSHOTS / "preview-card-failed.png"):
        path.unlink(missing_ok=True)
    typed = (
        f"/send from:support template:ticket-reply to:{JOHANNA} customer_name=Johanna "
        f'ticket_id={ticket} ticket_subject="Cannot sign in to the portal" '
        'message="Your account is unlocked: please sign in again." status=Resolved '
        'agent_name="Adele Vance"'
    )
    summary = screenshot_run(
        mailroom_dev,
        chromium,
        [
            "--say", typed,
            "--card", "Check before sending",
            "--out", str(shots["card"]),
            "--page-out", str(shots["window"]),
            "--click", "Send",
            "--then", "Sent at",
            "--then-out", str(shots["sent"]),
        ],
    )  # fmt: skip
    for name, path in shots.items():
        assert is_png(path), f"no {name} screenshot at {path}"
    shown = summary["cardText"]
    assert "Contoso Support <support@contoso.com>" in shown, shown
    assert f"[Ticket #{ticket}]" in shown
    assert "Send\nSend later\nEdit\nCancel" in shown  # the preview's buttons, as rendered
    found = delivered(mailroom_dev, JOHANNA, ticket)
    assert len(found) == 1, f"one reply in {JOHANNA}'s inbox after the click, got {len(found)}"
    assert found[0]["from"]["emailAddress"]["address"].lower() == "support@contoso.com"
