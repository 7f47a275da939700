"""Crash recovery with real processes: a worker process is killed (SIGKILL) in the middle
of a 200-recipient bulk send under injected 429s, 503s and answers lost after Graph took
the message; another process takes over. Every recipient gets exactly one message, every
request ends final, and the audit log has one "sent" row per message."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from bot.domain.send_request import SendState
from bot.store import JobState, Store
from emulator.testing import RunningEmulator
from tests.outbox.helpers import SEND, mailroom_ids, queue_request, send_calls, wait_final

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("worker_process.py")
TENANT_PEOPLE = (
    "adele.vance@contoso.com",
    "alex.wilber@contoso.com",
    "grady.archie@contoso.com",
    "diego.siciliani@contoso.com",
    "megan.bowen@contoso.com",
    "lynne.robbins@contoso.com",
    "johanna.lorenz@contoso.com",
    "support@contoso.com",
    "hr@contoso.com",
)


def start_worker(
    emulator: RunningEmulator, database_url: str, name: str, logs: Path
) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("Microsoft", "MAILROOM"))}
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "MAILROOM_DATABASE_URL": database_url,
            "MAILROOM_GRAPH_URL": f"{emulator.base_url}/v1.0",
            "MAILROOM_AUTHORITY_HOST": emulator.base_url,
            "MAILROOM_CA_BUNDLE": str(emulator.ca_path),
            "MicrosoftAppId": emulator.bot_app.client_id,
            "MicrosoftAppPassword": emulator.bot_app.secret,
            "MicrosoftAppTenantId": emulator.tenant_id,
        }
    )
    with (logs / f"{name}.log").open("wb") as log:  # the child keeps its own descriptor
        return subprocess.Popen(
            [sys.executable, str(SCRIPT), "--worker-id", name, "--lease", "3", "--rate", "3000"],
            cwd=logs,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )


async def stopped(process: subprocess.Popen[bytes], sig: int) -> int:
    process.send_signal(sig)
    return await asyncio.to_thread(process.wait, 20)


@pytest.mark.slow
async def test_a_worker_killed_mid_bulk_send_loses_nothing_and_duplicates_nothing(
    emulator: RunningEmulator, store: Store, database_url: str, tmp_path: Path
) -> None:
    control = emulator.control
    control.set_message_rate(100_000)
    control.set_latency(100, path_pattern=SEND)
    outside = tuple(f"customer{n:03}@example.com" for n in range(200 - len(TENANT_PEOPLE)))
    recipients = TENANT_PEOPLE + outside
    request = await queue_request(store, emulator, recipients=recipients)
    single = await queue_request(store, emulator, recipients=("single@example.org",))
    for kind, extra in (("throttle", {"retry_after": 0.3}), ("error", {"status": 503})):
        control.add_fault("POST", SEND, kind, count=3, **extra)
    control.add_fault("POST", SEND, "drop_after_accept", count=4)

    first = start_worker(emulator, database_url, "worker-a", tmp_path)
    try:
        async with asyncio.timeout(60):
            while len(send_calls(emulator, 202)) < 70:
                await asyncio.sleep(0.02)
    finally:
        await stopped(first, signal.SIGKILL)
    at_kill = Counter(j.state for j in await store.list_jobs(request.id))
    assert at_kill[JobState.SENT] < len(recipients)

    control.add_fault("POST", SEND, "drop_after_accept", count=2)
    control.add_fault("POST", SEND, "throttle", count=2, retry_after=0.3)
    second = start_worker(emulator, database_url, "worker-b", tmp_path)
    try:
        done = await wait_final(store, request.id, within=90)
        other = await wait_final(store, single.id, within=30)
    finally:
        assert await stopped(second, signal.SIGTERM) == 0

    assert (done.state, other.state) == (SendState.SENT, SendState.SENT)
    jobs = await store.list_jobs(request.id)
    assert {j.state for j in jobs} == {JobState.SENT}
    by_recipient = {j.recipients.to[0]: j.mailroom_id for j in jobs}
    for person in TENANT_PEOPLE:
        inbox = control.mailbox(person, "inbox")
        assert mailroom_ids(inbox) == [by_recipient[person]], person
    delivered = Counter(d["recipient"] for d in control.external_deliveries())
    assert delivered == Counter([*outside, "single@example.org"])
    rows = await store.query_audit()
    sent_rows = Counter(r.mailroom_id for r in rows if r.outcome == "sent")
    [single_job] = await store.list_jobs(single.id)
    assert sent_rows == Counter([*by_recipient.values(), single_job.mailroom_id])
