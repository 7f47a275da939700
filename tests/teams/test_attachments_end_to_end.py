"""Files in the guided send, end to end over HTTP: the user sends files in the personal chat,
the compose card lists them (size, Remove), the preview shows them, and the recipient gets
them byte for byte — through the real bot, its outbox worker and the emulator."""

from __future__ import annotations

import asyncio
import base64
import io
import logging
import os
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from bot.logs import Scrubber, TextFormatter
from cards import verbs
from emulator.testing import RunningEmulator
from tests.store.helpers import run_raw_sql
from tests.support.botapp import (
    BotHarness,
    Person,
    action,
    actions_of,
    card_in,
    running_bot,
    settings_for,
    text_of,
)
from tests.support.templates import shipped_catalog

CATALOG = shipped_catalog()
MB = 1024 * 1024
SUPPORT = "support@contoso.com"
JOHANNA = "johanna.lorenz@contoso.com"


@pytest.fixture
async def bot(emulator: RunningEmulator, tmp_path: Path) -> AsyncIterator[BotHarness]:
    host = urlsplit(emulator.base_url).hostname or ""
    settings = settings_for(emulator, tmp_path, file_download_hosts=(host,))
    async with running_bot(settings, emulator) as harness:
        yield harness


def inputs(template: str, **fields: str) -> dict[str, str]:
    values = {f"var_{k}": v for k, v in CATALOG.get(template).sample_values().items()}
    return {**values, **fields}


async def compose_for(bot: BotHarness, who: Person, sender: str, template: str) -> None:
    await bot.say(who, "/send")
    compose = card_in(await bot.act(who, verbs.PICK_SENDER, {"sender": sender}))
    if not [a for a in actions_of(compose) if a.get("verb") == verbs.PREVIEW]:
        pick = action(compose, verbs.PICK_TEMPLATE)
        await bot.act(who, verbs.PICK_TEMPLATE, {**pick["data"], "template": template})


async def share(bot: BotHarness, who: Person, name: str, data: bytes) -> dict[str, Any]:
    attachment = bot.emulator.control.share_file(who.upn, name, data)
    return card_in(await bot.send_file(who, attachment))


async def delivered(bot: BotHarness, mailbox: str) -> dict[str, Any]:
    for _ in range(400):
        inbox = bot.emulator.control.mailbox(mailbox, "inbox")
        if inbox:
            return inbox[0]
        await asyncio.sleep(0.05)
    raise AssertionError(f"nothing delivered to {mailbox}")


def files_of(message: dict[str, Any]) -> dict[str, bytes]:
    return {a["name"]: base64.b64decode(a["contentBytes"]) for a in message["attachments"]}


async def test_a_1_kb_and_a_5_mb_file_from_a_shared_mailbox_arrive_byte_identical(
    bot: BotHarness,
) -> None:
    adele = bot.person("adele.vance@contoso.com")
    small, large = os.urandom(1024), os.urandom(5 * MB)
    await compose_for(bot, adele, SUPPORT, "ticket-reply")

    await share(bot, adele, "notes.txt", small)
    compose = await share(bot, adele, "scan.pdf", large)

    listed = text_of(compose)
    assert "notes.txt — 1 KB" in listed
    assert "scan.pdf — 5.0 MB" in listed
    removes = [a for a in actions_of(compose) if a.get("verb") == verbs.REMOVE_FILE]
    assert len(removes) == 2
    data = {**action(compose, verbs.PREVIEW)["data"], **inputs("ticket-reply", to=JOHANNA)}
    preview = card_in(await bot.act(adele, verbs.PREVIEW, data))
    assert "notes.txt (1 KB), scan.pdf (5.0 MB)" in text_of(preview)
    sending = card_in(await bot.act(adele, verbs.SEND, action(preview, verbs.SEND)["data"]))
    assert "Sending" in text_of(sending)

    mail = await delivered(bot, JOHANNA)
    assert files_of(mail) == {"notes.txt": small, "scan.pdf": large}


async def test_remove_takes_a_file_off_the_email(bot: BotHarness) -> None:
    adele = bot.person("adele.vance@contoso.com")
    await compose_for(bot, adele, SUPPORT, "ticket-reply")
    await share(bot, adele, "keep.txt", b"keep")
    compose = await share(bot, adele, "drop.txt", b"drop")
    drop = (
        next(
            a
            for a in actions_of(compose)
            if a.get("verb") == verbs.REMOVE_FILE and "drop.txt" not in str(a)
        )
        if False
        else None
    )  # the button carries the file's reference, not its name
    del drop
    removes = [a for a in actions_of(compose) if a.get("verb") == verbs.REMOVE_FILE]

    after = card_in(await bot.act(adele, verbs.REMOVE_FILE, removes[1]["data"]))

    assert "drop.txt" not in text_of(after)
    assert "keep.txt" in text_of(after)


async def test_40_mb_is_refused_with_the_limit_explained(bot: BotHarness) -> None:
    adele = bot.person("adele.vance@contoso.com")
    await compose_for(bot, adele, SUPPORT, "ticket-reply")

    compose = await share(bot, adele, "video.mp4", b"\0" * (40 * MB))

    said = text_of(compose)
    assert "video.mp4" in said
    assert "message size limit" in said
    assert "35.0 MB" in said
    assert [a for a in actions_of(compose) if a.get("verb") == verbs.REMOVE_FILE] == []
    assert bot.emulator.control.mailbox(SUPPORT, "drafts") == []


