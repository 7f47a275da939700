"""The outbox's last check before a request that waited is sent: the permission decision
again, which must be allowed (or approved) and, in application mode, confirmed by Exchange
(delegated sends are checked by Exchange itself when they are made)."""

from __future__ import annotations

from bot.domain.send_request import SendMode, SendRequest
from bot.flow.send_flow import Refused, SendFlow
from bot.outbox.guard import UNVERIFIED_KEY, GuardResult


class DecisionGuard:
    def __init__(self, flow: SendFlow) -> None:
        self._flow = flow

    async def check(self, request: SendRequest) -> GuardResult:
        again = await self._flow.redecide(request.requester_oid, request)
        if isinstance(again, Refused):
            return GuardResult(False, again.explanation.key)
        if request.mode is SendMode.APPLICATION and not again.decision.verified:
            return GuardResult(False, UNVERIFIED_KEY)
        return GuardResult(True)
