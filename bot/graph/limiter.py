"""At most N requests in flight per mailbox, across the whole process.

Outlook runs at most 4 concurrent requests per app per mailbox and answers a 5th with 429;
this limiter makes sure the 5th is never sent. One ``MailboxLimiter`` is created by whoever
wires the app and handed to every client that talks to mailboxes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class MailboxLimiter:
    """A semaphore per mailbox (case-insensitive), forgotten when the mailbox is idle."""

    def __init__(self, per_mailbox: int = 4) -> None:
        if per_mailbox < 1:
            raise ValueError("per_mailbox must be at least 1")
        self.per_mailbox = per_mailbox
        self._slots: dict[str, _Slots] = {}

    @asynccontextmanager
    async def slot(self, mailbox: str, *, deadline: float | None = None) -> AsyncIterator[None]:
        """Hold one of the mailbox's slots for the duration of the block. With ``deadline``
        (event-loop time), waiting for the slot raises ``TimeoutError`` once it passes; the
        block itself is not timed."""
        key = mailbox.strip().lower()
        slots = self._slots.get(key)
        if slots is None:
            slots = self._slots[key] = _Slots(self.per_mailbox)
        slots.users += 1
        try:
            if deadline is None:
                await slots.semaphore.acquire()
            else:
                async with asyncio.timeout_at(deadline):
                    await slots.semaphore.acquire()
        except BaseException:
            self._leave(key, slots)
            raise
        slots.held += 1
        try:
            yield
        finally:
            slots.held -= 1
            slots.semaphore.release()
            self._leave(key, slots)

    def _leave(self, key: str, slots: _Slots) -> None:
        slots.users -= 1
        if slots.users == 0:
            del self._slots[key]

    def in_flight(self, mailbox: str) -> int:
        """Slots of ``mailbox`` held right now."""
        slots = self._slots.get(mailbox.strip().lower())
        return 0 if slots is None else slots.held


class _Slots:
    __slots__ = ("held", "semaphore", "users")

    def __init__(self, size: int) -> None:
        self.semaphore = asyncio.Semaphore(size)
        self.users = 0  # holding or waiting
        self.held = 0
