"""Send requests: stored byte for byte, moved only by compare-and-set along legal edges."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.domain.send_request import SendState, content_hash
from bot.errors import IllegalTransition, NotFound, VersionConflict
from bot.store import ApprovalDecision, JobState, Store
from tests.store.conftest import OpenStore
from tests.store.helpers import Clock, draft


async def test_a_stored_draft_reads_back_byte_for_byte(store: Store, clock: Clock) -> None:
    request, messages = draft(clock.now)

    await store.create_request(request, messages)
    stored = await store.get_request(request.id)

    assert stored == request
    assert stored.content == messages[0].content
    assert stored.content is not None
    assert stored.content_hash == content_hash(
        stored.content.subject, stored.content.html, stored.content.text
    )
    assert stored.sender_address == "support@contoso.com"


async def test_a_bulk_request_stores_one_held_job_per_message(store: Store, clock: Clock) -> None:
    request, messages = draft(clock.now, messages=3)

    stored = await store.create_request(request, messages)
    jobs = await store.list_jobs(request.id)

    assert stored.is_bulk
    assert stored.message_count == 3
    assert [job.state for job in jobs] == [JobState.HELD] * 3
    assert [job.content for job in jobs] == [m.content for m in messages]
    assert [job.recipients for job in jobs] == [m.recipients for m in messages]
    assert len({job.mailroom_id for job in jobs}) == 3


async def test_a_transition_moves_the_state_and_bumps_the_version(
    store: Store, clock: Clock
) -> None:
    request, messages = draft(clock.now)
    await store.create_request(request, messages)
    clock.advance(5)

    moved = await store.transition(
        request.id, 1, SendState.PENDING_APPROVAL, decision_reasons=("approval_rule:blast",)
    )

    assert moved.state is SendState.PENDING_APPROVAL
    assert moved.version == 2
    assert moved.updated_at == clock.now
    assert moved.decision_reasons == ("approval_rule:blast",)
    assert await store.get_request(request.id) == moved


async def test_a_transition_from_a_stale_version_loses(store: Store, clock: Clock) -> None:
    request, messages = draft(clock.now)
    await store.create_request(request, messages)
    await store.transition(request.id, 1, SendState.QUEUED)

    with pytest.raises(VersionConflict) as lost:
        await store.transition(request.id, 1, SendState.CANCELLED)

    assert lost.value.expected == 1
    assert (await store.get_request(request.id)).state is SendState.QUEUED


async def test_two_concurrent_transitions_from_one_version_exactly_one_wins(
    open_another: OpenStore, clock: Clock
) -> None:
    first, second = await open_another(), await open_another()
    for _ in range(5):
        request, messages = draft(clock.now)
        await first.create_request(request, messages)

        results = await asyncio.gather(
            first.transition(request.id, 1, SendState.QUEUED),
            second.transition(request.id, 1, SendState.CANCELLED),
            return_exceptions=True,
        )

        winners = [r for r in results if not isinstance(r, BaseException)]
        losers = [r for r in results if isinstance(r, BaseException)]
        assert len(winners) == 1
        assert len(losers) == 1
        assert isinstance(losers[0], VersionConflict)
        final = await first.get_request(request.id)
        assert final.version == 2
        assert final.state is winners[0].state


async def test_an_illegal_transition_is_refused_and_changes_nothing(
    store: Store, clock: Clock
) -> None:
    request, messages = draft(clock.now)
    await store.create_request(request, messages)

    with pytest.raises(IllegalTransition) as refused:
        await store.transition(request.id, 1, SendState.SENT)

    assert (refused.value.current, refused.value.requested) == ("draft", "sent")
    assert await store.get_request(request.id) == request


async def test_a_transition_of_an_unknown_request_is_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        await store.transition("no-such-request", 1, SendState.QUEUED)


async def test_queueing_releases_held_jobs_and_cancelling_cancels_them(
    store: Store, clock: Clock
) -> None:
    queued, queued_messages = draft(clock.now, messages=2)
    cancelled, cancelled_messages = draft(clock.now, messages=2)
    await store.create_request(queued, queued_messages)
    await store.create_request(cancelled, cancelled_messages)

    await store.transition(queued.id, 1, SendState.QUEUED)
    await store.transition(cancelled.id, 1, SendState.CANCELLED)

    assert {j.state for j in await store.list_jobs(queued.id)} == {JobState.QUEUED}
    assert {j.due_at for j in await store.list_jobs(queued.id)} == {clock.now}
    assert {j.state for j in await store.list_jobs(cancelled.id)} == {JobState.CANCELLED}


async def test_the_first_approval_decision_wins(open_another: OpenStore, clock: Clock) -> None:
    first, second = await open_another(), await open_another()
    request, messages = draft(clock.now)
    await first.create_request(request, messages)
    await first.transition(request.id, 1, SendState.PENDING_APPROVAL)

    outcomes = await asyncio.gather(
        first.decide_approval(request.id, "oid-bob", ApprovalDecision.APPROVED, "ok"),
        second.decide_approval(request.id, "oid-carol", ApprovalDecision.REJECTED, "no"),
    )

    won = [o for o in outcomes if o.won]
    assert len(won) == 1
    winner = won[0].approval
    assert all(o.approval == winner for o in outcomes)
    final = await first.get_request(request.id)
    expected = (
        SendState.APPROVED if winner.decision is ApprovalDecision.APPROVED else (SendState.REJECTED)
    )
    assert final.state is expected
    assert final.version == 3
    assert final.decided_by == winner.approver_oid
    assert await first.get_approval(request.id) == winner


async def test_deciding_a_request_that_awaits_no_approval_is_refused(
    store: Store, clock: Clock
) -> None:
    request, messages = draft(clock.now)
    await store.create_request(request, messages)

    with pytest.raises(IllegalTransition):
        await store.decide_approval(request.id, "oid-bob", ApprovalDecision.APPROVED)

    assert await store.get_approval(request.id) is None


async def test_requests_past_their_expiry_are_listed_for_expiring(
    store: Store, clock: Clock
) -> None:
    stale, stale_messages = draft(clock.now, expires_at=clock.now + timedelta(hours=1))
    fresh, fresh_messages = draft(clock.now, expires_at=clock.now + timedelta(hours=3))
    await store.create_request(stale, stale_messages)
    await store.create_request(fresh, fresh_messages)
    await store.transition(stale.id, 1, SendState.PENDING_APPROVAL)

    due = await store.due_expirations(clock.now + timedelta(hours=2))

    assert [r.id for r in due] == [stale.id]


async def test_history_lists_a_requesters_requests_newest_first(store: Store, clock: Clock) -> None:
    ids = []
    for _ in range(3):
        request, messages = draft(clock.now)
        await store.create_request(request, messages)
        ids.append(request.id)
        clock.advance(60)
    other, other_messages = draft(clock.now, requester_oid="oid-zed")
    await store.create_request(other, other_messages)
    await store.transition(ids[0], 1, SendState.QUEUED)

    history = await store.list_requests(requester_oid="oid-alice", limit=2)
    queued = await store.list_requests(states=[SendState.QUEUED])

    assert [r.id for r in history] == [ids[2], ids[1]]
    assert [r.id for r in queued] == [ids[0]]
