"""Compose drafts: created per user, changed only by compare-and-set."""

from __future__ import annotations

import pytest

from bot.errors import NotFound, VersionConflict
from bot.store import Store
from tests.store.helpers import Clock, draft


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


async def test_a_preview_stores_the_fields_and_its_request_together(
    store: Store, clock: Clock
) -> None:
    made = await store.create_compose(
        user_oid="oid-alice", tenant_id="t", sender_address="s@contoso.com", template="x"
    )
    request, messages = draft(clock.now)
    fields = {"to": "customer0@example.com"}
    created = await store.create_preview(made.id, 1, fields, request, messages)
    after = await store.get_compose(made.id)
    assert (after.fields, after.request_id, after.version) == (fields, created.id, 2)
    assert len(await store.list_jobs(created.id)) == 1


async def test_a_stale_preview_stores_neither_the_fields_nor_a_request(
    store: Store, clock: Clock
) -> None:
    made = await store.create_compose(
        user_oid="oid-alice", tenant_id="t", sender_address="s@contoso.com", template="x"
    )
    await store.update_compose(made.id, 1, fields={"to": "a@contoso.com"})
    request, messages = draft(clock.now)
    with pytest.raises(VersionConflict):
        await store.create_preview(made.id, 1, {"to": "b@contoso.com"}, request, messages)
    after = await store.get_compose(made.id)
    assert (after.fields, after.request_id) == ({"to": "a@contoso.com"}, None)
    with pytest.raises(NotFound):
        await store.get_request(request.id)


async def test_an_unknown_draft_is_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        await store.get_compose("nope")


async def _draft_with_template(store: Store, user: str, template: str | None = "x") -> str:
    draft = await store.create_compose(
        user_oid=user, tenant_id="t", sender_address="s@contoso.com", template=template
    )
    return draft.id


async def test_open_drafts_are_the_users_unfinished_ones_last_changed_first(
    store: Store, clock: Clock
) -> None:
    older = await _draft_with_template(store, "u1")
    newer = await _draft_with_template(store, "u1")
    clock.advance(1)  # the store's clock is the test's: the change comes a second later
    await store.update_compose(newer, 1, fields={"to": "a@contoso.com"})
    await _draft_with_template(store, "u1", template=None)  # only a sender picked: nothing yet
    await _draft_with_template(store, "u2")
    assert [d.id for d in await store.open_drafts("u1")] == [newer, older]
    assert [d.id for d in await store.open_drafts("u1", limit=1)] == [newer]


async def test_a_discarded_draft_is_not_open_and_only_its_owner_discards_it(store: Store) -> None:
    draft = await _draft_with_template(store, "u1")
    with pytest.raises(NotFound):
        await store.discard_compose(draft, "u2")
    assert [d.id for d in await store.open_drafts("u1")] == [draft]
    discarded = await store.discard_compose(draft, "u1")
    assert discarded.discarded_at is not None
    assert await store.open_drafts("u1") == []
