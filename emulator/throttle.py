"""Outlook's throttling as Graph applies it, per app per mailbox.

* Concurrency: at most ``concurrency_limit`` (4) requests in flight per (app, mailbox); the
  next one gets 429 ``ApplicationThrottled`` "Application is over its MailboxConcurrency limit."
* Request budget: ``request_budget`` (10,000) requests per (app, mailbox) per 10 minutes.
* Message rate: ``messages_per_minute`` (30) messages submitted per mailbox per rolling minute.

Every 429 carries ``Retry-After`` in seconds.
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

    def record_send(self, mailbox: str) -> None:
        """Count one submitted message for the mailbox, or raise 429 when over the rate."""
        now = self._clock()
        window = self._sends[mailbox.lower()]
        while window and window[0] <= now - RATE_WINDOW:
            window.popleft()
        limit = self.settings.messages_per_minute
        if len(window) >= limit:
            wait = max(0.1, round(window[0] + RATE_WINDOW - now, 1))
            raise GraphFailure(
                429,
                "ApplicationThrottled",
                f"The mailbox is over its message rate limit of {limit:g} messages per minute.",
                retry_after=wait,
            )
        window.append(now)
