"""Finding requests without a "latest N" window: keyset pages by requester and by pending
sender, and lookups by the start of an id — on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace

from bot.domain.send_request import SendState
from bot.store import Store
from tests.store.helpers import Clock, draft


async def make(store: Store, clock: Clock, n: int, **kwargs: str) -> list[str]:
    """``n`` requests one minute apart, oldest first; returns their ids."""
    ids = []
    for _ in range(n):
        request, messages = draft(clock.now, **kwargs)
        await store.create_request(request, messages)
        ids.append(request.id)
        clock.advance(60)
    return ids


async def test_pages_of_a_requester_cover_every_request_once_newest_first(
    store: Store, clock: Clock
) -> None:
    mine = await make(store, clock, 7)
    await make(store, clock, 2, requester_oid="oid-zed")

    seen: list[str] = []
    page = await store.page_requests(requester_oid="oid-alice", limit=3)
    sizes = [len(page.requests)]
    seen += [r.id for r in page.requests]
    while page.next is not None:
        page = await store.page_requests(requester_oid="oid-alice", after=page.next, limit=3)
        sizes.append(len(page.requests))
        seen += [r.id for r in page.requests]

    assert seen == list(reversed(mine))
    assert sizes == [3, 3, 1]


async def test_requests_created_between_pages_do_not_shift_the_next_page(
    store: Store, clock: Clock
) -> None:
    old = await make(store, clock, 4)
    first = await store.page_requests(requester_oid="oid-alice", limit=2)
    await make(store, clock, 3)  # newer ones arrive while the user reads page one
    second = await store.page_requests(requester_oid="oid-alice", after=first.next, limit=2)

    assert [r.id for r in first.requests] == [old[3], old[2]]
    assert [r.id for r in second.requests] == [old[1], old[0]]
    assert second.next is None


async def test_requests_created_in_the_same_instant_are_paged_by_id(
    store: Store, clock: Clock
) -> None:
    same: list[str] = []
    for _ in range(5):
        request, messages = draft(clock.now)  # no clock advance: one created_at for all
        await store.create_request(request, messages)
        same.append(request.id)

    seen: list[str] = []
    page = await store.page_requests(requester_oid="oid-alice", limit=2)
    seen += [r.id for r in page.requests]
    while page.next is not None:
        page = await store.page_requests(requester_oid="oid-alice", after=page.next, limit=2)
        seen += [r.id for r in page.requests]

    assert seen == sorted(same, reverse=True)


async def test_pending_requests_are_found_by_sender_in_any_case(store: Store, clock: Clock) -> None:
    support = await make(store, clock, 3, sender="support@contoso.com")
    other = await make(store, clock, 2, sender="hr@contoso.com")
    for request_id in (support[0], support[2], other[1]):
        await store.transition(request_id, 1, SendState.PENDING_APPROVAL)

    page = await store.page_requests(
        states=[SendState.PENDING_APPROVAL], senders=["Support@Contoso.com"], limit=10
    )
    nothing = await store.page_requests(states=[SendState.PENDING_APPROVAL], senders=[])

    assert [r.id for r in page.requests] == [support[2], support[0]]
    assert page.next is None
    assert nothing.requests == ()


async def test_a_request_is_found_by_the_start_of_its_id_only_for_its_requester(
    store: Store, clock: Clock
) -> None:
    ids = await make(store, clock, 3)
    wanted = ids[0]

    found = await store.requests_by_prefix("oid-alice", wanted[:8].upper())
    someone_else = await store.requests_by_prefix("oid-zed", wanted[:8])
    too_short = await store.requests_by_prefix("oid-alice", wanted[:3])
    wildcard = await store.requests_by_prefix("oid-alice", "%%%%")
    underscore = await store.requests_by_prefix("oid-alice", "____")

    assert [r.id for r in found] == [wanted]
    assert someone_else == too_short == wildcard == underscore == []


async def test_an_ambiguous_prefix_returns_the_candidates_up_to_the_limit(
    store: Store, clock: Clock
) -> None:
    for request_id in ("abcd0" + "0" * 27, "abcd1" + "0" * 27, "abcd2" + "0" * 27):
        request, messages = draft(clock.now)
        await store.create_request(replace(request, id=request_id), messages)
        clock.advance(60)

    assert [r.id[:5] for r in await store.requests_by_prefix("oid-alice", "abcd")] == [
        "abcd2",
        "abcd1",
    ]
    assert [r.id[:5] for r in await store.requests_by_prefix("oid-alice", "abcd0")] == ["abcd0"]
