"""Approvals in Teams: request, approve, reject, and each viewer's own view of the card.

The approval card is posted proactively to every approver's personal chat with the bot;
when one decides, every copy (and the requester's card) is updated to the outcome. The
decision itself is re-checked server-side: still an approver, not the requester, first
decision wins.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from microsoft_agents.hosting.core import TurnContext

from bot.domain.send_request import SendRequest, SendState
from bot.errors import NotFound
from bot.flow.approvals import Decided, Requested, stored_refusal
from bot.flow.send_flow import Preview, Refused, Stale, from_line
from bot.services import Services
from bot.store.records import Approval, ApprovalDecision, CardRef, CardRole
from bot.teams.handlers import Handlers, ServicesRef, _oid, _ref, _reference
from bot.teams.invoke import InvokeAction, InvokeResult
from bot.teams.notifier import Delivered
from bot.teams.turn import TurnInfo
from bot.teams.views import explanation_view, format_time
from cards import approval as approval_card
from cards import explanation as explanation_card
from cards.views import ApprovalView

logger = logging.getLogger(__name__)

Card = dict[str, Any]
Role = Literal["approver", "requester", "other"]
MAX_SAMPLE = 5


class ApprovalHandlers:
    def __init__(self, services: ServicesRef, handlers: Handlers) -> None:
        self._services = services
        self._handlers = handlers

    async def request(self, ctx: TurnContext, info: TurnInfo, action: InvokeAction) -> InvokeResult:
        request_id, version = _ref(action, "request")

        async def step() -> Card:
            services = self._services()
            result = await services.approvals.request(_oid(info), request_id, version)
            if isinstance(result, Requested):
                return await self._post_to_approvers(ctx, info, services, result)
            return self._other(result)

        return await self._handlers._card(step)

    async def approve(self, ctx: TurnContext, info: TurnInfo, action: InvokeAction) -> InvokeResult:
        return await self._decide(info, action, approve=True)

    async def reject(self, ctx: TurnContext, info: TurnInfo, action: InvokeAction) -> InvokeResult:
        return await self._decide(info, action, approve=False)

    async def refresh(self, ctx: TurnContext, info: TurnInfo, action: InvokeAction) -> InvokeResult:
        """Teams asks for this viewer's own view of a card (``refresh.userIds``)."""
        request_id = action.data.get("request", "")[:64]

        async def step() -> Card:
            services = self._services()
            oid = _oid(info)
            try:
                request = await services.store.get_request(request_id)
            except NotFound:  # a StoreError, not a LookupError: an unknown id is refused
                return self._other(Refused(_not_yours()))
            if not request.approval_required:
                return await self._handlers._status_card(oid, request_id)
            role = await self._role(services, oid, request)
            if role == "other":
                return self._other(Refused(_not_yours()))
            return await self._view(services, request, role)

        return await self._handlers._card(step)

    # --- internals -----------------------------------------------------------------------

    async def _decide(self, info: TurnInfo, action: InvokeAction, *, approve: bool) -> InvokeResult:
        request_id, version = _ref(action, "request")
        comment = action.data.get("comment", "")

        async def step() -> Card:
            services = self._services()
            oid = _oid(info)
            result = await services.approvals.decide(
                oid, request_id, version, approve=approve, comment=comment
            )
            if isinstance(result, Refused):
                return explanation_card.build(explanation_view(result))
            if isinstance(result, Stale):
                assert result.request is not None
                return await self._view(services, result.request, "approver")
            if result.won:
                await self._update_everyone(services, result)
                if approve and services.worker is not None:
                    services.worker.wake()
            return await self._view(services, result.request, "approver")

        return await self._handlers._card(step)

    async def _post_to_approvers(
        self, ctx: TurnContext, info: TurnInfo, services: Services, requested: Requested
    ) -> Card:
        request = requested.request
        notifier = services.notifier
        unreachable: list[str] = []
        for approver in requested.approvers:
            view = await self._view(services, request, "approver", requested=requested)
            outcome = (
                await notifier.notify_user(
                    approver.oid, view, request_id=request.id, role=CardRole.APPROVER
                )
                if notifier is not None
                else None
            )
            if not isinstance(outcome, Delivered):
                logger.info("approver not reached: %s", outcome)
                unreachable.append(f"{approver.name} <{approver.upn}>")
        if unreachable:
            logger.info("approvers unreachable: %d", len(unreachable))
        activity_id = ctx.activity.reply_to_id
        if activity_id:
            await services.store.save_card(
                CardRef(
                    request_id=request.id,
                    activity_id=activity_id,
                    role=CardRole.REQUESTER,
                    reference=_reference(ctx),
                    created_at=request.updated_at,
                    user_oid=info.user_oid,
                )
            )
        return await self._view(services, request, "requester", requested=requested)

    async def _update_everyone(self, services: Services, decided: Decided) -> None:
        notifier = services.notifier
        if notifier is None:
            return
        for card in await services.store.list_cards(decided.request.id):
            role: Role = "approver" if card.role is CardRole.APPROVER else "requester"
            try:
                # Read the state now: the worker may already have sent it, and a card must
                # never step back from "sent" to "approved".
                current = await services.store.get_request(decided.request.id)
                view = await self._view(services, current, role)
                await notifier.update_card(card, view)
            except Exception as error:  # one unreachable card must not stop the others
                logger.warning("approval card not updated: %s", type(error).__name__)

    async def _role(self, services: Services, oid: str, request: SendRequest) -> Role:
        if oid.lower() == request.requester_oid.lower():
            return "requester"
        sender = services.policy.sender(request.sender_address)
        group = sender.approval.approvers_group if sender else None
        if group is not None:
            from bot.graph import APP  # noqa: PLC0415

            found = await services.graph.check_member_groups(APP, oid, [group])
            if group.lower() in {g.lower() for g in found}:
                return "approver"
        return "other"

    async def _view(
        self,
        services: Services,
        request: SendRequest,
        role: Role,
        *,
        requested: Requested | None = None,
    ) -> Card:
        approval = await services.store.get_approval(request.id)
        everyone = request.recipients.all()
        external = tuple(a for a in everyone if not services.policy.is_internal(a))
        requester = await services.facts.user(request.requester_oid)
        reasons = requested.reasons if requested else _approval_reasons(request)
        sender = services.policy.sender(request.sender_address)
        shown_from = (
            requested.from_line
            if requested
            else from_line(sender, requester)
            if sender
            else request.sender_address
        )
        view = ApprovalView(
            request_id=request.id,
            version=request.version,
            requester=f"{requester.display_name} <{requester.upn}>",
            from_line=shown_from,
            recipient_count=len(everyone),
            recipients_sample=everyone[:MAX_SAMPLE],
            external_recipients=external,
            subject=request.subject,
            text_body=request.content.text if request.content else "",
            preview_url=services.links.url(request.id),
            reasons=reasons,
            state=request.state.value,
            viewer_role=role,
            outcome=await self._outcome(services, request, approval),
            unreachable_approvers=await self._unreachable(services, request)
            if role == "requester" and request.state is SendState.PENDING_APPROVAL
            else (),
            refresh_user_ids=await self._refresh_ids(services, request),
        )
        return approval_card.build(view)

    async def _outcome(
        self, services: Services, request: SendRequest, approval: Approval | None
    ) -> str | None:
        if approval is None:
            if request.state is SendState.EXPIRED:
                return "Nobody decided before the request expired."
            if request.state is SendState.CANCELLED:
                return "The requester cancelled the request."
            return None
        approver = await services.facts.user(approval.approver_oid)
        when = format_time(approval.decided_at)
        if approval.decision is ApprovalDecision.APPROVED:
            refused = stored_refusal(request, services.policy)
            if refused is not None:  # the requester's rights were gone by then
                return (
                    f"Approved by {approver.display_name} at {when}, but not sent: "
                    f"{refused.title}. {refused.why}"
                )
            return f"Approved by {approver.display_name} at {when}"
        comment = f": {approval.comment}" if approval.comment else ""
        return f"Rejected by {approver.display_name} at {when}{comment}"

    async def _unreachable(self, services: Services, request: SendRequest) -> tuple[str, ...]:
        """Approvers with no approval card of this request: the bot could not reach them
        (not installed for them, or they blocked it). Derived, so nothing extra is stored."""
        sender = services.policy.sender(request.sender_address)
        if sender is None:
            return ()
        approvers = await services.approvals.approvers(sender, requester_oid=request.requester_oid)
        cards = await services.store.list_cards(request.id)
        reached = {
            (c.user_oid or "").lower()
            for c in cards
            if c.role is CardRole.APPROVER and c.blocked_code is None
        }
        return tuple(f"{a.name} <{a.upn}>" for a in approvers if a.oid.lower() not in reached)

    async def _refresh_ids(self, services: Services, request: SendRequest) -> tuple[str, ...]:
        ids: list[str] = []
        for card in await services.store.list_cards(request.id):
            user = card.reference.get("user") if isinstance(card.reference, dict) else None
            teams_id = user.get("id") if isinstance(user, dict) else None
            if isinstance(teams_id, str) and teams_id not in ids:
                ids.append(teams_id)
        return tuple(ids[:60])

    def _other(self, result: Preview | Refused | Stale) -> Card:
        return self._handlers._step_card(result)


def _approval_reasons(request: SendRequest) -> tuple[str, ...]:
    return tuple(
        reason.split(":", 1)[1].replace("_", " ")
        for reason in request.decision_reasons
        if reason.startswith("approval:")
    )


def _not_yours() -> Any:
    from bot.domain.explanations import explain  # noqa: PLC0415

    return explain("not_yours")
