"""Per-mailbox pacing lives in the database, so every replica sees the same budget."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.send_request import SendState
from bot.store import ClaimedJob, PacingPolicy, SlotRefusal, Store
from tests.store.conftest import OpenStore
from tests.store.helpers import Clock, draft

THIRTY_A_MINUTE = PacingPolicy(per_minute=30, max_concurrent=4)


async def claim_all(store: Store, clock: Clock, messages: int, worker: str) -> list[ClaimedJob]:
    request, outgoing = draft(clock.now, messages=messages)
    await store.create_request(request, outgoing)
    await store.transition(request.id, 1, SendState.QUEUED)
    return await store.claim_due_jobs(worker, messages, 300, clock.now)


async def test_two_store_instances_share_one_mailbox_rate(
    open_another: OpenStore, clock: Clock
) -> None:
    replica_a, replica_b = await open_another(), await open_another()
    job_a, job_b = await claim_all(replica_a, clock, 2, "w-a")

    granted = await replica_a.acquire_send_slot(job_a.lease, THIRTY_A_MINUTE, 300, clock.now)
    refused = await replica_b.acquire_send_slot(job_b.lease, THIRTY_A_MINUTE, 300, clock.now)

    assert granted.granted
    assert not refused.granted
    assert refused.refusal is SlotRefusal.RATE
    assert refused.not_before == clock.now + timedelta(seconds=2)
    clock.advance(2)
    later = await replica_b.acquire_send_slot(job_b.lease, THIRTY_A_MINUTE, 300, clock.now)
    assert later.granted


async def test_mailboxes_are_paced_separately(store: Store, clock: Clock) -> None:
    (support,) = await claim_all(store, clock, 1, "w1")
    request, outgoing = draft(clock.now, sender="hr@contoso.com")
    await store.create_request(request, outgoing)
    await store.transition(request.id, 1, SendState.QUEUED)
    (hr,) = await store.claim_due_jobs("w1", 1, 300, clock.now)

    assert (await store.acquire_send_slot(support.lease, THIRTY_A_MINUTE, 300, clock.now)).granted
    assert (await store.acquire_send_slot(hr.lease, THIRTY_A_MINUTE, 300, clock.now)).granted


async def test_a_burst_may_go_out_back_to_back(store: Store, clock: Clock) -> None:
    policy = PacingPolicy(per_minute=30, max_concurrent=10, burst=3)
    jobs = await claim_all(store, clock, 4, "w1")

    decisions = [await store.acquire_send_slot(j.lease, policy, 300, clock.now) for j in jobs]

    assert [d.granted for d in decisions] == [True, True, True, False]


async def test_at_most_max_concurrent_sends_are_in_flight(
    open_another: OpenStore, clock: Clock
) -> None:
    replica_a, replica_b = await open_another(), await open_another()
    policy = PacingPolicy(per_minute=6000, max_concurrent=2, burst=10)
    jobs = await claim_all(replica_a, clock, 3, "w-a")
    for claimed in jobs[:2]:
        assert (await replica_a.acquire_send_slot(claimed.lease, policy, 300, clock.now)).granted
    clock.advance(1)

    refused = await replica_b.acquire_send_slot(jobs[2].lease, policy, 300, clock.now)
    await replica_a.record_sent(jobs[0].lease, "graph-1")
    granted = await replica_b.acquire_send_slot(jobs[2].lease, policy, 300, clock.now)

    assert refused.refusal is SlotRefusal.CONCURRENCY
    assert granted.granted
    assert (await replica_b.pacing_state("Support@contoso.com", clock.now)).in_flight == 2


async def test_a_dead_workers_slot_frees_when_its_lease_expires(store: Store, clock: Clock) -> None:
    policy = PacingPolicy(per_minute=6000, max_concurrent=1)
    dead, alive = await claim_all(store, clock, 2, "w1")
    await store.acquire_send_slot(dead.lease, policy, 30, clock.now)
    clock.advance(31)
    alive_lease = await store.renew_lease(alive.lease, 300, clock.now)

    decision = await store.acquire_send_slot(alive_lease, policy, 300, clock.now)

    assert decision.granted


async def test_retry_after_from_one_replica_holds_back_the_other(
    open_another: OpenStore, clock: Clock
) -> None:
    replica_a, replica_b = await open_another(), await open_another()
    (job,) = await claim_all(replica_b, clock, 1, "w-b")
    until = clock.now + timedelta(seconds=45)

    await replica_a.block_mailbox("SUPPORT@contoso.com", until)
    await replica_a.block_mailbox("support@contoso.com", clock.now + timedelta(seconds=5))
    refused = await replica_b.acquire_send_slot(job.lease, THIRTY_A_MINUTE, 300, clock.now)
    clock.advance(45)
    granted = await replica_b.acquire_send_slot(job.lease, THIRTY_A_MINUTE, 300, clock.now)

    assert (refused.refusal, refused.not_before) == (SlotRefusal.RETRY_AFTER, until)
    assert granted.granted


async def test_replicas_share_the_mailboxs_recipients_per_day(
    open_another: OpenStore, clock: Clock
) -> None:
    """Each message of the draft has two recipients (To and Cc); five a day fit two."""
    replica_a, replica_b = await open_another(), await open_another()
    policy = PacingPolicy(per_minute=6000, max_concurrent=10, burst=10, recipients_per_day=5)
    first, second, third = await claim_all(replica_a, clock, 3, "w-a")
    assert (await replica_a.acquire_send_slot(first.lease, policy, 300, clock.now)).granted
    clock.advance(3600)
    assert (await replica_a.acquire_send_slot(second.lease, policy, 300, clock.now)).granted

    refused = await replica_b.acquire_send_slot(third.lease, policy, 300, clock.now)

    assert not refused.granted
    assert refused.refusal is SlotRefusal.RECIPIENT_QUOTA
    assert refused.not_before == clock.now - timedelta(seconds=3600) + timedelta(hours=24)
    counted = await replica_b.recipients_counted("support@contoso.com", clock.now)
    assert [n for _at, n in counted] == [2, 2]
    clock.advance(23 * 3600)
    assert (await replica_b.acquire_send_slot(third.lease, policy, 300, clock.now)).granted
    assert [n for _at, n in await replica_a.recipients_counted("support@contoso.com", clock.now)
            ] == [2, 2]  # fmt: skip


async def test_a_job_tried_again_is_counted_once(store: Store, clock: Clock) -> None:
    policy = PacingPolicy(per_minute=6000, max_concurrent=10, burst=10, recipients_per_day=3)
    (job,) = await claim_all(store, clock, 1, "w1")
    assert (await store.acquire_send_slot(job.lease, policy, 300, clock.now)).granted
    await store.record_retry(job.lease, clock.now, "ServerBusy")
    (again,) = await store.claim_due_jobs("w1", 1, 300, clock.now)

    assert (await store.acquire_send_slot(again.lease, policy, 300, clock.now)).granted
    assert [n for _at, n in await store.recipients_counted("support@contoso.com", clock.now)] == [2]


async def test_a_message_with_more_recipients_than_a_day_allows_never_gets_a_slot(
    store: Store, clock: Clock
) -> None:
    policy = PacingPolicy(per_minute=6000, max_concurrent=10, recipients_per_day=1)
    (job,) = await claim_all(store, clock, 1, "w1")

    refused = await store.acquire_send_slot(job.lease, policy, 300, clock.now)

    assert refused.refusal is SlotRefusal.RECIPIENT_QUOTA
    assert refused.not_before is None
