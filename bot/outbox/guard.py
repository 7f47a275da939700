"""The last check before a request that waited is sent.

A request may wait (in the queue, for an approval, for a schedule) while rights change, and
with the app's own permission Graph would send as anyone. So the worker asks a ``SendGuard``
— backed by the permission decision, taken from fresh facts — once per request, when its
first message gets its pacing slot, in every mode. Anything but a clear "allowed" stops the
send: a guard that raises counts as a denial (``rights_unverified``), never as a pass.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from bot.domain.send_request import SendRequest

logger = logging.getLogger(__name__)

UNVERIFIED_KEY = "rights_unverified"


@dataclass(frozen=True)
class GuardResult:
    allowed: bool
    explanation_key: str | None = None
    """For a denial: the catalogue key (``bot.domain.explanations``) the card explains."""

    def __post_init__(self) -> None:
        if not self.allowed and not self.explanation_key:
            raise ValueError("a denial needs an explanation key")


class SendGuard(Protocol):
    async def check(self, request: SendRequest) -> GuardResult:
        """May ``request``'s requester still send from its sender, according to fresh
        facts from Graph and Exchange and to the policy? Called once per request, before its
        first Graph call."""
        ...


async def guarded(guard: SendGuard, request: SendRequest) -> GuardResult:
    """``guard.check`` failing closed: an exception is a denial with ``rights_unverified``."""
    try:
        result = await guard.check(request)
    except Exception as exc:  # noqa: BLE001 - fail closed: any failure to confirm is a refusal
        logger.warning(
            "send guard failed (%s): not sending request %s", type(exc).__name__, request.id
        )
        return GuardResult(False, UNVERIFIED_KEY)
    if not isinstance(result, GuardResult):
        logger.error("send guard returned %s, not a GuardResult", type(result).__name__)
        return GuardResult(False, UNVERIFIED_KEY)
    return result
