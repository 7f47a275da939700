"""Every kind of fault the emulator can inject, on the wire of a bulk send, on both store
backends: each message reaches its recipient exactly once — none lost, none twice.

tests/outbox/test_exactly_once.py proves the mechanisms one at a time (a lost answer is
reconciled, throttling is paced, racing workers); this is the matrix, and it counts.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from bot.domain.send_request import SendState
from bot.netclient import Timeouts
from bot.outbox import Worker
from bot.store import Store
from emulator.testing import RunningEmulator
from tests.clients.conftest import live_http, msal_tokens
from tests.outbox.conftest import clock, graph, make_worker
from tests.outbox.helpers import fast_config, mailroom_ids, queue_request, wait_final
from tests.reliability.figures import Figures
from tests.store.conftest import database_url, open_another, store

__all__ = ["clock", "database_url", "graph", "live_http", "make_worker", "msal_tokens",
           "open_another", "store"]  # fmt: skip

MakeWorker = Callable[..., Worker]
RECIPIENTS = tuple(f"customer{n}@fabrikam.com" for n in range(6))


@dataclass(frozen=True)
class WireFault:
    name: str
    method: str
    path: str
    kind: str
    count: int = 3
    status: int | None = None
    delay: float | None = None
    retry_after: float | None = None


SEND = "*/messages/*/send"
TOKEN = "/*/oauth2/v2.0/token"
FAULTS = [
    WireFault("graph busy (503)", "POST", SEND, "error", status=503, retry_after=0.1),
    WireFault("graph 500", "POST", SEND, "error", status=500),
    WireFault("graph throttled (429)", "POST", SEND, "throttle", retry_after=0.1),
    WireFault("graph slow past the deadline", "POST", SEND, "delay", count=2, delay=1.2),
    WireFault("graph answer lost after delivery", "POST", SEND, "drop_after_accept"),
    WireFault("graph reset before delivery", "POST", SEND, "drop_before_accept"),
    WireFault("graph connection refused", "*", "*", "close_before_read", count=2),
    WireFault("entra down", "POST", TOKEN, "error", count=2, status=503, retry_after=1),
    WireFault("entra slow past the deadline", "POST", TOKEN, "delay", count=1, delay=1.2),
]

# Short deadlines: a call slower than 0.6 s is "maybe sent" and must be reconciled. The
# worker looks for it 1.5 s later: longer than the slowest server here (1.2 s) takes to
# finish a request the client gave up on. That is the invariant exactly-once rests on —
# send timeout + reconcile delay must outlast the server (production: 45 s + 30 s); with a
# reconcile delay of 0.1 s this very matrix delivers the slow messages twice.
# Retries back off from 0.25 s to 1 s: eight attempts outlast an outage of a few seconds —
# and msal's own throttling, which replays a token endpoint's 5xx for its Retry-After.
CONFIG = {
    "send_timeouts": Timeouts(connect=0.5, read=0.6, total=1.0),
    "max_in_flight": 3,
    "reconcile_delay": 1.5,
    "retry_base_delay": 0.25,
    "retry_max_delay": 1.0,
}


@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
async def test_a_bulk_send_through_a_fault_delivers_each_message_exactly_once(
    emulator: RunningEmulator,
    store: Store,
    make_worker: MakeWorker,
    figures: Figures,
    fault: WireFault,
) -> None:
    emulator.control.set_message_rate(6000)
    request = await queue_request(store, emulator, recipients=RECIPIENTS)
    emulator.control.add_fault(
        fault.method, fault.path, fault.kind, count=fault.count, status=fault.status,
        delay=fault.delay, retry_after=fault.retry_after,
    )  # fmt: skip
    figures.fault(f"outbox: {fault.name}", fault.count)
    await make_worker(store, config=fast_config(**CONFIG)).start()

    done = await wait_final(store, request.id, within=30)
    if fault.delay:  # a request the client gave up on may still land: count it too
        await asyncio.sleep(fault.delay + 0.3)

    jobs = {job.mailroom_id: job for job in await store.list_jobs(request.id)}
    delivered = Counter(
        mailroom_ids([d["message"] for d in emulator.control.external_deliveries()])
    )
    lost = sum(1 for mid in jobs if delivered[mid] == 0)
    twice = sum(n - 1 for n in delivered.values() if n > 1)
    figures.mail(queued=len(jobs), delivered=sum(delivered.values()), lost=lost, duplicates=twice)
    assert done.state is SendState.SENT, [j.error_code for j in jobs.values()]
    assert (lost, twice) == (0, 0)
    assert set(delivered) == set(jobs)
