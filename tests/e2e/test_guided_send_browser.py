"""The polished guided send in the Agents Playground's real web UI (headless Chromium), as a
new user walks it: the fast path's mistakes said out loud, a choice's default shown selected,
a bulk CSV whose empty cells are that row's errors (never the form's value), the full HTML
preview opened from the card, and the personalised mails delivered. Screenshots of each step
go to ``build/e2e-screenshots/`` (CI keeps that folder).

Driven by tools/node/playground-walk.mjs with Debian's ``chromium`` and ``playwright-core``.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

from bot.devmode import node as nodejs
from tests.e2e.devrun import TOOLS, DevRun
from tests.e2e.test_playground_browser import SCREENSHOTS, chromium, delivered, is_png

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(240)]

__all__ = ["chromium"]  # the fixture, shared with the preview-card test

SCRIPT = TOOLS / "playground-walk.mjs"
JOHANNA = "johanna.lorenz@contoso.com"
LYNNE = "lynne.robbins@contoso.com"
SHOTS = {
    "typo": "guided-fast-path-typo.png",
    "unknown": "guided-fast-path-unknown-variable.png",
    "rows": "guided-bulk-row-errors.png",
    "preview": "guided-bulk-preview.png",
    "full": "guided-full-preview.png",
    "sent": "guided-bulk-sent.png",
}


def walk(dev: DevRun, chromium: Path, steps: list[dict[str, Any]]) -> dict[str, Any]:
    setup = nodejs.find_node()
    assert setup.node is not None
    failed = SCREENSHOTS / "guided-walk-failed.png"
    command = [setup.node, str(SCRIPT), "--url", dev.playground_url, "--chromium", str(chromium),
               "--failed", str(failed), "--steps", json.dumps(steps)]  # fmt: skip
    result = subprocess.run(
        command, cwd=TOOLS, capture_output=True, text=True, timeout=200,
        stdin=subprocess.DEVNULL, check=False,
    )  # fmt: skip
    assert result.returncode == 0, (
        f"playground-walk.mjs exited with {result.returncode}\n"
        f"stderr:\n{result.stderr}\nstdout:\n{result.stdout}"
    )
    summary: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return summary


def test_a_new_user_walks_the_guided_send_in_the_playground_and_is_told_what_was_wrong(
    chromium: Path, mailroom_dev: DevRun
) -> None:
    ticket = uuid.uuid4().hex[:8].upper()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shots = {name: SCREENSHOTS / file for name, file in SHOTS.items()}
    for path in shots.values():
        path.unlink(missing_ok=True)
    form = {"Ticket number": ticket, "Ticket subject": "Portal sign-in",
            "Your reply": "Your account is unlocked.", "Your name": "Adele Vance"}  # fmt: skip
    bad_csv = f"email,customer_name\n{JOHANNA},Johanna\n{LYNNE},\nnot-an-address,Nobody\n"
    good_csv = f"email,customer_name\n{JOHANNA},Johanna\n{LYNNE},Lynne\n"
    summary = walk(
        mailroom_dev,
        chromium,
        [
            # A typo in the template: named, with a suggestion; nothing opened instead.
            {"say": f"/send from:support template:ticket-replly to:{JOHANNA}"},
            {"shot": str(shots["typo"]), "in": "There is no template called"},
            {"read": "typo", "in": "There is no template called"},
            # A value for no variable: named on the filled form, which shows its defaults.
            {"say": f"/send from:support template:ticket-reply to:{JOHANNA} ticket={ticket}"},
            {"shot": str(shots["unknown"]), "in": "is not a variable of ticket-reply"},
            {"read": "unknown", "in": "is not a variable of ticket-reply"},
            {"selected": "status", "label": "Ticket status", "in": "is not a variable"},
            # A bulk CSV with an empty cell, and a placeholder "x" typed into the form.
            {"fill": {**form, "Customer's name": "x"}, "in": "is not a variable"},
            {"click": "Send to a list (CSV)", "in": "is not a variable"},
            {"fill": {"Personalised bulk send": bad_csv}, "in": "is not a variable"},
            {"click": "Preview", "in": "is not a variable"},
            {"shot": str(shots["rows"]), "in": "problems in the CSV"},
            {"read": "rows", "in": "problems in the CSV"},
            # Fixed: the CSV fills its column, the form's field left empty.
            {"fill": {"Personalised bulk send": good_csv, "Customer's name": ""},
             "in": "problems in the CSV"},
            {"click": "Preview", "in": "problems in the CSV"},
            {"shot": str(shots["preview"]), "in": "Check before sending"},
            {"read": "preview", "in": "Check before sending"},
            {"open": "View full preview", "in": "Check before sending", "name": "full",
             "shot": str(shots["full"])},
            {"click": "Send", "in": "Check before sending"},
            {"shot": str(shots["sent"]), "in": "Bulk send"},
        ],
    )  # fmt: skip
    for name, path in shots.items():
        assert is_png(path), f"no {name} screenshot at {path}"

    typo = summary["texts"]["typo"]
    assert "There is no template called “ticket-replly”. Did you mean ticket-reply?" in typo
    assert "Templates for support@contoso.com: ticket-reply." in typo
    unknown = summary["texts"]["unknown"]
    assert "“ticket” is not a variable of ticket-reply" in unknown
    assert "Did you mean ticket_id?" in unknown
    assert summary["selected"]["status"] == "In progress"  # the default, shown selected

    rows = summary["texts"]["rows"]
    assert "row 3, column customer_name: is empty, and this variable is required" in rows
    assert "row 4, column email: not one valid address" in rows
    assert "Check before sending" not in rows

    full = summary["pages"]["full"]
    assert full["status"] == 200
    assert "default-src 'none'" in full["headers"]["content-security-policy"]
    assert full["headers"]["cache-control"] == "no-store"
    assert full["requests"] == [full["url"]]  # the page loaded nothing else
    assert "Johanna" in full["text"]
    assert ticket in full["text"]

    for mailbox, name in ((JOHANNA, "Johanna"), (LYNNE, "Lynne")):
        (mail,) = delivered(mailroom_dev, mailbox, ticket)
        body = str(mail["body"]["content"])
        assert f"Hello {name}," in body  # each row's own cell
        assert "Hello x" not in body
