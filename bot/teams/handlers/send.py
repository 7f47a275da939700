"""``send.*`` verbs and the ``/send``, ``/senders`` and ``/why`` commands: choosing a
sender, why (not), and acting on a request under way (cancel, retry the failed messages)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from bot.domain.explanations import explain, explain_all
from bot.domain.send_request import SendRequest, SendState
from bot.domain.senders import ApprovalRule, ApprovalRuleKind, SenderKind
from bot.flow.send_flow import Refused, SendFlow
from bot.i18n import _, format_number
from bot.teams.command_parser import Command
from bot.teams.draft_view import draft_summary
from bot.teams.followers import Followers
from bot.teams.steps import StepCards
from bot.teams.turn import Turn
from bot.teams.views import explanation_of, sender_options
from cards import explanation as explanation_card
from cards import notice as notice_card
from cards import senders as senders_card
from cards import verbs
from cards.verbs import NoData, RequestRef, SenderChoice

Card = dict[str, Any]


@dataclass(frozen=True)
class Deps:
    flow: SendFlow
    steps: StepCards
    wake: Callable[[], None]
    """Tell the outbox worker a request was queued."""
    followers: Followers


# --- verbs -------------------------------------------------------------------------------


async def start(deps: Deps, turn: Turn, payload: NoData) -> Card:
    return await senders(deps, turn.user_oid, resume_for=turn)


async def pick_sender(deps: Deps, turn: Turn, payload: SenderChoice) -> Card:
    started = await deps.flow.start(turn.user_oid, turn.tenant_id, payload.sender)
    if isinstance(started, Refused):
        return deps.steps.refused(started)
    return deps.steps.compose(started)


async def why(deps: Deps, turn: Turn, payload: SenderChoice) -> Card:
    return await why_card(deps, turn.user_oid, payload.sender)


async def cancel(deps: Deps, turn: Turn, payload: RequestRef) -> Card:
    version = -1 if payload.version is None else payload.version  # progress cards send none
    return await cancelled(deps, turn, payload.request, version)


async def cancelled(deps: Deps, turn: Turn, request_id: str, version: int) -> Card:
    """Cancel the requester's request; every other card of it (an approver's, still
    offering Approve) follows at once."""
    result = await deps.flow.cancel(turn.user_oid, request_id, version)
    if isinstance(result, SendRequest) and result.state is SendState.CANCELLED:
        await deps.followers.changed(result.id, skip=turn.card_activity_id)
    return await deps.steps.of(result)


async def retry_failed(deps: Deps, turn: Turn, payload: RequestRef) -> Card:
    result = await deps.flow.retry_failed(turn.user_oid, payload.request)
    card = await deps.steps.of(result)
    if isinstance(result, SendRequest):
        deps.wake()
    return card


# --- commands ------------------------------------------------------------------------------


async def send_command(deps: Deps, turn: Turn, command: Command) -> Card:
    """``/send``, and its one-line fast path straight to the preview."""
    fast = command.fast
    if fast is None or not fast.sender:
        return await senders(deps, turn.user_oid, resume_for=turn)
    flow = deps.flow
    inputs = {"to": ",".join(fast.to), "cc": ",".join(fast.cc), "bcc": ",".join(fast.bcc),
              "importance": fast.importance or "normal"}  # fmt: skip
    inputs |= {f"var_{k}": v for k, v in fast.values.items()}
    started = await flow.start(turn.user_oid, turn.tenant_id, fast.sender, fast.template, inputs)
    if isinstance(started, Refused):
        return deps.steps.refused(started)
    if started.draft.template is None or started.general:
        return deps.steps.compose(started)  # what was wrong, on the card, with what was typed
    draft = started.draft
    shown = await flow.preview(turn.user_oid, draft.id, draft.version, inputs, turn.time_zone)
    return await deps.steps.of(shown)


async def senders_command(deps: Deps, turn: Turn, command: Command) -> Card:
    return await senders(deps, turn.user_oid)


async def why_command(deps: Deps, turn: Turn, command: Command) -> Card:
    return await why_card(deps, turn.user_oid, command.argument or "")


# --- cards -------------------------------------------------------------------------------


async def senders(deps: Deps, user_oid: str, *, resume_for: Turn | None = None) -> Card:
    """The sender picker; ``resume_for``: offer that user's last unfinished draft first."""
    resume = None
    if resume_for is not None:
        last = await deps.flow.open_drafts(user_oid, 1)
        if last:
            resume = draft_summary(last[0], deps.steps.catalog, resume_for.time_zone)
    return senders_card.build(sender_options(await deps.flow.senders(user_oid)), resume)


async def why_card(deps: Deps, user_oid: str, address: str) -> Card:
    """The answer to "may I send as …, and why (not)?": a question, so nothing here says a
    message was or wasn't sent."""
    sender, decision = await deps.flow.why(user_oid, address)
    if sender is None or decision is None:
        answer = explain("unknown_sender", mailbox=address[:100], user=user_oid)
        return explanation_card.build(replace(explanation_of(answer), what=""))
    if decision.denials:
        answer = explain_all([(r.key, r.params) for r in decision.denials])
        return explanation_card.build(replace(explanation_of(answer), what=""))
    grants = [r.text for r in decision.reasons if r.effect == "grant"]
    because = "; ".join(grants) if grants else _("nothing in Mailroom's policy limits this sender")
    if sender.kind in (SenderKind.SHARED, SenderKind.NOREPLY):
        title = _("Yes: you can send from {mailbox}", mailbox=sender.address)
        line = _("You can send from {mailbox} because {because}.", mailbox=sender.address,
                 because=because)  # fmt: skip
    elif sender.kind is SenderKind.SEND_ON_BEHALF:
        title = _("Yes: you can send on behalf of {mailbox}", mailbox=sender.address)
        line = _("You can send on behalf of {mailbox} because {because}.",
                 mailbox=sender.address, because=because)  # fmt: skip
    else:
        title = _("Yes: you can send as {mailbox}", mailbox=sender.address)
        line = _("You can send as {mailbox} because {because}.", mailbox=sender.address,
                 because=because)  # fmt: skip
    lines = [line]
    if sender.kind is SenderKind.SELF:
        lines = [_("You can send from your own mailbox.")]
    lines += [_("Note: {text}.", text=r.text) for r in decision.reasons if r.effect == "note"]
    approval = _approval_rule(sender.approval)
    if approval:
        lines.append(approval)
    return notice_card.build(
        title,
        "\n".join(lines),
        retry_verb=verbs.PICK_SENDER,
        data={"sender": sender.address},
        action_title=_("Send from {mailbox}", mailbox=sender.address),
    )


def _approval_rule(rule: ApprovalRule) -> str | None:
    """The sender's approval rule in words (a /why has no recipients to apply it to yet)."""
    match rule.rule:
        case ApprovalRuleKind.ALWAYS:
            return _("Every send from this sender needs an approver's OK first.")
        case ApprovalRuleKind.EXTERNAL:
            return _("A send to anyone outside the organisation needs an approver's OK first.")
        case ApprovalRuleKind.OVER_RECIPIENTS:
            return _(
                "A send to more than {count} recipients needs an approver's OK first.",
                count=format_number(rule.over_recipients),
            )
        case ApprovalRuleKind.NEVER:
            return None
