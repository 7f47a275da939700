"""Every kind of fault the emulator can inject, on either call of a bulk send (creating the
draft, sending it), on both store backends: each message reaches its recipient exactly once
and the request ends in a final state that tells the truth.

The worker's deadlines are short (a call slower than 1 s is "maybe") and it looks a message
up 0.1 s after an uncertain answer — far sooner than the slowest server here finishes a
request the client gave up on (1.5 s), and sooner than Exchange moves an accepted message out
of Drafts (0.5 s). The old design needed the reverse (send timeout + reconcile delay longer
than the server); sending a draft by id needs no such inequality.

tests/outbox/test_exactly_once.py proves the mechanisms one at a time; this is the matrix.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from bot.netclient import Timeouts
from bot.outbox import Worker
from bot.store import Store
from emulator.testing import RunningEmulator
from tests.clients.conftest import live_http, msal_tokens
from tests.outbox.conftest import clock, graph, make_worker
from tests.outbox.helpers import CREATE, SEND, fast_config, queue_request, wait_final
from tests.reliability.figures import Figures
from tests.reliability.outbox_truth import counted, settled
from tests.store.conftest import OpenStore, database_url, open_another, store

__all__ = ["clock", "database_url", "graph", "live_http", "make_worker", "msal_tokens",
           "open_another", "store"]  # fmt: skip

MakeWorker = Callable[..., Worker]
RECIPIENTS = tuple(f"customer{n}@fabrikam.com" for n in range(5))
TOKEN = "/*/oauth2/v2.0/token"
LOOKUP = "*/messages"
MOVE_DELAY = 0.5


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


FAULTS = [
    # sending the draft
    WireFault("send: busy (503) before accepting", "POST", SEND, "error", status=503),
    WireFault("send: busy (503) after accepting", "POST", SEND, "error_after_accept", status=503),
    WireFault("send: 500 after accepting", "POST", SEND, "error_after_accept", status=500),
    WireFault("send: throttled (429)", "POST", SEND, "throttle", retry_after=0.1),
    WireFault("send: accepted late, before the timeout", "POST", SEND, "delay", delay=0.4),
    WireFault("send: accepted late, after the timeout", "POST", SEND, "delay", delay=1.05),
    WireFault(
        "send: accepted late, after timeout + reconcile delay", "POST", SEND, "delay", delay=1.5
    ),
    WireFault("send: connection dropped after accepting", "POST", SEND, "drop_after_accept"),
    WireFault("send: connection reset before accepting", "POST", SEND, "drop_before_accept"),
    # creating the draft
    WireFault("create: accepted late, after the timeout", "POST", CREATE, "delay", delay=1.5),
    WireFault(
        "create: busy (503) after creating", "POST", CREATE, "error_after_accept", status=503
    ),
    WireFault("create: connection dropped after creating", "POST", CREATE, "drop_after_accept"),
    # looking it up, and everything else
    WireFault("lookup: busy (503)", "GET", LOOKUP, "error", count=4, status=503),
    WireFault("graph: connection refused", "*", "*", "close_before_read", count=2),
    WireFault("entra: down", "POST", TOKEN, "error", count=2, status=503, retry_after=1),
    WireFault("entra: slow past the deadline", "POST", TOKEN, "delay", count=1, delay=1.2),
]

CONFIG = {
    "send_timeouts": Timeouts(connect=0.5, read=0.6, total=1.0),
    "max_in_flight": 3,
    "reconcile_delay": 0.1,
    "reconcile_retry_delay": 0.2,
    "retry_base_delay": 0.25,
    "retry_max_delay": 1.0,
    "unknown_after": 15.0,
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
    emulator.control.set_move_delay(MOVE_DELAY)
    request = await queue_request(store, emulator, recipients=RECIPIENTS)
    if fault.path == LOOKUP:  # lookups happen after an uncertain send: provoke some
        emulator.control.add_fault("POST", SEND, "drop_after_accept", count=2)
    emulator.control.add_fault(
        fault.method, fault.path, fault.kind, count=fault.count, status=fault.status,
        delay=fault.delay, retry_after=fault.retry_after,
    )  # fmt: skip
    figures.fault(f"outbox: {fault.name}", fault.count)
    await make_worker(store, config=fast_config(**CONFIG)).start()

    done = await wait_final(store, request.id, within=30)
    await settled(emulator, fault.count if fault.kind == "delay" else 0)

    found = await counted(emulator, store, done.id, figures)
    assert found.truthful, found.problems
    assert (found.lost, found.duplicates, found.delivered) == (0, 0, len(RECIPIENTS))
    assert str(done.state) == "sent"


async def test_two_workers_through_answers_lost_after_acceptance_send_each_message_once(
    emulator: RunningEmulator, open_another: OpenStore, make_worker: MakeWorker, figures: Figures
) -> None:
    emulator.control.set_message_rate(6000)
    emulator.control.set_move_delay(MOVE_DELAY)
    first, second = await open_another(), await open_another()
    recipients = tuple(f"reader{n}@fabrikam.com" for n in range(12))
    request = await queue_request(first, emulator, recipients=recipients)
    for kind, extra in (("delay", {"delay": 1.5}), ("drop_after_accept", {}),
                        ("error_after_accept", {"status": 503})):  # fmt: skip
        emulator.control.add_fault("POST", SEND, kind, count=2, **extra)
        figures.fault(f"outbox, two workers: send {kind}", 2)
    for name, database in (("worker-a", first), ("worker-b", second)):
        await make_worker(database, config=fast_config(worker_id=name, **CONFIG)).start()

    done = await wait_final(first, request.id, within=30)
    await settled(emulator, 2)

    found = await counted(emulator, first, done.id, figures)
    assert found.truthful, found.problems
    assert (found.lost, found.duplicates, found.delivered) == (0, 0, len(recipients))
