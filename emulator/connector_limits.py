"""Teams' rate limits on the Bot Connector, as "Optimize your bot with rate limiting in
Teams" (learn.microsoft.com/microsoftteams/platform/bots/how-to/rate-limit) documents them.

* **Per bot per thread** (a thread is a 1:1 chat, a group chat or a channel), each scenario
  counted apart: *send to conversation* 7 in 1 s, 8 in 2 s, 60 in 30 s, 1,800 in 3,600 s;
  *create conversation* the same; *get conversation members* 14, 16, 120, 3,600. The page
  says "All requests are subject to the same rate limiting policy": replacing and deleting a
  message count as sends here (the stricter reading).
* **Per app per tenant** ("global limit"): the page has said 50 and, since, 30 requests per
  second; the emulator takes 30 and counts every request of the app (``per_app_per_second``).

A request over a limit is answered 429 with ``Retry-After`` (seconds until the window that
refused it has room) and is not counted. The page does not name the header; Microsoft's Q&A
answers about the same page say it is sent, and the SDKs honour it.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass

Windows = tuple[tuple[int, float], ...]

SEND_WINDOWS: Windows = ((7, 1.0), (8, 2.0), (60, 30.0), (1800, 3600.0))
CREATE_WINDOWS: Windows = SEND_WINDOWS
MEMBERS_WINDOWS: Windows = ((14, 1.0), (16, 2.0), (120, 30.0), (3600, 3600.0))
SCENARIOS: dict[str, Windows] = {
    "send": SEND_WINDOWS,
    "create": CREATE_WINDOWS,
    "members": MEMBERS_WINDOWS,
}


@dataclass
class ConnectorLimitSettings:
    per_app_per_second: int = 30
    enabled: bool = True


class ConnectorLimiter:
    """Counts each (app, thread, scenario) and each (app, tenant); refuses past a window."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = ConnectorLimitSettings()
        self._clock = clock
        self._threads: dict[tuple[str, str, str], deque[float]] = defaultdict(deque)
        self._apps: dict[tuple[str, str], deque[float]] = defaultdict(deque)

    def reset(self) -> None:
        self.settings = ConnectorLimitSettings()
        self._threads.clear()
        self._apps.clear()

    def admit(self, app_id: str, tenant_id: str, thread: str, scenario: str) -> int | None:
        """Count the request and return None, or return the Retry-After (whole seconds) of
        the 429 Teams would answer instead."""
        if not self.settings.enabled:
            return None
        now = self._clock()
        per_thread = self._threads[(app_id, thread, scenario)]
        per_app = self._apps[(app_id, tenant_id)]
        wait = max(
            _wait(per_thread, SCENARIOS[scenario], now),
            _wait(per_app, ((self.settings.per_app_per_second, 1.0),), now),
        )
        if wait > 0:
            return max(1, math.ceil(wait))
        per_thread.append(now)
        per_app.append(now)
        return None


def _wait(stamps: deque[float], windows: Windows, now: float) -> float:
    """Seconds until one more request fits every window (0: it fits now)."""
    longest = max(window for _count, window in windows)
    while stamps and stamps[0] <= now - longest:
        stamps.popleft()
    wait = 0.0
    for count, window in windows:
        inside = [t for t in stamps if t > now - window]
        if len(inside) >= count:
            wait = max(wait, inside[-count] + window - now)
    return wait
