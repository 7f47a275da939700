"""The polished guided send in the Agents Playground's real web UI (headless Chromium), as a
new user walks it: the fast path's mistakes said out loud, a choice's default shown selected,
a bulk CSV whose empty cells are that row's errors (never the form's value), the full HTML
preview opened from the card, the bulk preview paged row by row, and the personalised mails
delivered; and the dev inbox showing a delivered mail. Screenshots of each step go to
``build/e2e-screenshots/`` (CI keeps that folder).

Driven by tools/node/playground-walk.mjs with Debian's ``chromium`` and ``playwright-core``.
"""

from __future__ import annotations

import json
import ssl
import subprocess
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from bot.devmode import node as nodejs
from emulator.seed import DEMO_SEED, load_seed
from tests.e2e.devrun import TOOLS, DevRun
from tests.e2e.test_playground_browser import SCREENSHOTS, chromium, delivered, is_png

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(240)]

__all__ = ["chromium"]  # the fixture, shared with the preview-card test

SCRIPT = TOOLS / "playground-walk.mjs"
DEMO = load_seed(DEMO_SEED)
JOHANNA = "johanna.lorenz@contoso.com"
LYNNE = "lynne.robbins@contoso.com"
SHOTS = {
    "typo": "guided-fast-path-typo.png",
    "unknown": "guided-fast-path-unknown-variable.png",
    "rows": "guided-bulk-row-errors.png",
    "preview": "guided-bulk-preview.png",
    "row2": "guided-bulk-preview-row-2.png",
    "full": "guided-full-preview.png",
    "sent": "guided-bulk-sent.png",
}


def walk(
    dev: DevRun, chromium: Path, steps: list[dict[str, Any]], *, viewport: str = "1280x1000"
) -> dict[str, Any]:
    setup = nodejs.find_node()
    assert setup.node is not None
    failed = SCREENSHOTS / f"guided-walk-failed-{viewport}.png"
    command = [setup.node, str(SCRIPT), "--url", dev.playground_url, "--chromium", str(chromium),
               "--failed", str(failed), "--viewport", viewport,
               "--steps", json.dumps(steps)]  # fmt: skip
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
            # The bulk preview pages through its rows, and back.
            {"click": "Next row", "in": "row 1 of 2"},
            {"shot": str(shots["row2"]), "in": "row 2 of 2"},
            {"read": "row2", "in": "row 2 of 2"},
            {"click": "Previous row", "in": "row 2 of 2"},
            {"wait": "row 1 of 2"},
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

    first, second = summary["texts"]["preview"], summary["texts"]["row2"]
    assert "2 personalised messages · row 1 of 2" in first
    assert "Hello Johanna," in first
    assert "Hello Lynne," in second
    assert LYNNE in second
    assert "Previous row" in second

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


HOSTILE_BODY = (
    "<p>Hello <b>Johanna</b>, your ticket {ticket} is resolved.</p>"
    "<script>document.body.innerText = 'SCRIPT RAN'</script>"
    '<img src="http://127.0.0.1:9/pixel.png" alt="">'
)


def send_from_support(dev: DevRun, ticket: str) -> None:
    """A mail delivered by the tenant emulator, as Graph would (app-only, support@)."""
    app = DEMO.bot_app
    verify = ssl.create_default_context(cafile=dev.info["ca_path"])
    with httpx.Client(base_url=dev.info["emulator_url"], verify=verify, timeout=10) as https:
        token = https.post(
            f"/{DEMO.id}/oauth2/v2.0/token",
            data={"grant_type": "client_credentials", "client_id": app.client_id,
                  "client_secret": app.secret, "scope": "https://graph.microsoft.com/.default"},
        ).json()["access_token"]  # fmt: skip
        message = {
            "subject": f"Ticket {ticket}",
            "body": {"contentType": "HTML", "content": HOSTILE_BODY.format(ticket=ticket)},
            "toRecipients": [{"emailAddress": {"address": JOHANNA}}],
        }
        answer = https.post(
            "/v1.0/users/support@contoso.com/sendMail",
            headers={"Authorization": f"Bearer {token}"},
            json={"message": message, "saveToSentItems": True},
        )
        assert answer.status_code == 202, answer.text


def test_the_dev_inbox_shows_who_received_what_with_the_body_locked_down(
    chromium: Path, mailroom_dev: DevRun
) -> None:
    ticket = uuid.uuid4().hex[:8].upper()
    send_from_support(mailroom_dev, ticket)
    (mail,) = delivered(mailroom_dev, JOHANNA, ticket)
    inbox = str(mailroom_dev.info["inbox_url"])
    box = f"{inbox}{quote(JOHANNA)}/"
    shots = {
        "inbox": SCREENSHOTS / "dev-inbox.png",
        "message": SCREENSHOTS / "dev-inbox-message.png",
    }
    for path in shots.values():
        path.unlink(missing_ok=True)
    summary = walk(
        mailroom_dev,
        chromium,
        [
            {"visit": inbox, "shot": str(shots["inbox"]), "name": "mailboxes"},
            {"visit": box, "name": "johanna"},
            {"visit": f"{box}{quote(mail['id'])}", "shot": str(shots["message"]),
             "name": "message"},
        ],
    )  # fmt: skip
    for name, path in shots.items():
        assert is_png(path), f"no {name} screenshot at {path}"
    pages = summary["pages"]
    assert all(page["status"] == 200 for page in pages.values())
    assert "Contoso" in pages["mailboxes"]["text"]
    assert JOHANNA in pages["mailboxes"]["text"]
    assert f"Ticket {ticket}" in pages["johanna"]["text"]
    message = pages["message"]
    assert "support@contoso.com" in message["text"]  # From and Sender
    assert "default-src 'none'" in message["headers"]["content-security-policy"]
    (body,) = message["frames"]
    assert f"your ticket {ticket} is resolved" in body
    assert "SCRIPT RAN" not in body
    # The remote image was stopped by the body's policy before any connection was made.
    pixel = [url for url in message["requests"] if "pixel.png" in url]
    assert [message["failed"].get(url) for url in pixel] == ["csp"]  # Chromium's reason
