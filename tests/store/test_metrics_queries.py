"""What GET /metrics reads from the database: the outbox per sender mailbox and the approvals
waiting."""

from __future__ import annotations

from bot.domain.send_request import SendState
from bot.store import Store
from tests.store.helpers import Clock, draft


async def test_only_messages_waiting_to_go_out_count_per_mailbox(
    store: Store, clock: Clock
) -> None:
    held, held_messages = draft(clock.now, messages=2, sender="held@contoso.com")
    await store.create_request(held, held_messages)
    first, first_messages = draft(clock.now, messages=3, sender="support@contoso.com")
    await store.create_request(first, first_messages)
    await store.transition(first.id, 1, SendState.QUEUED)
    clock.advance(60)
    second, second_messages = draft(clock.now, messages=1, sender="noreply@contoso.com")
    await store.create_request(second, second_messages)
    await store.transition(second.id, 1, SendState.QUEUED)

    queues = {q.mailbox: q for q in await store.outbox_queues()}

    assert set(queues) == {"support@contoso.com", "noreply@contoso.com"}  # held ones wait
    assert queues["support@contoso.com"].depth == 3
    assert queues["noreply@contoso.com"].depth == 1
    assert queues["noreply@contoso.com"].oldest - queues["support@contoso.com"].oldest == (
        clock.now - first.created_at
    )


async def test_an_empty_outbox_has_no_queues_and_no_approvals(store: Store) -> None:
    assert await store.outbox_queues() == []
    assert await store.count_waiting_approvals() == 0


async def test_approvals_waiting_counts_pending_requests_only(store: Store, clock: Clock) -> None:
    for n in range(3):
        request, messages = draft(clock.now, requester_oid=f"oid-{n}")
        await store.create_request(request, messages)
        if n < 2:
            await store.transition(request.id, 1, SendState.PENDING_APPROVAL)

    assert await store.count_waiting_approvals() == 2
