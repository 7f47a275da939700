"""Approvals: who must approve, who may decide, and the first decision wins.

The rule of who may decide is ``bot.domain.approvals``; this module does its I/O: approvers
are the members of the sender's ``approvers_group``, resolved through Graph; the decider
must *still* be an approver when deciding (checked fresh, never from a cache); the first
decision wins (compare-and-set in the store); an approval covers the exact content hash —
content is immutable, and an edit makes a new request; requests expire.

Approving re-decides the *requester* from fresh facts (Graph and Exchange asked again):
a right lost while the request waited means it is not queued but ends ``failed``, with
``error_code = REFUSED_AT_APPROVAL`` and the denial's explanation key stored on it, so
every card of the request — the requester's and each approver's — can say why
(``stored_refusal``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.domain.approvals import (
    Viewer,
    approvers_group,
    approvers_in_words,
    decided_by_an_approver,
    is_asked,
    may_decide,
    same_person,
    viewer,
)
from bot.domain.explanations import Explanation, explain
from bot.domain.permissions import Outcome
from bot.domain.send_request import SendRequest, SendState
from bot.domain.senders import Policy, SenderConfig
from bot.errors import GraphError, NotFound, VersionConflict
from bot.flow.facts import FactsService
from bot.flow.send_flow import Preview, Refused, SendFlow, Stale
from bot.graph import APP, GraphClient, GraphUser
from bot.outbox.guard import GuardResult, SendGuard
from bot.store import Store
from bot.store.records import Approval, ApprovalDecision

logger = logging.getLogger(__name__)

MAX_COMMENT = 1_000
REFUSED_AT_APPROVAL = "RefusedAtApproval"


@dataclass(frozen=True)
class Approver:
    oid: str
    upn: str
    name: str


@dataclass(frozen=True)
class Requested:
    request: SendRequest
    sender: SenderConfig
    from_line: str
    approvers: tuple[Approver, ...]
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Decided:
    request: SendRequest
    approval: Approval
    won: bool  # False: an earlier decision counts; ``approval`` is that one
    refused: Explanation | None = None  # approved, but the requester may no longer send


class ApprovalFlow:
    def __init__(
        self,
        store: Store,
        facts: FactsService,
        graph: GraphClient,
        sends: SendFlow,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._facts = facts
        self._graph = graph
        self._sends = sends
        self._policy = facts.policy
        self._clock = clock

    async def request(
        self, user_oid: str, request_id: str, version: int
    ) -> Requested | Preview | Refused | Stale:
        """Move a previewed request to pending_approval; the caller posts the cards."""
        found = await self._sends.request_view(user_oid, request_id)
        if isinstance(found, Refused):
            return found
        request = found
        if request.state is not SendState.DRAFT or request.version != version:
            return Stale(request=request)
        again = await self._sends.redecide(user_oid, request)
        if isinstance(again, Refused):
            return again
        sender, decision = again.sender, again.decision
        if decision.outcome is Outcome.ALLOWED:  # policy changed: no approval needed now
            return again.preview(request)
        approvers = await self.approvers(sender, requester_oid=user_oid)
        if not approvers:
            return Refused(explain("no_approvers", mailbox=sender.address), request_id=request.id)
        expires = self._clock() + timedelta(hours=self._policy.approval_expiry_hours)
        try:
            moved = await self._store.transition(
                request.id, request.version, SendState.PENDING_APPROVAL, expires_at=expires
            )
        except VersionConflict:
            return Stale(request=await self._store.get_request(request.id))
        reasons = tuple(r.text for r in decision.approval_reasons)
        return Requested(moved, sender, again.from_line, approvers, reasons)

    async def approvers(self, sender: SenderConfig, *, requester_oid: str) -> tuple[Approver, ...]:
        group = approvers_group(sender)
        if group is None:
            return ()
        members = await self._graph.group_members(APP, group)
        return tuple(
            _approver(m)
            for m in members
            if is_asked(sender, member_oid=m.id, requester_oid=requester_oid)
        )

    async def who_approves(self, sender: SenderConfig, *, requester_oid: str) -> str | None:
        """Who can approve a request of ``requester_oid`` from ``sender``, in words: the
        approvers group's display name and how many people it asks (None: no group, or
        Graph could not tell; the card then says only that approval is needed)."""
        group = approvers_group(sender)
        if group is None:
            return None
        try:
            found = await self._graph.get_group(APP, group)
            approvers = await self.approvers(sender, requester_oid=requester_oid)
        except GraphError as error:
            logger.info("approvers group not read: %s", type(error).__name__)
            return None
        return approvers_in_words(found.display_name, len(approvers))

    async def viewer(self, user_oid: str, request: SendRequest) -> Viewer:
        """Whose view of ``request`` this user gets (membership asked fresh; a Graph
        failure propagates: the user sees "temporarily unavailable", not a wrong view)."""
        sender = self._policy.sender(request.sender_address)
        group = approvers_group(sender)
        groups: Collection[str] = ()
        asked = request.approval_required and not same_person(user_oid, request.requester_oid)
        if group is not None and asked:
            groups = await self._graph.check_member_groups(APP, user_oid, [group])
        return viewer(
            sender,
            user_oid=user_oid,
            requester_oid=request.requester_oid,
            user_groups=groups,
            needed_approval=request.approval_required,
        )

    async def decide(
        self,
        approver_oid: str,
        request_id: str,
        version: int,
        *,
        approve: bool,
        comment: str,
    ) -> Decided | Refused | Stale:
        try:
            request = await self._store.get_request(request_id)
        except NotFound:  # a StoreError, not a LookupError: an unknown id is refused
            return Refused(explain("not_yours"))
        sender = self._policy.sender(request.sender_address)
        refusal = may_decide(
            sender,
            user_oid=approver_oid,
            requester_oid=request.requester_oid,
            user_groups=await self._groups_of(approver_oid, approvers_group(sender)),
        )
        if refusal is not None:
            return Refused(explain(refusal, mailbox=request.sender_address))
        if request.state is not SendState.PENDING_APPROVAL or request.version != version:
            return Stale(request=request)
        decision = ApprovalDecision.APPROVED if approve else ApprovalDecision.REJECTED
        outcome = await self._store.decide_approval(
            request.id, approver_oid, decision, comment.strip()[:MAX_COMMENT]
        )
        if not outcome.won:
            return Decided(outcome.request, outcome.approval, won=False)
        after = outcome.request
        if not approve:
            return Decided(after, outcome.approval, won=True)
        # The requester's rights may have changed while the request waited: decide again
        # from facts asked afresh before anything is queued.
        again = await self._sends.redecide(after.requester_oid, after, fresh=True)
        if isinstance(again, Refused):
            logger.info("request %s approved but refused: %s", after.id, again.explanation.key)
            failed = await self._store.transition(
                after.id,
                after.version,
                SendState.FAILED,
                error_code=REFUSED_AT_APPROVAL,
                error_key=again.explanation.key,
            )
            return Decided(failed, outcome.approval, won=True, refused=again.explanation)
        after = await self._store.transition(after.id, after.version, SendState.QUEUED)
        return Decided(after, outcome.approval, won=True)

    async def _groups_of(self, oid: str, group: str | None) -> Collection[str]:
        """Asked fresh each time: someone removed from the group a minute ago may not
        decide (fail closed when Graph cannot tell)."""
        if group is None:
            return ()
        try:
            return await self._graph.check_member_groups(APP, oid, [group])
        except GraphError:
            return ()


class ApprovedOnly:
    """The outbox's last check, in front of the permission guard: a request that carries
    an approval goes out only when that approval says *approved* and came from someone the
    rule lets decide (``bot.domain.approvals``)."""

    def __init__(self, inner: SendGuard, store: Store, policy: Policy) -> None:
        self._inner = inner
        self._store = store
        self._policy = policy

    async def check(self, request: SendRequest) -> GuardResult:
        approval = await self._store.get_approval(request.id)
        if approval is not None and not (
            approval.decision is ApprovalDecision.APPROVED
            and decided_by_an_approver(
                self._policy.sender(request.sender_address),
                approver_oid=approval.approver_oid,
                requester_oid=request.requester_oid,
            )
        ):
            return GuardResult(False, "not_an_approver")
        return await self._inner.check(request)


def stored_refusal(request: SendRequest, policy: Policy) -> Explanation | None:
    """Why an approved request was not sent, when the requester's rights were found gone
    at approval: the explanation its cards show (requester's and approvers')."""
    if request.state is not SendState.FAILED or request.error_code != REFUSED_AT_APPROVAL:
        return None
    sender = policy.sender(request.sender_address)
    groups = ", ".join(sender.allowed_groups) if sender else ""
    return explain(
        request.error_key or "unknown",
        mailbox=request.sender_address,
        user=request.requester_upn or request.requester_oid,
        sender=sender.display_name if sender else request.sender_address,
        groups=groups or None,
    )


def _approver(member: GraphUser) -> Approver:
    upn = (member.user_principal_name or member.mail or member.id).lower()
    return Approver(oid=member.id, upn=upn, name=member.display_name or upn)
