"""The development inbox over real HTTP, reading a running emulator: who received what,
From and Sender, the headers, and the HTML body under a policy that runs no script."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import quote

import httpx
import pytest
from aiohttp import web

from bot.devmode import inbox
from bot.devmode.runner import INBOX_PATH
from emulator.testing import RunningEmulator

HOSTILE = '<p>Hello <b>Johanna</b></p><script>alert("x")</script><img src="https://t.example/p">'


@pytest.fixture
async def pages(emulator: RunningEmulator) -> AsyncIterator[httpx.AsyncClient]:
    root = web.Application()
    reader = inbox.EmulatorReader.connect(emulator.base_url, emulator.ca_path)
    root.add_subapp(inbox.PREFIX.rstrip("/"), inbox.create(reader))
    runner = web.AppRunner(root)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            yield client
    finally:
        await runner.cleanup()


def _send_as_support(emulator: RunningEmulator, *recipients: str) -> None:
    app = emulator.bot_app
    with httpx.Client(base_url=emulator.base_url, verify=emulator.ssl_context()) as https:
        token = https.post(
            f"/{emulator.tenant_id}/oauth2/v2.0/token",
            data={
                "grant_type": "client_credentials",
                "client_id": app.client_id,
                "client_secret": app.secret,
                "scope": "https://graph.microsoft.com/.default",
            },
        ).json()["access_token"]
        message = {
            "subject": "Your ticket 42",
            "body": {"contentType": "HTML", "content": HOSTILE},
            "toRecipients": [{"emailAddress": {"address": a}} for a in recipients],
            "internetMessageHeaders": [{"name": "X-Mailroom-Request", "value": "r-1"}],
        }
        answer = https.post(
            "/v1.0/users/support@contoso.com/sendMail",
            headers={"Authorization": f"Bearer {token}"},
            json={"message": message, "saveToSentItems": True},
        )
        assert answer.status_code == 202, answer.text


def test_the_banner_path_is_where_the_inbox_is_mounted() -> None:
    assert INBOX_PATH == inbox.PREFIX


async def test_the_mailbox_list_counts_what_each_mailbox_received(
    emulator: RunningEmulator, pages: httpx.AsyncClient
) -> None:
    _send_as_support(emulator, "johanna.lorenz@contoso.com", "someone@fabrikam.com")
    answer = await pages.get(inbox.PREFIX)
    assert answer.status_code == 200
    assert "script-src" not in answer.headers["Content-Security-Policy"]
    assert "default-src 'none'" in answer.headers["Content-Security-Policy"]
    page = answer.text
    assert 'href="/_dev/inbox/johanna.lorenz%40contoso.com/?folder=inbox">1</a>' in page
    assert 'href="/_dev/inbox/support%40contoso.com/?folder=sentitems">1</a>' in page
    assert "Delivered outside the tenant</a>: 1" in page


async def test_a_received_message_shows_from_sender_headers_and_a_framed_body(
    emulator: RunningEmulator, pages: httpx.AsyncClient
) -> None:
    _send_as_support(emulator, "johanna.lorenz@contoso.com")
    (received,) = emulator.control.mailbox("johanna.lorenz@contoso.com", "inbox")
    box = f"{inbox.PREFIX}{quote('johanna.lorenz@contoso.com')}/"

    listing = await pages.get(box)
    assert listing.status_code == 200
    assert "Your ticket 42" in listing.text
    assert "support@contoso.com" in listing.text

    detail = await pages.get(f"{box}{quote(received['id'])}")
    assert detail.status_code == 200
    assert "<dt>From</dt><dd>" in detail.text
    assert "<dt>Sender</dt><dd>" in detail.text
    assert "X-Mailroom-Request" in detail.text
    assert "<script>" not in detail.text  # the body is never inlined in our page
    assert '<iframe sandbox title="Message body"' in detail.text

    body = await pages.get(f"{box}{quote(received['id'])}/body")
    assert body.status_code == 200
    policy = body.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    assert "sandbox" in policy
    assert "script-src" not in policy
    assert "frame-ancestors 'self'" in policy
    assert body.headers["Cache-Control"] == "no-store"
    assert body.text == HOSTILE  # exactly what was delivered; the policy stops the script


async def test_outside_deliveries_are_listed_with_their_body(
    emulator: RunningEmulator, pages: httpx.AsyncClient
) -> None:
    _send_as_support(emulator, "someone@fabrikam.com")
    listing = await pages.get(f"{inbox.PREFIX}external")
    assert listing.status_code == 200
    assert "someone@fabrikam.com" in listing.text
    detail = await pages.get(f"{inbox.PREFIX}external/0")
    assert detail.status_code == 200
    assert "Your ticket 42" in detail.text
    body = await pages.get(f"{inbox.PREFIX}external/0/body")
    assert body.text == HOSTILE


@pytest.mark.parametrize(
    "path",
    [
        "nobody%40contoso.com/",
        "johanna.lorenz%40contoso.com/?folder=secret",
        "johanna.lorenz%40contoso.com/no-such-id",
        "external/7",
        "external/x/body",
    ],
)
async def test_unknown_mailboxes_folders_and_messages_are_404_pages(
    emulator: RunningEmulator, pages: httpx.AsyncClient, path: str
) -> None:
    answer = await pages.get(f"{inbox.PREFIX}{path}")
    assert answer.status_code == 404
    assert "All mailboxes" in answer.text
