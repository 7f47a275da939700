"""Conversation references and posted cards, so a worker can update a card in place."""

from __future__ import annotations

import pytest

from bot.domain.send_request import JsonValue
from bot.errors import NotFound
from bot.store import CardRef, CardRole, Store
from tests.store.helpers import Clock, draft

REFERENCE: dict[str, JsonValue] = {
    "conversation": {"id": "a:1Xyz", "conversationType": "personal"},
    "serviceUrl": "https://127.0.0.1:8443/connector/",
    "user": {"id": "29:abc", "aadObjectId": "oid-alice"},
}


async def test_a_users_reference_is_upserted_and_unblocked_when_they_come_back(
    store: Store, clock: Clock
) -> None:
    await store.save_conversation_ref("oid-alice", REFERENCE)
    await store.mark_user_unreachable("oid-alice", "MessageWritesBlocked")
    blocked = await store.get_conversation_ref("oid-alice")
    clock.advance(60)

    back = await store.save_conversation_ref("oid-alice", {**REFERENCE, "locale": "en-GB"})

    assert blocked.blocked_code == "MessageWritesBlocked"
    assert back.blocked_code is None
    assert back.reference["locale"] == "en-GB"
    assert back.updated_at == clock.now
    assert await store.get_conversation_ref("oid-alice") == back


async def test_an_unknown_user_has_no_reference(store: Store) -> None:
    with pytest.raises(NotFound):
        await store.get_conversation_ref("oid-nobody")


async def test_cards_of_a_request_are_listed_with_their_update_state(
    store: Store, clock: Clock
) -> None:
    request, outgoing = draft(clock.now)
    await store.create_request(request, outgoing)
    requester = CardRef(request.id, "act-1", CardRole.REQUESTER, REFERENCE, clock.now, "oid-alice")
    approver = CardRef(request.id, "act-2", CardRole.APPROVER, REFERENCE, clock.now, "oid-bob")
    await store.save_card(requester)
    await store.save_card(approver)
    clock.advance(5)

    await store.mark_card_updated(request.id, "act-1")
    await store.mark_card_unreachable(request.id, "act-2", "BotNotInConversationRoster")
    cards = await store.list_cards(request.id)

    assert [(c.activity_id, c.role) for c in cards] == [
        ("act-1", CardRole.REQUESTER),
        ("act-2", CardRole.APPROVER),
    ]
    assert cards[0].last_updated_at == clock.now
    assert cards[0].reference == REFERENCE
    assert cards[1].blocked_code == "BotNotInConversationRoster"
    with pytest.raises(NotFound):
        await store.mark_card_updated(request.id, "act-unknown")
