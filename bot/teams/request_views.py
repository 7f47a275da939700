"""Gathering what a request's card shows (``Shown``) — its messages' progress, and for a
request that needed approval the approval card's facts — then ``request_card`` decides.

Also ``track_card``: remembering which message shows a request, so the outbox worker and
later decisions update it in place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.domain.approvals import Viewer, reason_in_words
from bot.domain.references import reference_of
from bot.domain.send_request import SendRequest, SendState
from bot.domain.senders import Policy
from bot.flow.approvals import ApprovalFlow, Requested, stored_refusal
from bot.flow.facts import FactsService
from bot.flow.preview_links import PreviewLinks
from bot.flow.send_flow import from_line
from bot.i18n import _
from bot.outbox.progress import MAX_FAILURES_LISTED, RequestProgress, results_of
from bot.outbox.windows import held_until
from bot.store import Approval, ApprovalDecision, CardRef, CardRole, JobState, Store, utc_now
from bot.teams.reach import PENDING
from bot.teams.request_card import Shown, request_card
from bot.teams.times import format_time
from bot.teams.turn import Turn
from cards.views import ApprovalView

Card = dict[str, Any]
MAX_SAMPLE = 5
MAX_REFRESH_USERS = 60  # Teams' limit for refresh.userIds
_NOT_COUNTED = frozenset({SendState.DRAFT, SendState.PENDING_APPROVAL})


class RequestViews:
    def __init__(
        self,
        store: Store,
        facts: FactsService,
        links: PreviewLinks,
        approvals: ApprovalFlow,
    ) -> None:
        self._store = store
        self._facts = facts
        self._policy: Policy = facts.policy
        self._links = links
        self._approvals = approvals

    async def card(
        self, request: SendRequest, viewer: Viewer, *, requested: Requested | None = None
    ) -> Card:
        """The card that shows ``request`` to ``viewer`` now."""
        return request_card(await self.shown(request, viewer, requested=requested), viewer)

    async def shown(
        self, request: SendRequest, viewer: Viewer, *, requested: Requested | None = None
    ) -> Shown:
        if viewer == "other":
            return Shown(request)
        approval = None
        if request.approval_required or viewer == "approver":
            approval = await self._approval_view(request, viewer, requested)
        progress = None if request.state in _NOT_COUNTED else await self._progress(request)
        results_url = self._links.results_url(request.id) if progress and progress.results else None
        sent = request.state is SendState.SENT and request.message_count == 1
        preview_url = self._links.url(request.id) if sent else None
        return Shown(request, progress, approval, results_url, preview_url)

    async def who_approves(self, request: SendRequest) -> str | None:
        sender = self._policy.sender(request.sender_address)
        if sender is None:
            return None
        return await self._approvals.who_approves(sender, requester_oid=request.requester_oid)

    async def _progress(self, request: SendRequest) -> RequestProgress:
        counts = await self._store.job_counts(request.id)
        failed = []
        if counts.failed:
            failed = await self._store.list_jobs(request.id, [JobState.FAILED])
        config = self._policy.sender(request.sender_address)
        window = config.window if config is not None else None
        opens = held_until(request, window, utc_now())
        listed = tuple(failed[:MAX_FAILURES_LISTED])
        results = await results_of(self._store, request)
        return RequestProgress(
            request, counts, None, listed, results, window=window, window_opens=opens
        )

    async def _approval_view(
        self, request: SendRequest, viewer: Viewer, requested: Requested | None
    ) -> ApprovalView:
        everyone = request.recipients.all()
        requester = await self._facts.user(request.requester_oid)
        sender = self._policy.sender(request.sender_address)
        shown_from = request.sender_address
        if requested is not None:
            shown_from = requested.from_line
        elif sender is not None:
            shown_from = from_line(sender, requester)
        cards = await self._store.list_cards(request.id)
        waiting = viewer == "requester" and request.state is SendState.PENDING_APPROVAL
        reach = await self._reach(request, cards) if waiting else _Reach()
        return ApprovalView(
            request_id=request.id,
            version=request.version,
            requester=f"{requester.display_name} <{requester.upn}>",
            from_line=shown_from,
            recipient_count=len(everyone),
            recipients_sample=everyone[:MAX_SAMPLE],
            external_recipients=tuple(a for a in everyone if not self._policy.is_internal(a)),
            subject=request.subject,
            text_body=request.content.text if request.content else "",
            preview_url=self._links.url(request.id),
            reasons=requested.reasons if requested else self._reasons(request),
            approvers=await self.who_approves(request) if viewer == "requester" else None,
            state=request.state.value,
            viewer_role=viewer,
            outcome=await self._outcome(request, await self._store.get_approval(request.id)),
            unreachable_approvers=reach.missed,
            approvers_in_teams=reach.in_teams,
            asking_approvers=reach.asking,
            refresh_user_ids=refresh_ids(cards),
            reference=reference_of(request.id),
            replaced_by=await self._replaced_by(request),
        )

    async def _replaced_by(self, request: SendRequest) -> str:
        """The reference of the edited request that replaced this one ("" if none)."""
        if not request.is_final:  # only a decided request can be edited and resubmitted
            return ""
        successor = await self._store.replacement_of(request.id)
        return reference_of(successor) if successor else ""

    async def _outcome(self, request: SendRequest, approval: Approval | None) -> str | None:
        if approval is None:
            if request.state is SendState.EXPIRED:
                return _("Nobody decided before the request expired.")
            if request.state is SendState.CANCELLED:
                return _("The requester cancelled the request.")
            return None
        approver = await self._facts.user(approval.approver_oid)
        when = format_time(approval.decided_at)
        if approval.decision is ApprovalDecision.APPROVED:
            refused = stored_refusal(request, self._policy)
            if refused is not None:  # the requester's rights were gone by then
                return _(
                    "Approved by {approver} at {when}, but not sent: {title}. {why}",
                    approver=approver.display_name,
                    when=when,
                    title=refused.title,
                    why=refused.why,
                )
            said = _("Approved by {approver} at {when}", approver=approver.display_name, when=when)
            return said + _comment(approval)
        said = _("Rejected by {approver} at {when}", approver=approver.display_name, when=when)
        return said + _comment(approval)

    def _reasons(self, request: SendRequest) -> tuple[str, ...]:
        return approval_reasons(request, self._policy)

    async def _reach(self, request: SendRequest, cards: list[CardRef]) -> _Reach:
        """How the approvers were told: still being asked, got the card in Teams (an
        approval card of theirs that is not blocked), or not (emailed, or not reached)."""
        sender = self._policy.sender(request.sender_address)
        if sender is None:
            return _Reach()
        approvers = await self._approvals.approvers(sender, requester_oid=request.requester_oid)
        carded = {
            (c.user_oid or "").lower()
            for c in cards
            if c.role is CardRole.APPROVER and c.blocked_code is None
        }
        told = await self._store.list_reach(request.id)
        asking = [a for a in approvers if a.oid.lower() not in carded
                  and told.get(a.oid.lower()) == PENDING]  # fmt: skip
        missed = [a for a in approvers if a.oid.lower() not in carded and a not in asking]
        return _Reach(
            asking=len(asking),
            in_teams=tuple(a.name for a in approvers if a.oid.lower() in carded),
            missed=tuple(f"{a.name} <{a.upn}> — {_how(told.get(a.oid.lower()))}" for a in missed),
        )


def _how(channel: str | None) -> str:
    return "emailed a link instead" if channel == "email" else "could not be reached"


@dataclass(frozen=True)
class _Reach:
    asking: int = 0
    in_teams: tuple[str, ...] = ()
    missed: tuple[str, ...] = ()


def _comment(approval: Approval) -> str:
    return f": “{approval.comment}”" if approval.comment else ""


def refresh_ids(cards: list[CardRef]) -> tuple[str, ...]:
    """The Teams user ids of everyone holding a card of the request (``refresh.userIds``)."""
    ids: list[str] = []
    for card in cards:
        user = card.reference.get("user") if isinstance(card.reference, dict) else None
        teams_id = user.get("id") if isinstance(user, dict) else None
        # Teams user ids only: a chat Mailroom opened itself knows the Entra id until the
        # approver's first message brings their Teams id.
        if isinstance(teams_id, str) and teams_id.startswith("29:") and teams_id not in ids:
            ids.append(teams_id)
    return tuple(ids[:MAX_REFRESH_USERS])


def approval_reasons(request: SendRequest, policy: Policy) -> tuple[str, ...]:
    """Why ``request`` needed approval, in words, from the reason keys stored on it."""
    sender = policy.sender(request.sender_address)
    everyone = request.recipients.all()
    external = sum(1 for a in everyone if not policy.is_internal(a))
    return tuple(
        reason_in_words(
            reason.split(":", 1)[1],
            recipients=len(everyone),
            external=external,
            rule=sender.approval if sender is not None else None,
        )
        for reason in request.decision_reasons
        if reason.startswith("approval:")
    )


async def track_card(
    store: Store, turn: Turn, request: SendRequest, role: CardRole = CardRole.REQUESTER
) -> None:
    """Remember that the clicked message now shows ``request`` (the requester's card, or
    an approver's opened from ``/approvals``), so the outbox worker and later decisions
    update it in place."""
    activity_id = turn.card_activity_id
    if not activity_id:
        return
    await store.save_card(
        CardRef(
            request_id=request.id,
            activity_id=activity_id,
            role=role,
            reference=turn.reference(),
            created_at=request.updated_at,
            user_oid=turn.user_oid,
        )
    )
