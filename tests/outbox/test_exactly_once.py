"""Nothing twice, nothing lost: racing workers, answers lost after Graph took the message,
throttling, a worker stopped mid-call — each message reaches its recipient exactly once."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable

import pytest

from bot.domain.send_request import SenderKind, SendMode, SendState
from bot.identity import GRAPH_RESOURCE, MsalTokenProvider
from bot.netclient import Timeouts
from bot.outbox import Worker
from bot.store import JobState, Store, utc_now
from emulator.testing import RunningEmulator
from tests.outbox.helpers import (
    ADELE,
    DIEGO,
    MEGAN,
    NOREPLY,
    SEND,
    SUPPORT,
    fast_config,
    lookups,
    mailroom_ids,
    oid_of,
    queue_request,
    send_calls,
    wait_final,
)
from tests.store.conftest import OpenStore

MakeWorker = Callable[..., Worker]


async def test_two_workers_racing_for_one_job_send_it_once(
    emulator: RunningEmulator, open_another: OpenStore, make_worker: MakeWorker
) -> None:
    first, second = await open_another(), await open_another()
    request = await queue_request(first, emulator, recipients=(MEGAN,))
    workers = [
        make_worker(first, config=fast_config(worker_id="worker-a")),
        make_worker(second, config=fast_config(worker_id="worker-b")),
    ]
    await asyncio.gather(*(w.start() for w in workers))

    done = await wait_final(first, request.id)

    assert done.state is SendState.SENT
    assert len(send_calls(emulator)) == 1
    assert len(emulator.control.mailbox(MEGAN, "inbox")) == 1
    assert len(await first.query_audit()) == 1


@pytest.mark.parametrize("delegated", [False, True], ids=["noreply-app", "send-as-delegated"])
async def test_an_answer_lost_after_graph_took_the_message_is_reconciled_not_resent(
    emulator: RunningEmulator,
    store: Store,
    make_worker: MakeWorker,
    msal_tokens: MsalTokenProvider,
    delegated: bool,
) -> None:
    if delegated:
        sso = emulator.control.mint_user_token(ADELE)
        await msal_tokens.user_token(oid_of(emulator, ADELE), sso, GRAPH_RESOURCE)
        request = await queue_request(
            store,
            emulator,
            sender=SUPPORT,
            kind=SenderKind.SEND_AS,
            mode=SendMode.DELEGATED,
            recipients=(DIEGO,),
        )
    else:
        request = await queue_request(store, emulator, recipients=(DIEGO,))
    emulator.control.add_fault("POST", SEND, "drop_after_accept")
    await make_worker(store).start()

    done = await wait_final(store, request.id)

    assert done.state is SendState.SENT
    [call] = send_calls(emulator)
    assert call["fault"] == "drop_after_accept"
    [job] = await store.list_jobs(request.id)
    assert job.state is JobState.SENT
    assert mailroom_ids(emulator.control.mailbox(DIEGO, "inbox")) == [job.mailroom_id]
    [lookup] = lookups(emulator)
    if delegated:  # the draft and the copy are in the user's own mailbox: her own token
        assert (lookup["path"], lookup["oid"]) == ("/v1.0/me/messages", oid_of(emulator, ADELE))
    else:
        assert lookup["path"] == f"/v1.0/users/{NOREPLY}/messages"
    [row] = await store.query_audit()
    assert (row.outcome, row.mailroom_id) == ("sent", job.mailroom_id)


async def test_a_send_accepted_after_the_client_gave_up_and_sent_again_goes_out_once(
    emulator: RunningEmulator, store: Store, make_worker: MakeWorker
) -> None:
    """The race that defeats a timing guess: the first send is accepted after the client's
    deadline *and* after Mailroom looked and sent the same draft again. Exchange takes the
    draft once: whichever send comes second is refused."""
    emulator.control.set_move_delay(0.3)
    emulator.control.add_fault("POST", SEND, "delay", delay=1.5)
    request = await queue_request(store, emulator, recipients=(DIEGO,))
    short = fast_config(send_timeouts=Timeouts(connect=0.5, read=0.5, total=0.6))
    await make_worker(store, config=short).start()

    done = await wait_final(store, request.id)
    async with asyncio.timeout(10):  # the held-back first send answers at last
        while len(send_calls(emulator)) < 2:
            await asyncio.sleep(0.05)
    emulator.control.transport(wait=5)

    assert done.state is SendState.SENT
    late, again = sorted(send_calls(emulator), key=lambda e: e["fault"] != "delay")
    assert (late["fault"], late["status"], again["status"]) == ("delay", 404, 202)
    [job] = await store.list_jobs(request.id)
    assert [r["item_id"] for r in emulator.control.transport()["record"]] == [job.draft_id]
    assert mailroom_ids(emulator.control.mailbox(DIEGO, "inbox")) == [job.mailroom_id]


async def test_throttling_and_busy_answers_are_retried_and_the_message_sent_once(
    emulator: RunningEmulator, store: Store, make_worker: MakeWorker
) -> None:
    request = await queue_request(store, emulator, recipients=(MEGAN,))
    emulator.control.add_fault("POST", SEND, "throttle", count=2, retry_after=0.2)
    emulator.control.add_fault("POST", SEND, "error", status=503, count=1)
    await make_worker(store).start()

    done = await wait_final(store, request.id)

    assert done.state is SendState.SENT
    assert [c["status"] for c in send_calls(emulator)] == [429, 429, 503, 202]
    assert len(emulator.control.mailbox(MEGAN, "inbox")) == 1
    [job] = await store.list_jobs(request.id)
    assert job.attempts == 4
    [row] = await store.query_audit()
    assert row.outcome == "sent"


async def test_a_retry_after_pauses_the_mailbox_for_every_worker(
    emulator: RunningEmulator, store: Store, make_worker: MakeWorker
) -> None:
    request = await queue_request(store, emulator, recipients=(MEGAN,))
    emulator.control.add_fault("POST", SEND, "throttle", count=1, retry_after=30)
    worker = make_worker(store)
    await worker.start()

    async with asyncio.timeout(10):
        while not send_calls(emulator):
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)

    pacing = await store.pacing_state(NOREPLY, utc_now())
    assert pacing.blocked_until is not None
    assert (pacing.blocked_until - utc_now()).total_seconds() > 20
    [job] = await store.list_jobs(request.id)
    assert (job.state, job.error_code) == (JobState.QUEUED, "TooManyRequests")
    assert len(send_calls(emulator)) == 1


async def test_two_workers_drain_one_bulk_send_with_no_duplicate_and_no_loss(
    emulator: RunningEmulator, open_another: OpenStore, make_worker: MakeWorker
) -> None:
    emulator.control.set_message_rate(6000)
    recipients = tuple(f"customer{n}@example.com" for n in range(60))
    first, second = await open_another(), await open_another()
    request = await queue_request(first, emulator, recipients=recipients)
    for name, store in (("worker-a", first), ("worker-b", second)):
        await make_worker(store, config=fast_config(worker_id=name, max_in_flight=8)).start()

    done = await wait_final(first, request.id, within=60)

    assert done.state is SendState.SENT
    delivered = Counter(d["recipient"] for d in emulator.control.external_deliveries())
    assert delivered == Counter(recipients)
    assert len(send_calls(emulator, 202)) == 60
    rows = await first.query_audit()
    assert Counter(r.mailroom_id for r in rows if r.outcome == "sent") == Counter(
        j.mailroom_id for j in await first.list_jobs(request.id)
    )


async def test_a_worker_stopped_mid_call_leaves_the_job_to_be_reconciled_not_resent(
    emulator: RunningEmulator, store: Store, make_worker: MakeWorker
) -> None:
    emulator.control.set_latency(1500, path_pattern=SEND)
    request = await queue_request(store, emulator, recipients=(MEGAN,))
    short = fast_config(
        worker_id="stopped",
        lease_seconds=3.0,
        send_timeouts=Timeouts(connect=1, read=2.5, total=2.8),
        shutdown_grace=0.2,
    )
    first = make_worker(store, config=short)
    await first.start()
    async with asyncio.timeout(10):
        while (await store.list_jobs(request.id))[0].state is not JobState.SENDING:
            await asyncio.sleep(0.02)
    await asyncio.sleep(0.3)  # the request is on the wire (the emulator waits 1.5 s to answer)
    await first.stop()  # cancels the call in flight: the job stays "sending" under its lease
    [job] = await store.list_jobs(request.id)
    assert job.state is JobState.SENDING

    emulator.control.set_latency(0, path_pattern=SEND)
    await make_worker(store, config=fast_config(worker_id="successor")).start()
    done = await wait_final(store, request.id)

    assert done.state is SendState.SENT
    assert len(send_calls(emulator)) == 1
    assert len(emulator.control.mailbox(MEGAN, "inbox")) == 1
    [row] = await store.query_audit()
    assert row.outcome == "sent"
