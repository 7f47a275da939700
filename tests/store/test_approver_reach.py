"""How each approver of a request was told, and the one reminder per request."""

from __future__ import annotations

from datetime import timedelta

from bot.store import Store
from tests.store.helpers import Clock, draft


async def test_the_latest_word_on_each_approver_counts(store: Store, clock: Clock) -> None:
    request, messages = draft(clock.now)
    await store.create_request(request, messages)
    await store.record_reach(request.id, "OID-Megan", "unreachable")
    await store.record_reach(request.id, "oid-diego", "email")
    await store.record_reach(request.id, "oid-megan", "installed")
    assert await store.list_reach(request.id) == {"oid-megan": "installed", "oid-diego": "email"}


async def test_a_request_is_reminded_once_whoever_asks(store: Store, clock: Clock) -> None:
    request, messages = draft(clock.now)
    await store.create_request(request, messages)
    assert await store.claim_reminder(request.id) is True
    assert await store.claim_reminder(request.id) is False


async def test_a_stale_pending_approver_is_taken_over_once_and_only_while_pending(
    store: Store, clock: Clock
) -> None:
    request, messages = draft(clock.now)
    await store.create_request(request, messages)
    stored = clock.now
    await store.record_reach(request.id, "oid-megan", "pending")
    await store.record_reach(request.id, "oid-diego", "pending")
    clock.advance(300)
    earlier = stored - timedelta(seconds=1)  # fresh: whoever stored it may be telling them
    assert await store.claim_reach(request.id, "oid-diego", stale_before=earlier) is False
    assert await store.claim_reach(request.id, "oid-diego", stale_before=stored) is True
    clock.advance(1)
    # The claim is fresh in turn: the other replica looking at the same moment loses.
    assert await store.claim_reach(request.id, "OID-Diego", stale_before=stored) is False
    await store.record_reach(request.id, "oid-megan", "chat")  # told: nothing to take over
    assert await store.claim_reach(request.id, "oid-megan", stale_before=clock.now) is False
    assert await store.list_reach(request.id) == {"oid-megan": "chat", "oid-diego": "pending"}
