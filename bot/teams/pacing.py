"""Teams' send rate per conversation: at most 7 messages a second, 60 in 30 seconds and
1800 an hour (docs/platform.md, "Teams"). ``ConversationPacer`` waits for a free turn;
each process (replica) keeps its own count."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

MAX_TRACKED_CONVERSATIONS = 10_000


@dataclass(frozen=True)
class TeamsRateLimits:
    """Teams' bot send limits per conversation: (count, window seconds)."""

    windows: tuple[tuple[int, float], ...] = ((7, 1.0), (60, 30.0), (1800, 3600.0))


@dataclass
class _Conversation:
    sent: deque[float] = field(default_factory=deque)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


class ConversationPacer:
    """Waits until one more message may go to a conversation without breaking any window."""

    def __init__(
        self,
        limits: TeamsRateLimits | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._limits = limits or TeamsRateLimits()
        self._longest = max(window for _count, window in self._limits.windows)
        self._clock = clock
        self._sleep = sleep
        self._conversations: dict[str, _Conversation] = {}

    def wait_needed(self, conversation_id: str) -> float:
        """Seconds until the next message may go (0: now)."""
        entry = self._conversations.get(conversation_id)
        if entry is None:
            return 0.0
        return self._wait(entry, self._clock())

    def _wait(self, entry: _Conversation, now: float) -> float:
        while entry.sent and entry.sent[0] <= now - self._longest:
            entry.sent.popleft()
        wait = 0.0
        for count, window in self._limits.windows:
            inside = [t for t in entry.sent if t > now - window]
            if len(inside) >= count:
                wait = max(wait, inside[-count] + window - now)
        return wait

    async def turn(self, conversation_id: str) -> None:
        """Return when a message may go now, and count it."""
        entry = self._conversations.get(conversation_id)
        if entry is None:
            if len(self._conversations) > MAX_TRACKED_CONVERSATIONS:
                self._forget_idle()
            entry = self._conversations[conversation_id] = _Conversation()
        entry.users += 1
        try:
            async with entry.lock:
                while True:
                    wait = self._wait(entry, self._clock())
                    if wait <= 0:
                        break
                    await self._sleep(wait)
                entry.sent.append(self._clock())
        finally:
            entry.users -= 1
            if entry.users == 0 and not entry.sent:
                del self._conversations[conversation_id]

    def _forget_idle(self) -> None:
        horizon = self._clock() - self._longest
        for key, entry in list(self._conversations.items()):
            if entry.users == 0 and (not entry.sent or entry.sent[-1] <= horizon):
                del self._conversations[key]
