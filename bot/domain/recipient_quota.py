"""Exchange's recipient rate limit as arithmetic: at most ``limit`` recipients per sender
mailbox in any 24 hours (10,000 by default; docs/platform.md, "Recipient rate limit").

``Counted`` is what Mailroom already handed to Exchange for one mailbox inside the window:
(when, how many recipients), oldest first. The store keeps it (shared by every replica);
these functions only answer "when may a message of n recipients go?".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

WINDOW = timedelta(hours=24)
DEFAULT_RECIPIENTS_PER_DAY = 10_000

Counted = Sequence[tuple[datetime, int]]


def used(counted: Counted, now: datetime) -> int:
    """Recipients counted in the 24 hours before ``now``."""
    return sum(n for at, n in counted if at > now - WINDOW)


def fits_at(counted: Counted, recipients: int, limit: int, now: datetime) -> datetime | None:
    """The earliest moment from ``now`` on when ``recipients`` more stay within ``limit``;
    ``None`` when a message that large never fits."""
    if recipients > limit:
        return None
    inside = sorted((at, n) for at, n in counted if at > now - WINDOW)
    total = sum(n for _at, n in inside)
    if total + recipients <= limit:
        return now
    for at, n in inside:
        total -= n
        if total + recipients <= limit:
            return at + WINDOW
    return now  # unreachable: with nothing inside, recipients <= limit fits


def schedule(
    counted: Counted, pending: Iterable[int], limit: int, now: datetime
) -> list[datetime | None]:
    """When each of ``pending`` (recipient counts, in sending order) may go, each waiting
    for room in the window; ``None`` for one that never fits (it is skipped)."""
    booked = list(counted)
    at = now
    slots: list[datetime | None] = []
    for n in pending:
        slot = fits_at(booked, n, limit, at)
        slots.append(slot)
        if slot is not None:
            booked.append((slot, n))
            at = slot
    return slots
