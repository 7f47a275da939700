"""Pacing per mailbox, shared through the store: with Exchange's limits known to Mailroom,
a bulk send never provokes a 429 of its own making, and never goes faster than Exchange's
message rate — which Exchange would not refuse but quietly delay, so the proof is the
emulator's transport record of when each message was accepted and delivered."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable

import httpx
import pytest

from bot.domain.send_request import SendState
from bot.domain.senders import Mode, RateLimits, SenderConfig, SenderKind
from bot.identity import MsalTokenProvider
from bot.outbox import Worker
from bot.outbox.wiring import build_worker_graph
from bot.store import Store
from emulator.testing import RunningEmulator
from tests.outbox.helpers import (
    NOREPLY,
    SEND,
    fast_config,
    graph_statuses,
    queue_request,
    wait_final,
)
from tests.store.conftest import OpenStore

MakeWorker = Callable[..., Worker]
SLOW_ENV = "MAILROOM_TEST_SLOW"


def noreply_at(per_minute: int) -> Callable[[str], SenderConfig | None]:
    config = SenderConfig(
        address=NOREPLY,
        display_name="Contoso (do not reply)",
        kind=SenderKind.NOREPLY,
        mode=Mode.APPLICATION,
        allowed_groups=("90923460-aaee-46fb-bc99-1a4277aa90fc",),
        rate=RateLimits(per_minute=per_minute),
    )
    return lambda address: config if address == NOREPLY else None


async def test_a_bulk_send_keeps_to_four_concurrent_requests_per_mailbox(
    emulator: RunningEmulator,
    open_another: OpenStore,
    make_worker: MakeWorker,
    live_http: httpx.AsyncClient,
    msal_tokens: MsalTokenProvider,
) -> None:
    """Slow answers (300 ms), two workers as two processes would be (each its own Graph
    client and in-process limiter): without the cap of 4 per mailbox shared through the
    store, Outlook's concurrency limit would answer 429."""
    emulator.control.set_throttle(concurrency_limit=4, messages_per_minute=100_000)
    emulator.control.set_latency(300, path_pattern=SEND)
    recipients = tuple(f"reader{n}@example.com" for n in range(30))
    first, second = await open_another(), await open_another()
    request = await queue_request(first, emulator, recipients=recipients)
    for name, store in (("pace-a", first), ("pace-b", second)):
        worker = make_worker(
            store,
            config=fast_config(worker_id=name, max_in_flight=16),
            senders=noreply_at(60_000),
            graph=build_worker_graph(live_http, msal_tokens, f"{emulator.base_url}/v1.0"),
        )
        await worker.start()

    done = await wait_final(first, request.id, within=60)

    assert done.state is SendState.SENT
    assert 429 not in graph_statuses(emulator)
    delivered = Counter(d["recipient"] for d in emulator.control.external_deliveries())
    assert delivered == Counter(recipients)


@pytest.mark.slow
@pytest.mark.skipif(
    not os.environ.get(SLOW_ENV),
    reason=f"takes over a minute (Exchange's rate window is 60 s); set {SLOW_ENV}=1",
)
async def test_a_bulk_send_at_the_exchange_message_rate_causes_no_429(
    emulator: RunningEmulator, store: Store, make_worker: MakeWorker
) -> None:
    """35 messages at 30 a minute: more than one rolling minute's worth."""
    emulator.control.set_throttle(messages_per_minute=30)
    recipients = tuple(f"reader{n}@example.com" for n in range(35))
    request = await queue_request(store, emulator, recipients=recipients)
    worker = make_worker(store, config=fast_config(max_slot_wait=3.0), senders=noreply_at(30))
    await worker.start()

    done = await wait_final(store, request.id, within=110)

    assert done.state is SendState.SENT
    assert 429 not in graph_statuses(emulator)
    record = emulator.control.transport(wait=5)["record"]
    assert [r["delayed_seconds"] for r in record] == [0.0] * 35  # Exchange held none back
    assert len(emulator.control.external_deliveries()) == 35


async def test_the_transport_record_shows_when_a_sender_outruns_exchanges_rate(
    emulator: RunningEmulator, store: Store, make_worker: MakeWorker
) -> None:
    """The control experiment for the proof above: told a rate far above Exchange's, the
    outbox sends 12 messages at once where Exchange takes 10 a minute. Every one is accepted
    (202, no 429) and the record shows the two Exchange holds for the next minute."""
    emulator.control.set_throttle(messages_per_minute=10)
    recipients = tuple(f"reader{n}@example.com" for n in range(12))
    request = await queue_request(store, emulator, recipients=recipients)
    await make_worker(store, senders=noreply_at(60_000)).start()

    done = await wait_final(store, request.id)

    assert done.state is SendState.SENT
    assert 429 not in graph_statuses(emulator)
    held = [r for r in emulator.control.transport()["record"] if r["delivered_at"] is None]
    assert len(held) == 2
    assert len(emulator.control.external_deliveries()) == 10
