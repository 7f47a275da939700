"""``send.*`` verbs and the ``/send``, ``/senders`` and ``/why`` commands: choosing a
sender, why (not), and acting on a request under way (cancel, retry the failed messages)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.domain.explanations import explain
from bot.domain.send_request import SendRequest
from bot.flow.send_flow import Refused, SendFlow
from bot.teams.command_parser import Command
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


# --- verbs -------------------------------------------------------------------------------


async def start(deps: Deps, turn: Turn, payload: NoData) -> Card:
    return await senders(deps, turn.user_oid)


async def pick_sender(deps: Deps, turn: Turn, payload: SenderChoice) -> Card:
    started = await deps.flow.start(turn.user_oid, turn.tenant_id, payload.sender)
    if isinstance(started, Refused):
        return deps.steps.refused(started)
    return deps.steps.compose(started)


async def why(deps: Deps, turn: Turn, payload: SenderChoice) -> Card:
    return await why_card(deps, turn.user_oid, payload.sender)


async def cancel(deps: Deps, turn: Turn, payload: RequestRef) -> Card:
    version = -1 if payload.version is None else payload.version  # progress cards send none
    return await deps.steps.of(await deps.flow.cancel(turn.user_oid, payload.request, version))


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
        return await senders(deps, turn.user_oid)
    flow = deps.flow
    started = await flow.start(turn.user_oid, turn.tenant_id, fast.sender, fast.template)
    if isinstance(started, Refused):
        return deps.steps.refused(started)
    if started.draft.template is None:
        return deps.steps.compose(started)
    inputs = {"to": ",".join(fast.to), "cc": ",".join(fast.cc), "bcc": ",".join(fast.bcc),
              "importance": fast.importance or "normal"}  # fmt: skip
    inputs |= {f"var_{k}": v for k, v in fast.values.items()}
    draft = started.draft
    return await deps.steps.of(await flow.preview(turn.user_oid, draft.id, draft.version, inputs))


async def senders_command(deps: Deps, turn: Turn, command: Command) -> Card:
    return await senders(deps, turn.user_oid)


async def why_command(deps: Deps, turn: Turn, command: Command) -> Card:
    return await why_card(deps, turn.user_oid, command.argument or "")


# --- cards -------------------------------------------------------------------------------


async def senders(deps: Deps, user_oid: str) -> Card:
    return senders_card.build(sender_options(await deps.flow.senders(user_oid)))


async def why_card(deps: Deps, user_oid: str, address: str) -> Card:
    sender, decision = await deps.flow.why(user_oid, address)
    if sender is None or decision is None:
        return explanation_card.build(
            explanation_of(explain("unknown_sender", mailbox=address[:100], user=user_oid))
        )
    if decision.denials:
        first, *rest = decision.denials
        return explanation_card.build(
            explanation_of(explain(first.key, **first.params), others=tuple(r.text for r in rest))
        )
    lines = [f"• {r.text}" for r in decision.reasons] or ["• nothing limits this sender"]
    verdict = "needs approval" if decision.approval_reasons else "you may send"
    return notice_card.build(
        f"{sender.display_name}: {verdict}",
        "\n".join(lines),
        retry_verb=verbs.PICK_SENDER,
        data={"sender": sender.address},
    )
