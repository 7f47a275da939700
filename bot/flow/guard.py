"""The outbox's last check before an application-mode send: the permission decision again,
which must be allowed (or approved) *and* confirmed by Exchange."""

from __future__ import annotations

from bot.domain.send_request import SendRequest
from bot.flow.send_flow import Refused, SendFlow
from bot.outbox.guard import UNVERIFIED_KEY, GuardResult


class DecisionGuard:
    def __init__(self, flow: SendFlow) -> None:
        self._flow = flow

    async def check(self, request: SendRequest) -> GuardResult:
        again = await self._flow.redecide(request.requester_oid, request)
        if isinstance(again, Refused):
            return GuardResult(False, again.explanation.key)
        if not again.decision.verified:
            return GuardResult(False, UNVERIFIED_KEY)
        return GuardResult(True)
