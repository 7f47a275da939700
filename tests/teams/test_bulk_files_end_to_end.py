"""Per-recipient files in a bulk send, end to end over HTTP: the user sends a zip in the
chat, the CSV's files column names each row's files, problems come back by row before the
preview, and each recipient gets exactly their own file."""

from __future__ import annotations

import asyncio
import base64
import io
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from cards import verbs
from emulator.testing import RunningEmulator
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
from tests.support.policies import fast_support_policy, match_transport
from tests.support.templates import shipped_catalog

ROOT = Path(__file__).resolve().parents[2]
CATALOG = shipped_catalog()
SUPPORT = "support@contoso.com"
ROWS = 50


@pytest.fixture
async def bot(emulator: RunningEmulator, tmp_path: Path) -> AsyncIterator[BotHarness]:
    host = urlsplit(emulator.base_url).hostname or ""
    settings = settings_for(
        emulator, tmp_path, policy=fast_support_policy(tmp_path), file_download_hosts=(host,)
    )
    async with running_bot(settings, emulator) as harness:
        yield harness


def pdf(n: int) -> bytes:
    return b"%PDF-1.7\n" + f"statement for customer {n}\n".encode() * 40


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def inputs(**fields: str) -> dict[str, str]:
    values = {f"var_{k}": v for k, v in CATALOG.get("ticket-reply").sample_values().items()}
    return {**values, **fields}


async def compose_with_zip(bot: BotHarness, who: Person, archive: bytes) -> dict[str, Any]:
    await bot.say(who, "/send")
    await bot.act(who, verbs.PICK_SENDER, {"sender": SUPPORT})
    shared = bot.emulator.control.share_file(who.upn, "statements.zip", archive)
    return card_in(await bot.send_file(who, shared))


def csv_of(rows: list[tuple[str, str]]) -> str:
    return "email,files\n" + "".join(f"{email},{files}\n" for email, files in rows)


async def test_50_rows_each_get_exactly_their_own_pdf_from_the_zip(bot: BotHarness) -> None:
    match_transport(bot.emulator)  # Exchange's per-minute pace, out of the way
    adele = bot.person("adele.vance@contoso.com")
    files = {f"statements/customer{n}.pdf": pdf(n) for n in range(ROWS)}
    compose = await compose_with_zip(bot, adele, zipped(files))
    assert "statements.zip" in text_of(compose)
    rows = [(f"customer{n}@fabrikam.com", f"customer{n}.pdf") for n in range(ROWS)]
    data = {**action(compose, verbs.PREVIEW)["data"], **inputs(bulk_csv=csv_of(rows))}

    preview = card_in(await bot.act(adele, verbs.PREVIEW, data))

    shown = text_of(preview)
    assert "Each recipient's files" in shown
    assert "customer0@fabrikam.com: customer0.pdf" in shown
    sending = card_in(await bot.act(adele, verbs.SEND, action(preview, verbs.SEND)["data"]))
    assert "Sent 0 of 50" in text_of(sending)
    deliveries: list[dict[str, Any]] = []
    for _ in range(600):
        deliveries = bot.emulator.control.external_deliveries()
        if len(deliveries) >= ROWS:
            break
        await asyncio.sleep(0.05)
    assert len(deliveries) == ROWS
    for delivery in deliveries:
        n = int(delivery["recipient"].removeprefix("customer").split("@")[0])
        (attached,) = delivery["message"]["attachments"]
        assert attached["name"] == f"customer{n}.pdf"
        assert base64.b64decode(attached["contentBytes"]) == pdf(n)


async def test_a_row_naming_a_missing_file_is_reported_by_row_before_the_preview(
    bot: BotHarness,
) -> None:
    adele = bot.person("adele.vance@contoso.com")
    compose = await compose_with_zip(bot, adele, zipped({"a.pdf": pdf(1), "b.pdf": pdf(2)}))
    rows = [("one@fabrikam.com", "a.pdf"), ("two@fabrikam.com", "missing.pdf"),
            ("three@fabrikam.com", "b.pdf")]  # fmt: skip
    data = {**action(compose, verbs.PREVIEW)["data"], **inputs(bulk_csv=csv_of(rows))}

    again = card_in(await bot.act(adele, verbs.PREVIEW, data))

    said = text_of(again)
    assert "row 3, column files: missing.pdf is not in statements.zip" in said
    assert [a for a in actions_of(again) if a.get("verb") == verbs.SEND] == []


async def test_a_row_whose_files_pass_the_size_limit_is_reported_by_row(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    host = urlsplit(emulator.base_url).hostname or ""
    settings = settings_for(emulator, tmp_path, file_download_hosts=(host,), max_message_mb=2)
    async with running_bot(settings, emulator) as bot:
        adele = bot.person("adele.vance@contoso.com")
        big = bytes(range(256)) * (8 * 1024)  # 2 MB, barely compressible
        compose = await compose_with_zip(bot, adele, zipped({"small.pdf": pdf(1), "big.bin": big}))
        rows = [("one@fabrikam.com", "small.pdf"), ("two@fabrikam.com", "big.bin")]
        data = {**action(compose, verbs.PREVIEW)["data"], **inputs(bulk_csv=csv_of(rows))}

        again = card_in(await bot.act(adele, verbs.PREVIEW, data))

        said = text_of(again)
        assert "row 3, column files:" in said
        assert "message size limit is 2.0 MB" in said
