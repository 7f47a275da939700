"""The bot itself as real processes (``mailroom serve``), driven through /api/messages: a
200-recipient personalised bulk send and single sends survive ``kill -9`` of the bot at
random moments (twice), and two bot processes on one PostgreSQL database drain one bulk
send together — every recipient gets exactly one message, every request ends in a final
state that tells the truth, the audit log has a row per message."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.domain.send_request import SendState
from bot.store import Store
from cards import verbs
from emulator.testing import RunningEmulator
from tests.outbox.helpers import CREATE, SEND, wait_final
from tests.reliability.outbox_truth import settled, tally
from tests.support.botapp import ROOT, BotHarness, action, card_in
from tests.support.serve_process import ServeProcess

CUSTOMERS = tuple(f"customer{n:03}@fabrikam.com" for n in range(200))
SINGLES = tuple(f"single{n}@fabrikam.com" for n in range(5))


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
    rows = "\n".join(f"{c},Customer {i}" for i, c in enumerate(CUSTOMERS))
    return await queue_through_cards(bot, emulator, {"bulk_csv": "email,customer_name\n" + rows})


async def queue_through_cards(
    bot: ServeProcess, emulator: RunningEmulator, fields: dict[str, str]
) -> str:
    """Adele's ticket reply from support@ with ``fields`` (``to`` or ``bulk_csv``), sent."""
    harness = BotHarness(bot.url, emulator, app=None)  # type: ignore[arg-type]
    try:
        adele = harness.person("adele.vance@contoso.com")
        await harness.say(adele, "/send")
        compose = card_in(
            await harness.act(adele, verbs.PICK_SENDER, {"sender": "support@contoso.com"})
        )
        data = {
            **action(compose, verbs.PREVIEW)["data"],
            "var_ticket_id": "48213", "var_ticket_subject": "Portal outage",
            "var_message": "It is fixed.", "var_status": "Resolved", "var_agent_name": "Adele",
            "var_customer_name": "Customer", **fields,
        }  # fmt: skip
        preview = card_in(await harness.act(adele, verbs.PREVIEW, data))
        send = action(preview, verbs.SEND)["data"]
        await harness.act(adele, verbs.SEND, send)
        return str(send["request"])
    finally:
        await harness.close()


def assert_each_customer_once(emulator: RunningEmulator) -> None:
    delivered = Counter(
        d["recipient"] for d in emulator.control.external_deliveries()
        if d["recipient"] in CUSTOMERS
    )  # fmt: skip
    assert delivered == Counter(CUSTOMERS)


async def assert_audited(store: Store, request_id: str) -> None:
    rows = [r for r in await store.query_audit(limit=1000) if r.request_id == request_id]
    sent = Counter(r.mailroom_id for r in rows if r.outcome == "sent")
    assert len(sent) == len(CUSTOMERS)
    assert set(sent.values()) == {1}


def accepted(emulator: RunningEmulator) -> int:
    """Messages Exchange has accepted so far (its transport record)."""
    return len(emulator.control.transport()["record"])


async def kill_at(bot: ServeProcess, emulator: RunningEmulator, moment: int) -> None:
    async with asyncio.timeout(90):
        while accepted(emulator) < moment:
            await asyncio.sleep(0.01)
    bot.kill(signal.SIGKILL)


@pytest.mark.slow
async def test_kill_9_at_random_moments_of_bulk_and_single_sends_loses_and_duplicates_nothing(
    emulator: RunningEmulator, bots: Bots, store: Store
) -> None:
    seed = int(os.environ.get("MAILROOM_TEST_SEED", time.time_ns() % 1_000_000))
    chance = random.Random(seed)
    total = len(CUSTOMERS) + len(SINGLES)
    first_kill = chance.randint(5, total // 2)
    second_kill = chance.randint(first_kill + 5, total - 10)
    why = f"MAILROOM_TEST_SEED={seed}: killed at {first_kill} and {second_kill} accepted"
    control = emulator.control
    control.set_message_rate(100_000)
    control.set_move_delay(1.0)
    control.set_latency(60, path_pattern="*/messages*")
    first = bots.start("bot-a")
    await first.ready()
    requests = [await queue_bulk(first, emulator)]
    requests += [await queue_through_cards(first, emulator, {"to": to}) for to in SINGLES]
    for path, kind, extra in (
        (CREATE, "drop_after_accept", {}), (CREATE, "error_after_accept", {"status": 503}),
        (SEND, "drop_after_accept", {}), (SEND, "error_after_accept", {"status": 503}),
        (SEND, "throttle", {"retry_after": 0.3}), (SEND, "error", {"status": 503}),
    ):  # fmt: skip
        control.add_fault("POST", path, kind, count=3, **extra)

    await kill_at(first, emulator, first_kill)
    second = bots.start("bot-b")
    await second.ready()
    await kill_at(second, emulator, second_kill)
    third = bots.start("bot-c")
    await third.ready()
    for request_id in requests:
        done = await wait_final(store, request_id, within=240)  # two processes on a busy machine
        assert done.state is SendState.SENT, (why, third.output()[-3000:])
    await settled(emulator)

    for request_id in requests:
        found = await tally(emulator, store, request_id)
        assert found.truthful, (why, found.problems)
        assert (found.lost, found.duplicates) == (0, 0), why
    assert_each_customer_once(emulator)
    await assert_audited(store, requests[0])


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_two_bot_processes_on_one_postgresql_database_share_a_bulk_send(
    emulator: RunningEmulator, bots: Bots, store: Store, database_url: str
) -> None:
    emulator.control.set_message_rate(100_000)
    emulator.control.set_latency(40, path_pattern=SEND)
    one, two = bots.start("bot-1"), bots.start("bot-2")
    await asyncio.gather(one.ready(), two.ready())
    request_id = await queue_bulk(one, emulator)
    done = await wait_final(store, request_id, within=240)  # two processes on a busy machine
    assert done.state is SendState.SENT
    assert_each_customer_once(emulator)
    await assert_audited(store, request_id)
    shares = [bot.log.read_text().count(": sent by worker ") for bot in (one, two)]
    assert sum(shares) == len(CUSTOMERS)
    assert min(shares) > 0, shares  # both processes' workers sent part of it
