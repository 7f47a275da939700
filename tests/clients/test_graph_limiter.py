"""The per-mailbox limiter: N slots per mailbox, case-insensitive, forgotten when idle."""

from __future__ import annotations

import asyncio

import pytest

from bot.graph import MailboxLimiter


async def test_slots_are_per_mailbox_and_case_insensitive() -> None:
    limiter = MailboxLimiter(per_mailbox=2)

    async with limiter.slot("Support@Contoso.com"), limiter.slot("support@contoso.com"):
        assert limiter.in_flight("SUPPORT@contoso.com") == 2
        async with limiter.slot("hr@contoso.com"):
            assert limiter.in_flight("hr@contoso.com") == 1

    assert limiter.in_flight("support@contoso.com") == 0


async def test_a_third_caller_waits_until_a_slot_is_free() -> None:
    limiter = MailboxLimiter(per_mailbox=2)
    entered = asyncio.Event()

    async def third() -> None:
        async with limiter.slot("a@contoso.com"):
            entered.set()

    async with limiter.slot("a@contoso.com"):
        async with limiter.slot("a@contoso.com"):
            waiter = asyncio.create_task(third())
            await asyncio.sleep(0)
            assert not entered.is_set()
        await waiter

    assert entered.is_set()


async def test_waiting_past_the_deadline_raises_and_leaves_nothing_behind() -> None:
    limiter = MailboxLimiter(per_mailbox=1)
    loop = asyncio.get_running_loop()

    async with limiter.slot("a@contoso.com"):
        with pytest.raises(TimeoutError):
            async with limiter.slot("a@contoso.com", deadline=loop.time()):
                pytest.fail("must not get the slot")
        assert limiter.in_flight("a@contoso.com") == 1

    async with limiter.slot("a@contoso.com", deadline=loop.time() + 5):
        assert limiter.in_flight("a@contoso.com") == 1


def test_a_limiter_needs_at_least_one_slot() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        MailboxLimiter(per_mailbox=0)
