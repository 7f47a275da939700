"""What the worker needs to know about a sender beyond the request: its pacing and the
display details of ``from`` / ``replyTo``, looked up in the policy (``mailroom.toml``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.domain.recipient_quota import DEFAULT_RECIPIENTS_PER_DAY
from bot.domain.senders import SenderConfig
from bot.store.records import PacingPolicy

SenderLookup = Callable[[str], SenderConfig | None]
"""Address → configured sender, e.g. ``Policy.sender``; ``None`` when not configured (a
user's own ``self`` sender)."""


def no_senders(address: str) -> SenderConfig | None:
    return None


@dataclass(frozen=True)
class SenderDetails:
    pacing: PacingPolicy
    display_name: str | None = None
    reply_to: str | None = None


def _burst(per_minute: float, rate_safety: float) -> int:
    """How many sends may catch up after a late one. Pacing at ``rate_safety`` of the rate
    leaves ``(1 - rate_safety) * per_minute`` spare messages in any rolling minute; a burst
    of that size lets a send that came late (a slow Graph answer) be made up for without
    ever exceeding Exchange's per-minute limit."""
    return max(1, int(per_minute * (1.0 - rate_safety)))


def sender_details(
    lookup: SenderLookup,
    address: str,
    *,
    default_per_minute: float,
    rate_safety: float,
    max_concurrent: int,
    recipients_per_day: int = DEFAULT_RECIPIENTS_PER_DAY,
) -> SenderDetails:
    config = lookup(address)
    per_minute = float(config.rate.per_minute) if config is not None else default_per_minute
    pacing = PacingPolicy(
        per_minute=max(per_minute * rate_safety, 0.001),
        max_concurrent=max_concurrent,
        burst=_burst(per_minute, rate_safety),
        recipients_per_day=recipients_per_day,
    )
    if config is None:
        return SenderDetails(pacing)
    return SenderDetails(pacing, config.display_name, config.reply_to)
