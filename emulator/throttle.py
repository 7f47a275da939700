"""Outlook's throttling as Graph applies it, per app per mailbox, and Exchange's message rate.

* Concurrency: at most ``concurrency_limit`` (4) requests in flight per (app, mailbox); the
  next one gets 429 ``ApplicationThrottled`` "Application is over its MailboxConcurrency limit."
* Request budget: ``request_budget`` (10,000) requests per (app, mailbox) per 10 minutes.
  Every 429 carries ``Retry-After`` in seconds; 429 comes only from these two (Graph's
  request-rate and concurrency limits).
* Message rate: ``messages_per_minute`` (30) messages per mailbox per rolling minute. Exchange
  does not refuse the 31st: Graph answers 202 and transport carries the excess over to the
  following minutes (``delivery_slot``), so a sender over the rate sees its mail arrive late,
  not an error.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass

from emulator.envelopes import MSG_MAILBOX_CONCURRENCY, GraphFailure

BUDGET_WINDOW = 600.0
RATE_WINDOW = 60.0


@dataclass
class ThrottleSettings:
    concurrency_limit: int = 4
    messages_per_minute: float = 30
    request_budget: int = 10_000
    concurrency_retry_after: float = 1.0


class Throttle:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = ThrottleSettings()
        self._clock = clock
        self._in_flight: dict[tuple[str, str], int] = defaultdict(int)
        self._requests: dict[tuple[str, str], deque[float]] = defaultdict(deque)
        self._sends: dict[str, deque[float]] = defaultdict(deque)

    def reset(self) -> None:
        self.settings = ThrottleSettings()
        self._in_flight.clear()
        self._requests.clear()
        self._sends.clear()

    def enter(self, app_id: str, mailbox: str) -> None:
        """Count a request in; raise the 429 Graph would answer instead."""
        key = (app_id.lower(), mailbox.lower())
        now = self._clock()
        window = self._requests[key]
        while window and window[0] <= now - BUDGET_WINDOW:
            window.popleft()
        if len(window) >= self.settings.request_budget:
            wait = max(1, math.ceil(window[0] + BUDGET_WINDOW - now))
            raise GraphFailure(
                429,
                "ApplicationThrottled",
                "Application is over its MailboxRequestLimit limit.",
                retry_after=wait,
            )
        if self._in_flight[key] >= self.settings.concurrency_limit:
            raise GraphFailure(
                429,
                "ApplicationThrottled",
                MSG_MAILBOX_CONCURRENCY,
                retry_after=self.settings.concurrency_retry_after,
            )
        window.append(now)
        self._in_flight[key] += 1

    def leave(self, app_id: str, mailbox: str) -> None:
        key = (app_id.lower(), mailbox.lower())
        self._in_flight[key] = max(0, self._in_flight[key] - 1)

    def delivery_slot(self, mailbox: str, ready_at: float) -> float:
        """When transport may deliver a message of ``mailbox`` that is ready at ``ready_at``
        (this clock): at once while the rolling minute has room, else as soon as the
        ``messages_per_minute``-th latest delivery leaves the window. Books the slot."""
        slots = self._sends[mailbox.lower()]
        while slots and slots[0] <= ready_at - RATE_WINDOW:
            slots.popleft()
        limit = max(1, math.floor(self.settings.messages_per_minute))
        at = ready_at
        if len(slots) >= limit:
            at = max(ready_at, slots[-limit] + RATE_WINDOW)
        slots.append(at)
        return at

    def now(self) -> float:
        return self._clock()
