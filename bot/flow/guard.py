"""The outbox's check before a request's first Graph call: the permission decision taken
again from fresh facts (Graph and Exchange asked anew, nothing cached), which must still
allow the requester (or its approval) — and, in application mode, be confirmed by the rights
source (or decided by the policy for a ``rights = "policy"`` sender)."""

from __future__ import annotations

from bot.domain.send_request import SendMode, SendRequest
from bot.flow.send_flow import Refused, SendFlow
from bot.outbox.guard import UNVERIFIED_KEY, GuardResult


class DecisionGuard:
    def __init__(self, flow: SendFlow) -> None:
        self._flow = flow

    async def check(self, request: SendRequest) -> GuardResult:
        again = await self._flow.redecide(request.requester_oid, request, fresh=True)
        if isinstance(again, Refused):
            return GuardResult(False, again.explanation.key)
        # With the user's own token Exchange enforces the rights itself when sending; with
        # the app's token nobody would, so an unconfirmed right stops the send.
        if request.mode is SendMode.APPLICATION and not again.decision.verified:
            return GuardResult(False, UNVERIFIED_KEY)
        return GuardResult(True)
