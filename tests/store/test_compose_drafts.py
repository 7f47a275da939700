"""Compose drafts: created per user, changed only by compare-and-set."""

from __future__ import annotations

import pytest

from bot.errors import NotFound, VersionConflict
from bot.store import Store


async def test_a_draft_keeps_the_users_choices(store: Store) -> None:
    draft = await store.create_compose(
        user_oid="u1", tenant_id="t", sender_address="Support@Contoso.com", template=None
    )
    assert draft.version == 1
    assert draft.sender_address == "support@contoso.com"
    chosen = await store.update_compose(draft.id, 1, template="ticket-reply")
    filled = await store.update_compose(
        draft.id, chosen.version, fields={"to": "a@contoso.com", "var_ticket_id": "42"}
    )
    again = await store.get_compose(draft.id)
    assert again == filled
    assert again.template == "ticket-reply"
    assert again.fields == {"to": "a@contoso.com", "var_ticket_id": "42"}
    assert again.version == 3


async def test_a_stale_version_loses(store: Store) -> None:
    draft = await store.create_compose(
        user_oid="u1", tenant_id="t", sender_address="s@contoso.com", template="x"
    )
    await store.update_compose(draft.id, 1, fields={"to": "a@contoso.com"})
    with pytest.raises(VersionConflict):
        await store.update_compose(draft.id, 1, fields={"to": "b@contoso.com"})
    assert (await store.get_compose(draft.id)).fields == {"to": "a@contoso.com"}


async def test_an_unknown_draft_is_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        await store.get_compose("nope")
