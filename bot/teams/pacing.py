"""Teams' send rate: per conversation at most 7 messages a second, 8 in 2 seconds, 60 in 30
seconds and 1800 an hour, and per app per tenant 30 requests a second (docs/platform.md,
"Teams"). ``ConversationPacer`` waits for a free turn; each process (replica) keeps its own
count, so a 429 from another replica's share is still possible and is retried."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

MAX_TRACKED_CONVERSATIONS = 10_000


@dataclass(frozen=True)
class TeamsRateLimits:
    """Teams' bot send limits: (count, window seconds) per conversation and for the app as a
    whole; ``margin`` seconds are added to each wait so that a message that left late does
    not reach Teams early relative to its predecessors."""

    windows: tuple[tuple[int, float], ...] = ((7, 1.0), (8, 2.0), (60, 30.0), (1800, 3600.0))
    app_windows: tuple[tuple[int, float], ...] = ((30, 1.0),)
    margin: float = 0.1


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
        self._clock = clock
        self._sleep = sleep
        self._conversations: dict[str, _Conversation] = {}
        self._app = deque[float]()

    def wait_needed(self, conversation_id: str) -> float:
        """Seconds until the next message may go (0: now)."""
        entry = self._conversations.get(conversation_id)
        now = self._clock()
        app_wait = self._wait(self._app, self._limits.app_windows, now)
        if entry is None:
            return app_wait
        return max(app_wait, self._wait(entry.sent, self._limits.windows, now))

    def _wait(
        self, sent: deque[float], windows: tuple[tuple[int, float], ...], now: float
    ) -> float:
        margin = self._limits.margin
        longest = max(window for _count, window in windows) + margin
        while sent and sent[0] <= now - longest:
            sent.popleft()
        wait = 0.0
        for count, window in windows:
            inside = [t for t in sent if t > now - window - margin]
            if len(inside) >= count:
                wait = max(wait, inside[-count] + window + margin - now)
        return wait

    @asynccontextmanager
    async def slot(self, conversation_id: str) -> AsyncIterator[None]:
        """Wait until a message may go, then hold the conversation while it goes. Sends
        to one conversation are counted when they finish: Teams saw it by then, so the
        next one can't reach Teams early relative to it however long it was under way."""
        entry = self._conversations.get(conversation_id)
        if entry is None:
            if len(self._conversations) > MAX_TRACKED_CONVERSATIONS:
                self._forget_idle()
            entry = self._conversations[conversation_id] = _Conversation()
        entry.users += 1
        try:
            async with entry.lock:
                while True:
                    now = self._clock()
                    wait = max(
                        self._wait(entry.sent, self._limits.windows, now),
                        self._wait(self._app, self._limits.app_windows, now),
                    )
                    if wait <= 0:
                        break
                    await self._sleep(wait)
                # No await between the check and the count: the app-wide count stays true.
                self._app.append(now)
                try:
                    yield
                finally:
                    entry.sent.append(self._clock())
        finally:
            entry.users -= 1
            if entry.users == 0 and not entry.sent:
                del self._conversations[conversation_id]

    def _forget_idle(self) -> None:
        longest = max(window for _count, window in self._limits.windows)
        horizon = self._clock() - longest - self._limits.margin
        for key, entry in list(self._conversations.items()):
            if entry.users == 0 and (not entry.sent or entry.sent[-1] <= horizon):
                del self._conversations[key]