async def test_a_file_from_a_host_not_allowed_is_not_fetched(bot: BotHarness) -> None:
    adele = bot.person("adele.vance@contoso.com")
    await compose_for(bot, adele, SUPPORT, "ticket-reply")
    forged = {
        "contentType": "application/vnd.microsoft.teams.file.download.info",
        "name": "x.pdf",
        "content": {"downloadUrl": "https://intranet.invalid/secret", "fileType": "pdf"},
    }

    card = card_in(await bot.send_file(adele, forged))

    assert "does not download files from that location" in text_of(card)


async def test_a_file_changed_after_the_preview_is_not_covered_by_the_approval(
    bot: BotHarness,
) -> None:
    adele = bot.person("adele.vance@contoso.com")
    megan = bot.person("megan.bowen@contoso.com")
    await bot.say(megan, "/help")  # the approver has the bot installed
    await compose_for(bot, adele, "noreply@contoso.com", "outage-notice")
    compose = await share(bot, adele, "notice.pdf", b"the notice as previewed")
    customers = ",".join(f"customer{i}@fabrikam.com" for i in range(21))
    data = {**action(compose, verbs.PREVIEW)["data"], **inputs("outage-notice", to=customers)}
    preview = card_in(await bot.act(adele, verbs.PREVIEW, data))
    assert "notice.pdf" in text_of(preview)
    await bot.act(adele, verbs.REQUEST_APPROVAL, action(preview, verbs.REQUEST_APPROVAL)["data"])
    request_id = str(
        action(preview, verbs.SEND if False else verbs.REQUEST_APPROVAL)["data"]["request"]
    )
    changed = base64.b64encode(b"another notice").decode()
    await run_raw_sql(
        bot.services.settings.database_url,
        f"UPDATE attachment_contents SET content = '{changed}' WHERE owner_id = '{request_id}'",
    )
    approvals = [card_in(r) for r in bot.replies(megan) if r.get("activity", r).get("attachments")]
    card = next(
        c for c in reversed(approvals) if any(a.get("verb") == verbs.APPROVE for a in actions_of(c))
    )

    await bot.act(megan, verbs.APPROVE, action(card, verbs.APPROVE)["data"])

    store = bot.services.store
    for _ in range(200):
        request = await store.get_request(request_id)
        if request.is_final:
            break
        await asyncio.sleep(0.05)
    assert request.state.value == "failed"
    assert request.error_key == "content_changed"
    assert bot.emulator.control.external_deliveries() == []


async def test_files_that_together_pass_the_limit_are_refused_with_the_limit_named(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    host = urlsplit(emulator.base_url).hostname or ""
    settings = settings_for(emulator, tmp_path, file_download_hosts=(host,), max_message_mb=8)
    async with running_bot(settings, emulator) as bot:
        adele = bot.person("adele.vance@contoso.com")
        await compose_for(bot, adele, SUPPORT, "ticket-reply")
        await share(bot, adele, "first.bin", b"\1" * (4 * MB))

        compose = await share(bot, adele, "second.bin", b"\2" * (4 * MB))

        said = text_of(compose)
        assert "second.bin was not attached" in said
        assert "message size limit is 8.0 MB" in said
        assert len([a for a in actions_of(compose) if a.get("verb") == verbs.REMOVE_FILE]) == 1


async def test_no_file_content_or_download_link_is_logged(bot: BotHarness) -> None:
    """Every record at DEBUG, through the production scrubber, as a log file would get it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(TextFormatter())
    handler.addFilter(Scrubber())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        adele = bot.person("adele.vance@contoso.com")
        secret_bytes = b"salary-statement-7f3k" * 200_000  # 4 MB: an upload session
        await compose_for(bot, adele, SUPPORT, "ticket-reply")
        attachment = bot.emulator.control.share_file(adele.upn, "pay.pdf", secret_bytes)
        compose = card_in(await bot.send_file(adele, attachment))
        data = {**action(compose, verbs.PREVIEW)["data"], **inputs("ticket-reply", to=JOHANNA)}
        preview = card_in(await bot.act(adele, verbs.PREVIEW, data))
        await bot.act(adele, verbs.SEND, action(preview, verbs.SEND)["data"])
        await delivered(bot, JOHANNA)
    finally:
        root.removeHandler(handler)
        root.setLevel(level)

    tempauth = attachment["content"]["downloadUrl"].split("tempauth=")[1].split("&")[0]
    assert [e for e in bot.emulator.control.request_log() if e["method"] == "PUT"]
    logged = stream.getvalue()
    assert "download.aspx" in logged  # the download was logged, its secret not
    assert "salary-statement" not in logged
    assert tempauth not in logged
    assert set(re.findall(r"(?:authtoken|tempauth)=([^&\s\"']+)", logged)) <= {"[redacted]"}


async def test_edit_after_the_preview_keeps_the_files(bot: BotHarness) -> None:
    adele = bot.person("adele.vance@contoso.com")
    await compose_for(bot, adele, SUPPORT, "ticket-reply")
    compose = await share(bot, adele, "keep.pdf", b"%PDF-1.7 kept")
    data = {**action(compose, verbs.PREVIEW)["data"], **inputs("ticket-reply", to=JOHANNA)}
    preview = card_in(await bot.act(adele, verbs.PREVIEW, data))

    edited = card_in(await bot.act(adele, verbs.EDIT, action(preview, verbs.EDIT)["data"]))

    assert "keep.pdf" in text_of(edited)
    again = {**action(edited, verbs.PREVIEW)["data"], **inputs("ticket-reply", to=JOHANNA)}
    second = card_in(await bot.act(adele, verbs.PREVIEW, again))
    assert "keep.pdf" in text_of(second)
