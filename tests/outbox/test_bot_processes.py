"""The bot itself as real processes (``mailroom serve``), driven through /api/messages:
a 200-recipient personalised bulk send survives ``kill -9`` of the bot mid-way, and two
bot processes on one PostgreSQL database drain one bulk send together — every recipient
gets exactly one message, the request ends final, the audit log has a row per message."""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.domain.send_request import SendState
from bot.store import Store
from cards import verbs
from emulator.testing import RunningEmulator
from tests.outbox.helpers import SEND, send_calls, wait_final
from tests.support.botapp import ROOT, BotHarness, action, card_in
from tests.support.serve_process import ServeProcess

CUSTOMERS = tuple(f"customer{n:03}@fabrikam.com" for n in range(200))


def policy_file(tmp_path: Path) -> Path:
    """The demo policy with support@ allowed Exchange's pace of the emulator (fast)."""
    text = (ROOT / "mailroom.example.toml").read_text(encoding="utf-8")
    text = text.replace(
        'templates = ["ticket-reply"]\n',
        'templates = ["ticket-reply"]\n[senders.rate]\nper_minute = 6000\n',
        1,
    )
    path = tmp_path / "mailroom.toml"
    path.write_text(text, encoding="utf-8")
    return path


def start_bot(
    emulator: RunningEmulator, tmp_path: Path, database_url: str, name: str
) -> ServeProcess:
    return ServeProcess(
        emulator,
        tmp_path,
        {
            "MAILROOM_DATABASE_URL": database_url,
            "MAILROOM_CONFIG": str(policy_file(tmp_path)),
            "MAILROOM_LOG_LEVEL": "DEBUG",  # each worker logs the jobs it sent
            "MAILROOM_OUTBOX_LEASE_SECONDS": "5",  # a killed bot's jobs are reclaimed soon
        },
        name=name,
    )


class Bots:
    def __init__(self, emulator: RunningEmulator, tmp_path: Path, database_url: str) -> None:
        self._args = (emulator, tmp_path, database_url)
        self.started: list[ServeProcess] = []

    def start(self, name: str) -> ServeProcess:
        bot = start_bot(*self._args, name)
        self.started.append(bot)
        return bot


@pytest.fixture
def bots(emulator: RunningEmulator, tmp_path: Path, database_url: str) -> Iterator[Bots]:
    made = Bots(emulator, tmp_path, database_url)
    yield made
    for bot in made.started:
        bot.stop()


async def queue_bulk(bot: ServeProcess, emulator: RunningEmulator) -> str:
    """Adele sends a personalised ticket reply to 200 customers from support@ (CSV)."""
    harness = BotHarness(bot.url, emulator, app=None)  # type: ignore[arg-type]
    try:
        adele = harness.person("adele.vance@contoso.com")
        await harness.say(adele, "/send")
        compose = card_in(
            await harness.act(adele, verbs.PICK_SENDER, {"sender": "support@contoso.com"})
        )
        rows = "\n".join(f"{c},Customer {i}" for i, c in enumerate(CUSTOMERS))
        data = {
            **action(compose, verbs.PREVIEW)["data"],
            "var_ticket_id": "48213", "var_ticket_subject": "Portal outage",
            "var_message": "It is fixed.", "var_status": "Resolved", "var_agent_name": "Adele",
            "bulk_csv": "email,customer_name\n" + rows,
        }  # fmt: skip
        preview = card_in(await harness.act(adele, verbs.PREVIEW, data))
        send = action(preview, verbs.SEND)["data"]
        await harness.act(adele, verbs.SEND, send)
        return str(send["request"])
    finally:
        await harness.close()


def assert_each_customer_once(emulator: RunningEmulator) -> None:
    delivered = Counter(d["recipient"] for d in emulator.control.external_deliveries())
    assert delivered == Counter(CUSTOMERS)


async def assert_audited(store: Store, request_id: str) -> None:
    rows = [r for r in await store.query_audit(limit=1000) if r.request_id == request_id]
    sent = Counter(r.mailroom_id for r in rows if r.outcome == "sent")
    assert len(sent) == len(CUSTOMERS)
    assert set(sent.values()) == {1}


@pytest.mark.slow
async def test_kill_9_of_the_bot_mid_bulk_send_loses_and_duplicates_nothing(
    emulator: RunningEmulator, bots: Bots, store: Store
) -> None:
    control = emulator.control
    control.set_message_rate(100_000)
    control.set_latency(60, path_pattern=SEND)
    first = bots.start("bot-a")
    await first.ready()
    request_id = await queue_bulk(first, emulator)
    control.add_fault("POST", SEND, "throttle", count=3, retry_after=0.3)
    control.add_fault("POST", SEND, "error", count=3, status=503, retry_after=0.3)
    control.add_fault("POST", SEND, "drop_after_accept", count=4)
    async with asyncio.timeout(60):
        while len(send_calls(emulator, 202)) < 60:
            await asyncio.sleep(0.02)
    first.kill(signal.SIGKILL)
    assert len(send_calls(emulator, 202)) < len(CUSTOMERS)

    second = bots.start("bot-b")
    await second.ready()
    done = await wait_final(store, request_id, within=120)
    assert done.state is SendState.SENT, second.log.read_text()[-3000:]
    assert_each_customer_once(emulator)
    await assert_audited(store, request_id)


@pytest.mark.slow
@pytest.mark.postgres
async def test_two_bot_processes_on_one_postgresql_database_share_a_bulk_send(
    emulator: RunningEmulator, bots: Bots, store: Store, database_url: str
) -> None:
    if not database_url.startswith("postgres"):
        pytest.skip("two processes share the outbox through PostgreSQL")
    emulator.control.set_message_rate(100_000)
    emulator.control.set_latency(40, path_pattern=SEND)
    one, two = bots.start("bot-1"), bots.start("bot-2")
    await asyncio.gather(one.ready(), two.ready())
    request_id = await queue_bulk(one, emulator)
    done = await wait_final(store, request_id, within=120)
    assert done.state is SendState.SENT
    assert_each_customer_once(emulator)
    await assert_audited(store, request_id)
    shares = [bot.log.read_text().count(": sent by worker ") for bot in (one, two)]
    assert sum(shares) == len(CUSTOMERS)
    assert min(shares) > 0, shares  # both processes' workers sent part of it
