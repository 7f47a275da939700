"""The outbox: jobs claimed under leases, never by two workers, reclaimed after a crash
with a flag that says "reconcile before you resend"."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.domain.send_request import SendState
from bot.errors import IllegalTransition, VersionConflict
from bot.store import ClaimedJob, JobState, PacingPolicy, Store
from tests.store.conftest import OpenStore
from tests.store.helpers import Clock, draft

FAST = PacingPolicy(per_minute=6000, max_concurrent=100, burst=100)


async def queued_request(store: Store, clock: Clock, messages: int = 1) -> str:
    request, outgoing = draft(clock.now, messages=messages)
    await store.create_request(request, outgoing)
    await store.transition(request.id, 1, SendState.QUEUED)
    return request.id


async def claim_one(store: Store, worker: str, clock: Clock, lease: float = 60) -> ClaimedJob:
    claimed = await store.claim_due_jobs(worker, 1, lease, clock.now)
    assert len(claimed) == 1
    return claimed[0]


async def test_held_jobs_are_not_claimable(store: Store, clock: Clock) -> None:
    request, outgoing = draft(clock.now)
    await store.create_request(request, outgoing)

    assert await store.claim_due_jobs("w1", 10, 60, clock.now) == []


async def test_a_due_job_is_claimed_with_a_lease(store: Store, clock: Clock) -> None:
    request_id = await queued_request(store, clock)

    claimed = await claim_one(store, "w1", clock)

    assert claimed.job.request_id == request_id
    assert claimed.lease.owner == "w1"
    assert claimed.lease.expires_at == clock.now + timedelta(seconds=60)
    assert not claimed.needs_reconcile
    assert claimed.reclaimed_from is None
    assert await store.claim_due_jobs("w2", 10, 60, clock.now) == []


async def test_a_job_due_later_waits(store: Store, clock: Clock) -> None:
    await queued_request(store, clock)
    claimed = await claim_one(store, "w1", clock)
    await store.release_job(claimed.lease, due_at=clock.now + timedelta(seconds=30))

    assert await store.claim_due_jobs("w1", 10, 60, clock.now) == []
    clock.advance(30)
    assert len(await store.claim_due_jobs("w1", 10, 60, clock.now)) == 1


async def test_two_concurrent_claimers_never_get_the_same_job(
    open_another: OpenStore, clock: Clock
) -> None:
    first, second = await open_another(), await open_another()
    for _ in range(5):
        await queued_request(first, clock)

        results = await asyncio.gather(
            first.claim_due_jobs("w1", 1, 60, clock.now),
            second.claim_due_jobs("w2", 1, 60, clock.now),
        )

        assert sum(len(r) for r in results) == 1

    request_id = await queued_request(first, clock, messages=30)
    batches = await asyncio.gather(
        *(
            store.claim_due_jobs(f"w{i}", 4, 60, clock.now)
            for i in range(8)
            for store in (first, second)
        )
    )
    claimed_ids = [c.job.id for batch in batches for c in batch]
    assert len(claimed_ids) == len(set(claimed_ids)) == 30
    assert {j.id for j in await first.list_jobs(request_id)} == set(claimed_ids)


async def test_a_crashed_senders_job_is_reclaimed_flagged_for_reconciliation(
    store: Store, clock: Clock
) -> None:
    await queued_request(store, clock)
    dead = await claim_one(store, "w-dead", clock, lease=30)
    slot = await store.acquire_send_slot(dead.lease, FAST, 30, clock.now)
    assert slot.granted
    assert slot.job.state is JobState.SENDING
    clock.advance(29)
    assert await store.claim_due_jobs("w-alive", 10, 30, clock.now) == []

    clock.advance(2)
    reclaimed = await claim_one(store, "w-alive", clock)

    assert reclaimed.needs_reconcile
    assert reclaimed.reclaimed_from == "w-dead"
    assert reclaimed.job.state is JobState.SENDING
    assert reclaimed.job.attempts == 1
    with pytest.raises(VersionConflict):
        await store.record_sent(dead.lease, "graph-req-late")
    found = await store.record_sent(reclaimed.lease, None)
    assert found.state is JobState.SENT


async def test_a_job_whose_worker_died_before_sending_is_reclaimed_without_reconciling(
    store: Store, clock: Clock
) -> None:
    await queued_request(store, clock)
    await claim_one(store, "w-dead", clock, lease=30)
    clock.advance(31)

    reclaimed = await claim_one(store, "w-alive", clock)

    assert not reclaimed.needs_reconcile
    assert reclaimed.reclaimed_from == "w-dead"


async def test_a_maybe_sent_job_comes_back_for_reconciliation(store: Store, clock: Clock) -> None:
    await queued_request(store, clock)
    claimed = await claim_one(store, "w1", clock)
    await store.acquire_send_slot(claimed.lease, FAST, 60, clock.now)
    await store.record_maybe_sent(claimed.lease, clock.now + timedelta(minutes=2), "ReadTimeout")
    clock.advance(60)
    assert await store.claim_due_jobs("w2", 10, 60, clock.now) == []

    clock.advance(60)
    again = await claim_one(store, "w2", clock)

    assert again.needs_reconcile
    assert again.job.state is JobState.MAYBE_SENT
    assert again.job.error_code == "ReadTimeout"


async def test_outcomes_end_the_lease_and_move_the_counts(store: Store, clock: Clock) -> None:
    request_id = await queued_request(store, clock, messages=3)
    jobs = await store.claim_due_jobs("w1", 3, 60, clock.now)
    for claimed in jobs:
        assert (await store.acquire_send_slot(claimed.lease, FAST, 60, clock.now)).granted

    await store.record_sent(jobs[0].lease, "graph-1")
    await store.record_failed(jobs[1].lease, "ErrorSendAsDenied", "send_as_denied")
    await store.record_retry(jobs[2].lease, clock.now + timedelta(seconds=10), "429")
    counts = await store.job_counts(request_id)

    assert (counts.total, counts.sent, counts.failed, counts.queued, counts.open) == (3, 1, 1, 1, 1)
    sent = await store.get_job(jobs[0].job.id)
    assert (sent.state, sent.graph_request_id, sent.sent_at) == (
        JobState.SENT,
        "graph-1",
        clock.now,
    )
    assert sent.lease_owner is None
    assert await store.find_job(sent.mailroom_id) == sent
    failed = await store.list_jobs(request_id, [JobState.FAILED])
    assert [(j.error_code, j.error_key) for j in failed] == [
        ("ErrorSendAsDenied", "send_as_denied")
    ]
    with pytest.raises(VersionConflict):
        await store.record_sent(jobs[0].lease, "graph-again")


async def test_retry_failed_requeues_only_the_failed_messages(store: Store, clock: Clock) -> None:
    request_id = await queued_request(store, clock, messages=2)
    first, second = await store.claim_due_jobs("w1", 2, 60, clock.now)
    for claimed in (first, second):
        await store.acquire_send_slot(claimed.lease, FAST, 60, clock.now)
    await store.record_sent(first.lease, "graph-1")
    await store.record_failed(second.lease, "ServiceUnavailable")
    request = await store.transition(request_id, 2, SendState.SENDING)
    request = await store.transition(request_id, request.version, SendState.FAILED)

    await store.transition(request_id, request.version, SendState.QUEUED)

    assert [j.state for j in await store.list_jobs(request_id)] == [
        JobState.SENT,
        JobState.QUEUED,
    ]
    retried = (await store.claim_due_jobs("w1", 5, 60, clock.now))[0]
    assert retried.job.id == second.job.id
    assert retried.job.attempts == 0


async def test_an_approved_request_refused_before_queueing_fails_its_held_messages(
    store: Store, clock: Clock
) -> None:
    """Approved, then refused on a fresh re-decision: nothing is claimable, every message
    carries the reason, and "Retry failed" queues them again."""
    request, outgoing = draft(clock.now, messages=2)
    await store.create_request(request, outgoing)
    moved = await store.transition(request.id, 1, SendState.PENDING_APPROVAL)
    moved = await store.transition(request.id, moved.version, SendState.APPROVED)

    failed = await store.transition(
        request.id, moved.version, SendState.FAILED,
        error_code="RefusedAtApproval", error_key="missing_send_as",
    )  # fmt: skip

    jobs = await store.list_jobs(request.id)
    assert failed.error_key == "missing_send_as"
    assert {(j.state, j.error_code, j.error_key) for j in jobs} == {
        (JobState.FAILED, "RefusedAtApproval", "missing_send_as")
    }
    assert await store.claim_due_jobs("w1", 5, 60, clock.now) == []
    await store.transition(request.id, failed.version, SendState.QUEUED)
    assert len(await store.claim_due_jobs("w1", 5, 60, clock.now)) == 2


async def test_cancelling_a_request_fences_off_a_worker_holding_its_job(
    store: Store, clock: Clock
) -> None:
    request_id = await queued_request(store, clock)
    claimed = await claim_one(store, "w1", clock)

    await store.transition(request_id, 2, SendState.CANCELLED)

    with pytest.raises(VersionConflict):
        await store.acquire_send_slot(claimed.lease, FAST, 60, clock.now)
    assert (await store.get_job(claimed.job.id)).state is JobState.CANCELLED


async def test_a_sending_job_given_back_is_remembered_as_maybe_sent(
    store: Store, clock: Clock
) -> None:
    await queued_request(store, clock)
    claimed = await claim_one(store, "w1", clock)
    await store.acquire_send_slot(claimed.lease, FAST, 60, clock.now)

    released = await store.release_job(claimed.lease)

    assert released.state is JobState.MAYBE_SENT
    assert released.lease_owner is None


async def test_a_job_that_never_got_a_send_slot_cannot_be_recorded_sent(
    store: Store, clock: Clock
) -> None:
    await queued_request(store, clock)
    claimed = await claim_one(store, "w1", clock)

    with pytest.raises(IllegalTransition):
        await store.record_sent(claimed.lease, "graph-1")


async def test_a_renewed_lease_outlives_the_old_expiry(store: Store, clock: Clock) -> None:
    await queued_request(store, clock)
    claimed = await claim_one(store, "w1", clock, lease=30)
    clock.advance(20)

    renewed = await store.renew_lease(claimed.lease, 30, clock.now)
    clock.advance(20)

    assert renewed.expires_at == clock.now + timedelta(seconds=10)
    assert await store.claim_due_jobs("w2", 10, 30, clock.now) == []


async def test_a_jobs_draft_and_its_uncertainty_survive_a_reclaim(
    store: Store, clock: Clock
) -> None:
    await queued_request(store, clock)
    first = await claim_one(store, "w1", clock, lease=5)
    await store.acquire_send_slot(first.lease, FAST, 5, clock.now)
    await store.record_draft(first.lease, "AAMk=draft")
    await store.record_maybe_sent(first.lease, clock.now, "MaybeSent", send_uncertain=True)
    clock.advance(1)
    again = await claim_one(store, "w2", clock)
    await store.acquire_send_slot(again.lease, FAST, 60, clock.now)
    # a later certain answer never clears an earlier doubt, nor its first moment
    await store.record_maybe_sent(again.lease, clock.now, "ErrorItemNotFound")

    job = await store.get_job(first.job.id)

    assert again.needs_reconcile
    assert (job.draft_id, job.send_uncertain) == ("AAMk=draft", True)
    assert job.uncertain_since == clock.now - timedelta(seconds=1)


async def test_unknown_is_final_and_failed_forgets_the_draft_when_told(
    store: Store, clock: Clock
) -> None:
    unknown_id = await queued_request(store, clock)
    one = await claim_one(store, "w1", clock)
    await store.acquire_send_slot(one.lease, FAST, 60, clock.now)
    await store.record_draft(one.lease, "AAMk=one")
    await store.record_maybe_sent(one.lease, clock.now, "MaybeSent", send_uncertain=True)
    again = await claim_one(store, "w1", clock)
    await store.acquire_send_slot(again.lease, FAST, 60, clock.now)
    await store.record_unknown(again.lease, "ErrorAccessDenied")
    failed_id = await queued_request(store, clock)
    two = await claim_one(store, "w1", clock)
    await store.acquire_send_slot(two.lease, FAST, 60, clock.now)
    await store.record_draft(two.lease, "AAMk=two")
    await store.record_failed(two.lease, "ErrorInvalidRecipients", forget_draft=True)

    [unknown] = await store.list_jobs(unknown_id)
    [failed] = await store.list_jobs(failed_id)

    assert again.job.id == unknown.id
    assert (unknown.state, (await store.job_counts(unknown_id)).unknown) == (JobState.UNKNOWN, 1)
    assert (failed.state, failed.draft_id, failed.uncertain_since) == (JobState.FAILED, None, None)
    assert await store.claim_due_jobs("w1", 10, 60, clock.now + timedelta(hours=1)) == []
    with pytest.raises((IllegalTransition, VersionConflict)):
        await store.record_sent(again.lease, None)
