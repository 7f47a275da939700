"""The outbox's last check before an application-mode send: the permission decision again,
which must be allowed (or approved) *and* confirmed by Exchange."""

from __future__ import annotations

from bot.domain.permissions import Outcome, RequestFacts
from bot.domain.send_request import SendRequest
from bot.flow.facts import FactsService
from bot.flow.send_flow import SendFlow
from bot.outbox.guard import UNVERIFIED_KEY, GuardResult


class DecisionGuard:
    def __init__(self, facts: FactsService, flow: SendFlow) -> None:
        self._facts = facts
        self._flow = flow

    async def check(self, request: SendRequest) -> GuardResult:
        user = await self._facts.user(request.requester_oid)
        sender = await self._flow.resolve(user, request.sender_address)
        if sender is None:
            return GuardResult(False, "unknown_sender")
        _, decision = await self._facts.decide(
            request.requester_oid, sender, RequestFacts(request.recipients.all(), request.template)
        )
        if decision.outcome is Outcome.DENIED:
            return GuardResult(False, decision.denials[0].key)
        if not decision.verified:
            return GuardResult(False, UNVERIFIED_KEY)
        return GuardResult(True)
