"""Which request replaced which: the draft an edit opened, carried through a preview's own
edit, and the successor named once it goes."""

from __future__ import annotations

from bot.domain.send_request import SendRequest
from bot.store import Store
from tests.store.helpers import Clock, draft


async def previewed(store: Store, clock: Clock, draft_id: str) -> SendRequest:
    """A preview made from the compose draft ``draft_id``."""
    request, messages = draft(clock.now)
    made = await store.create_request(request, messages)
    current = await store.get_compose(draft_id)
    await store.update_compose(draft_id, current.version, request_id=made.id)
    return made


async def compose(store: Store) -> str:
    made = await store.create_compose(
        user_oid="oid-alice", tenant_id="t", sender_address="support@contoso.com", template=None
    )
    return made.id


async def test_the_request_an_edit_made_replaces_the_old_one_once_it_goes(
    store: Store, clock: Clock
) -> None:
    old = await previewed(store, clock, await compose(store))
    edit = await compose(store)
    await store.note_replacement(edit, old.id)
    first_preview = await previewed(store, clock, edit)
    again = await compose(store)  # the user edits that preview once more
    await store.carry_replacement(first_preview.id, again)
    assert await store.replacement_of(old.id) is None  # nothing went yet
    new = await previewed(store, clock, again)

    assert await store.replaced(new.id) == old.id
    assert await store.replaced(new.id) is None  # once
    assert await store.replacement_of(old.id) == new.id


async def test_a_request_not_made_from_an_edit_replaces_nothing(store: Store, clock: Clock) -> None:
    plain = await previewed(store, clock, await compose(store))
    assert await store.replaced(plain.id) is None
    assert await store.replacement_of(plain.id) is None
