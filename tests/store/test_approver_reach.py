"""How each approver of a request was told, and the one reminder per request."""

from __future__ import annotations

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
