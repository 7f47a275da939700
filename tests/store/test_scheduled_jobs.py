"""Scheduled sends in the store: a request queued with a send-later time keeps its messages
unclaimable until then — also after a retry — and remembers the time and zone."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.send_request import SendState
from bot.store import JobState, Store
from tests.store.helpers import Clock, draft


async def scheduled(store: Store, clock: Clock, minutes: float, messages: int = 2) -> str:
    request, outgoing = draft(clock.now, messages=messages)
    await store.create_request(request, outgoing)
    await store.transition(
        request.id,
        1,
        SendState.QUEUED,
        send_at=clock.now + timedelta(minutes=minutes),
        send_zone="Europe/Berlin",
    )
    return request.id


async def test_a_scheduled_request_is_not_claimed_before_its_time(
    store: Store, clock: Clock
) -> None:
    request_id = await scheduled(store, clock, minutes=2)

    assert await store.claim_due_jobs("w1", 10, 60, clock.now) == []
    clock.advance(119)
    assert await store.claim_due_jobs("w1", 10, 60, clock.now) == []
    clock.advance(1)
    claimed = await store.claim_due_jobs("w1", 10, 60, clock.now)

    assert {c.job.request_id for c in claimed} == {request_id}
    assert len(claimed) == 2


async def test_the_request_remembers_when_and_in_which_zone(store: Store, clock: Clock) -> None:
    request_id = await scheduled(store, clock, minutes=30)

    request = await store.get_request(request_id)
    jobs = await store.list_jobs(request_id)

    assert request.send_at == clock.now + timedelta(minutes=30)
    assert request.send_zone == "Europe/Berlin"
    assert {j.not_before for j in jobs} == {request.send_at}
    assert {j.state for j in jobs} == {JobState.QUEUED}


async def test_an_early_due_time_does_not_beat_the_not_before_time(
    store: Store, clock: Clock
) -> None:
    await scheduled(store, clock, minutes=10, messages=1)
    clock.advance(600)
    claimed = (await store.claim_due_jobs("w1", 1, 60, clock.now))[0]
    clock.now -= timedelta(minutes=5)  # a worker whose clock is behind hands it back early
    await store.release_job(claimed.lease, due_at=clock.now)

    assert await store.claim_due_jobs("w2", 1, 60, clock.now) == []


async def test_cancelling_before_the_time_cancels_every_message(store: Store, clock: Clock) -> None:
    request_id = await scheduled(store, clock, minutes=5)
    request = await store.get_request(request_id)

    await store.transition(request_id, request.version, SendState.CANCELLED)
    clock.advance(600)

    assert await store.claim_due_jobs("w1", 10, 60, clock.now) == []
    assert {j.state for j in await store.list_jobs(request_id)} == {JobState.CANCELLED}
