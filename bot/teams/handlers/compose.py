"""``compose.*`` verbs and the ``/templates`` command: picking a template, filling it in
(problems come back on the same card, next to their fields), previewing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.flow.send_flow import Refused, SendFlow
from bot.rendering import TemplateCatalog
from bot.teams.command_parser import Command
from bot.teams.steps import StepCards
from bot.teams.template_guide import guide
from bot.teams.turn import Turn
from cards import notice as notice_card
from cards import template_guide as template_guide_card
from cards.verbs import ComposeInputs, DraftRef, TemplateChoice

Card = dict[str, Any]


@dataclass(frozen=True)
class Deps:
    flow: SendFlow
    steps: StepCards
    catalog: TemplateCatalog


async def template(deps: Deps, turn: Turn, payload: TemplateChoice) -> Card:
    result = await deps.flow.choose_template(
        turn.user_oid, payload.draft, payload.version, payload.template
    )
    return await deps.steps.of(result)


async def preview(deps: Deps, turn: Turn, payload: ComposeInputs) -> Card:
    result = await deps.flow.preview(
        turn.user_oid, payload.draft, payload.version, payload.inputs, turn.time_zone
    )
    return await deps.steps.of(result)


async def cancel(deps: Deps, turn: Turn, payload: DraftRef) -> Card:
    """Nothing to undo (a draft that is never previewed is never sent); the draft is
    discarded, so /drafts and /send no longer offer it."""
    discarded = await deps.flow.discard(turn.user_oid, payload.draft)
    if isinstance(discarded, Refused):
        return deps.steps.refused(discarded)
    return notice_card.build("Cancelled", "Nothing was sent.")


async def templates_command(deps: Deps, turn: Turn, command: Command) -> Card:
    catalog, name = deps.catalog, command.argument
    if name and name in catalog:
        senders = await deps.flow.senders(turn.user_oid)
        own = senders[0].sender.address  # the user's own mailbox comes first
        return template_guide_card.build(guide(catalog.get(name), senders, own))
    lines = [f"• {n}: {catalog.get(n).title}" for n in catalog.names()]
    title = "Templates" if not name else f"No template called {name[:60]}; these exist"
    return notice_card.build(title, "\n".join(lines))
